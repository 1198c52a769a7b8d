"""What the training worker iterates: a training process's events (events.py), decoded (no Qt).

`training_job` starts `python -m workbench.core.training.process` and yields what it reports; the
StreamJob thread that iterates it mostly waits on a pipe, so the window keeps its GIL and its
core. Closing the generator (Stop) asks the process to stop: the run is saved as "stopped".
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.training.config import TrainConfig
from workbench.core.training.events import BatchDone, event_from_dict
from workbench.core.training.history import is_recorded

HEARTBEAT_GAP = 0.15  # pass a heartbeat on only after this long without another event
STOP_GRACE = 10.0  # seconds a stopping run may take to save its history before it is killed


def training_threads() -> int:
    """Torch threads for training: every core but one, which is left to the window."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class DataSource:
    """Where the training images come from: an MNIST folder, or arrays (tests, scripts)."""

    folder: Path | None = None
    verify: bool = True  # check the official MD5s (off for generated test data)
    images: np.ndarray | None = field(default=None, repr=False, compare=False)
    labels: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def in_memory(self) -> bool:
        return self.images is not None


class DataHandOff:
    """Hands the data to training processes: a folder by name, arrays through a temporary file."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._written: tuple[int, Path] | None = None
        atexit.register(self.forget)

    def request(self, source: DataSource) -> dict[str, Any]:
        if source.images is None or source.labels is None:
            if source.folder is None:
                raise ValueError("no training data: choose the MNIST folder first")
            return {"folder": str(source.folder), "verify": source.verify}
        if self._written is None or self._written[0] != id(source.images):
            self.forget()
            self._folder = Path(tempfile.mkdtemp(prefix="workbench-data-"))
            path = self._folder / "train.npz"
            np.savez(path, images=source.images, labels=source.labels)
            self._written = (id(source.images), path)
        return {"arrays": str(self._written[1])}

    def forget(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder, self._written = None, None


class TrainingProcessError(RuntimeError):
    """The training process failed; `kind` names the exception it raised there."""

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


def _error(kind: str, message: str) -> Exception:
    """The exception the process raised, rebuilt where the window knows its type."""
    from workbench.core.data import mnist

    known = {"DataCorrupt": mnist.DataCorrupt, "DataUnavailable": mnist.DataUnavailable}
    return known[kind](message) if kind in known else TrainingProcessError(message, kind)


def job_config(config: TrainConfig) -> TrainConfig:
    """The config a run really uses: torch threads for this machine."""
    return dataclasses.replace(config, threads=training_threads())


def _child_env() -> dict[str, str]:
    """The environment of the training process: this workbench importable, one torch thread."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env.setdefault("OMP_NUM_THREADS", str(training_threads()))
    return env


def training_job(
    config: TrainConfig, run_dir: Path, resume: bool, source: DataSource, cache: DataHandOff
) -> Iterator[Any]:
    """Start a training process for `run_dir` and yield its events until it ends."""
    request = {
        "settings": job_config(config).to_dict(),
        "run_dir": str(run_dir),
        "resume": resume,
        "data": cache.request(source),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.core.training.process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_child_env(),
        text=True,
        encoding="utf-8",
        bufsize=1,
    )
    try:
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        quiet_since = time.monotonic()
        for line in process.stdout:
            message = json.loads(line)
            if message["event"] == "exit":
                break
            if message["event"] == "error":
                raise _error(message["kind"], message["message"])
            now = time.monotonic()
            if message["event"] == "Heartbeat" and now - quiet_since < HEARTBEAT_GAP:
                continue  # events are flowing: the runner checks for Stop between them anyway
            quiet_since = now
            yield event_from_dict(message)
        else:
            code = process.wait()
            raise TrainingProcessError(f"the training process ended unexpectedly (exit {code})")
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Ask the process to stop (it saves the run as stopped), then wait; kill it if it hangs."""
    if process.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            process.stdin.write("stop\n")
            process.stdin.flush()
    try:
        process.communicate(timeout=STOP_GRACE)  # drains its last lines, closes the pipes
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
    except ValueError:  # pipes already closed
        process.wait()


def is_progress(item: Any) -> bool:
    """Events the runner may thin out to ~10 a second (the newest is always delivered): not the
    batches that the curves keep."""
    from workbench.core.data.mnist import DownloadProgress

    if isinstance(item, BatchDone):
        return not is_recorded(item)
    return isinstance(item, DownloadProgress)
