"""The training process: `python -m workbench.core.training.process`, driven by job.py (no Qt).

Training runs in its own process so that the window never shares a GIL (or torch's import) with
it: the window's thread then only parses a few short lines a second. Protocol, one JSON object
a line: the request comes on stdin, then "stop" (or the end of stdin: the window is gone) asks
the run to stop; the training events go to stdout in their one JSON form (events.py): every
batch the curves keep, the others a few a second; the last line is "error" or "exit". Stopping
closes the training generator, so the run is saved as "stopped" with its history and last
checkpoint, exactly as in-process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workbench.core.training.config import TrainConfig
from workbench.core.training.events import BatchDone, Heartbeat, JobStarted, event_to_dict

BATCH_EVERY = 0.05  # seconds between two batch events the curves do not keep (progress only)
HEARTBEAT_EVERY = 0.2  # a Heartbeat this often, so the window's Stop never waits long


class _Channel:
    """Events to the window, one JSON line each (`events.event_to_dict`), from any thread."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: Any) -> None:
        self.send_line(event_to_dict(event))

    def send_line(self, message: dict[str, Any]) -> None:
        line = json.dumps(message) + "\n"  # Python on both ends: a NaN loss may pass
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def _watch_stdin(stop: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()  # "stop", or stdin closed: the window is gone


def _heartbeat(channel: _Channel, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_EVERY):
        channel.send(Heartbeat())


def _load(data: dict[str, Any]):
    import numpy as np

    if "arrays" in data:
        with np.load(data["arrays"]) as arrays:
            return arrays["images"], arrays["labels"]
    from workbench.core.data.mnist import load_split

    return load_split(Path(data["folder"]), "train", verify=bool(data["verify"]))


def run(request: dict[str, Any], channel: _Channel, stop: threading.Event) -> None:
    images, labels = _load(request["data"])
    if stop.is_set():
        return
    from workbench.core.training.history import is_recorded
    from workbench.core.training.loop import train

    run_dir, resume = Path(request["run_dir"]), bool(request["resume"])
    settings = dict(request["settings"])
    if not resume:  # a small data set (tests, a subset) keeps most of its images for training
        settings["val_size"] = min(int(settings.get("val_size", 5000)), len(images) // 5)
    config = TrainConfig.from_dict(settings)
    channel.send(JobStarted(run_dir, resume, len(images)))
    events = train(config, images, labels, run_dir=run_dir, resume=resume)
    last_sent = 0.0
    try:
        for event in events:
            if stop.is_set():
                return  # `finally` closes the run: saved as stopped
            if isinstance(event, BatchDone) and not is_recorded(event):
                now = time.monotonic()  # a batch for the progress bar only: a few a second
                if now - last_sent < BATCH_EVERY:
                    continue
                last_sent = now
            channel.send(event)
    finally:
        events.close()


def main() -> int:
    channel = _Channel(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    sys.stdout = sys.stderr  # stdout carries events only: a stray print must not break a line
    request = json.loads(sys.stdin.readline())
    stop = threading.Event()
    threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
    threading.Thread(target=_heartbeat, args=(channel, stop), daemon=True).start()
    status = 0
    try:
        run(request, channel, stop)
    except Exception as exc:  # reported to the window, which names the problem
        channel.send_line({"event": "error", "kind": type(exc).__name__, "message": str(exc)})
        status = 1
    stop.set()
    channel.send_line({"event": "exit", "status": status})
    sys.stderr.flush()
    os._exit(status)  # skip the interpreter's teardown of torch: the run is saved already


if __name__ == "__main__":
    main()
