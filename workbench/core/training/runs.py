"""Run folders under `runs/` in the user data folder: one per training run, surviving restarts.

Torch-free, so the window lists runs without importing torch.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core import paths
from workbench.core.training.comparisons import describe_config
from workbench.core.training.run_lock import gone_reason, trainer_alive

HISTORY_NAME = "history.json"  # written by train.py, read here without torch


def safe_run_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned[:80] or "run"


def new_run_dir(name: str | None = None, root: Path | None = None) -> Path:
    """A fresh folder for a run; a taken name gets a numeric suffix instead of overwriting."""
    root = root or paths.runs_dir()
    base = safe_run_name(name or time.strftime("%Y%m%d-%H%M%S"))
    candidate, counter = root / base, 2
    while True:
        try:  # mkdir, not exists(): two runs started at once must not both take one name
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            candidate, counter = root / f"{base}-{counter}", counter + 1


def list_runs(root: Path | None = None) -> list[Path]:
    root = root or paths.runs_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / HISTORY_NAME).is_file())


def last_checkpoint(run_dir: str | Path) -> Path | None:
    found = checkpoints(run_dir)
    return found[-1][1] if found else None


def kept_checkpoint(run_dir: str | Path) -> tuple[int, Path] | None:
    """(epoch, path) of the checkpoint a run stands for: the best validation epoch that early
    stopping kept (`kept_epoch` in its history), else the last one."""
    found = checkpoints(run_dir)
    try:
        kept = read_history(run_dir).get("kept_epoch")
    except ValueError:
        kept = None
    chosen = [(epoch, path) for epoch, path in found if epoch == kept]
    return (chosen or found or [None])[-1]


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs table, read from a run's history.json."""

    path: Path
    name: str
    state: str  # running, finished, stopped, interrupted, diverged, stalled; "damaged"
    reason: str
    settings: str
    config: dict[str, Any] = field(repr=False, default_factory=dict)
    epochs_done: int = 0
    epochs_planned: int = 0
    best_val_accuracy: float | None = None
    best_epoch: int | None = None
    seconds: float = 0.0
    started: str = ""

    def can_resume(self) -> bool:
        """Stopped (or interrupted: its process is gone) before its last epoch: it can go on."""
        return self.state in RESUMABLE and self.epochs_done < self.epochs_planned


RESUMABLE = ("stopped", "interrupted")


def read_history(run_dir: str | Path) -> dict[str, Any]:
    """A run's history.json, with the state a reader should show: a run that says "running"
    whose process is gone (killed, crashed, a lost machine) is "interrupted", and says why."""
    history = read_history_file(run_dir)
    if history.get("state") == "running" and not trainer_alive(run_dir):
        history["state"], history["reason"] = "interrupted", gone_reason(run_dir)
    return history


def read_history_file(run_dir: str | Path) -> dict[str, Any]:
    """A run's history.json as written (its "running" may be a process that is gone)."""
    path = Path(run_dir) / HISTORY_NAME
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the run history ({exc})") from exc
    if not isinstance(history, dict):
        raise ValueError(f"{path}: not a run history")
    return history


def summarise(run_dir: str | Path) -> RunSummary:
    run_dir = Path(run_dir)
    try:
        history = read_history(run_dir)
        config = dict(history["config"])
        settings = describe_config(config)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return RunSummary(run_dir, run_dir.name, "damaged", str(exc), "")
    rows = history.get("epochs", [])
    scored = [r for r in rows if r.get("val_accuracy") is not None]
    best = max(scored, key=lambda r: r["val_accuracy"], default=None)
    return RunSummary(
        path=run_dir,
        name=run_dir.name,
        state=str(history.get("state", "stopped")),
        reason=str(history.get("reason", "")),
        settings=settings,
        config=config,
        epochs_done=len(rows),
        epochs_planned=int(config.get("epochs", len(rows))),
        best_val_accuracy=None if best is None else float(best["val_accuracy"]),
        best_epoch=None if best is None else int(best["epoch"]),
        seconds=float(history.get("seconds", 0.0)),
        started=str(history.get("started", "")),
    )


def list_summaries(root: Path | None = None) -> list[RunSummary]:
    """Every run under `root`, oldest first (by start time, then name)."""
    summaries = [summarise(path) for path in list_runs(root)]
    return sorted(summaries, key=lambda s: (s.started, s.name))


def rename_run(run_dir: str | Path, new_name: str) -> Path:
    """Rename a run's folder (its name); refuses a name that is taken."""
    run_dir = Path(run_dir)
    target = run_dir.parent / safe_run_name(new_name)
    if target == run_dir:
        return run_dir
    if target.exists():
        raise FileExistsError(f"a run named {target.name} already exists")
    run_dir.rename(target)
    return target


def delete_run(run_dir: str | Path) -> None:
    """Delete a run's folder: only a folder that really is a run (it holds history.json)."""
    run_dir = Path(run_dir)
    if not (run_dir / HISTORY_NAME).is_file():
        raise ValueError(f"{run_dir} is not a run folder (no {HISTORY_NAME}); not deleting it")
    shutil.rmtree(run_dir)


def checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(epoch, path) of every per-epoch checkpoint of a run, in epoch order."""
    found = []
    for path in (Path(run_dir) / "checkpoints").glob("epoch-*.safetensors"):
        try:
            found.append((int(path.stem.split("-")[1]), path))
        except (IndexError, ValueError):
            continue
    return sorted(found)
