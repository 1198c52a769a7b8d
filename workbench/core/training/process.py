"""The training process: `python -m workbench.core.training.process`, driven by train_job (no Qt).

Training runs in its own process so that the window never shares a GIL (or torch's import) with
it: the window's thread then only parses a few short lines a second. Protocol, one JSON object
a line: the request comes on stdin, then "stop" (or the end of stdin: the window is gone) asks
the run to stop; events go to stdout. Stopping closes the training generator, so the run is
saved as "stopped" with its history and last checkpoint, exactly as in-process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

SMOOTHING = 0.05  # exponential moving average over batches: about the last 20 batches
BATCH_EVERY = 0.05  # seconds between two batch events (the window draws ~10 a second)
HEARTBEAT_EVERY = 0.2  # an "alive" line this often, so the window's Stop never waits long


class _Channel:
    """Events to the window, one JSON line each, from any thread."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}) + "\n"
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
        channel.send("alive")


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
    from workbench.core.training.comparisons import config_from_dict
    from workbench.core.training.loop import BatchDone, EpochDone, RunEnded, RunStarted, train

    run_dir, resume = Path(request["run_dir"]), bool(request["resume"])
    settings = dict(request["settings"])
    # A small data set (tests, a subset) keeps most of its images for training.
    settings["val_size"] = min(int(settings.get("val_size", 5000)), len(images) // 5)
    config = config_from_dict(settings)
    channel.send("job_started", run_dir=str(run_dir), resumed=resume, n_images=len(images))
    events = train(config, images, labels, run_dir=run_dir, resume=resume)
    loss_avg = accuracy_avg = 0.0
    steps, last_sent = 0, 0.0
    try:
        for event in events:
            if stop.is_set():
                return  # `finally` closes the run: saved as stopped
            if isinstance(event, BatchDone):
                steps += 1
                loss_avg = SMOOTHING * event.loss + (1 - SMOOTHING) * loss_avg
                accuracy_avg = SMOOTHING * event.accuracy + (1 - SMOOTHING) * accuracy_avg
                now = time.monotonic()
                if now - last_sent < BATCH_EVERY and event.batch != event.batches:
                    continue
                last_sent = now
                debias = 1 - (1 - SMOOTHING) ** steps  # the averages start at 0
                channel.send(
                    "batch",
                    epoch=event.epoch,
                    batch=event.batch,
                    batches=event.batches,
                    x=event.epoch - 1 + event.batch / event.batches,
                    loss=event.loss,
                    accuracy=event.accuracy,
                    smooth_loss=loss_avg / debias,
                    smooth_accuracy=accuracy_avg / debias,
                    seconds=event.seconds,
                )
            elif isinstance(event, RunStarted):
                channel.send(
                    "run_started",
                    epochs=event.epochs,
                    first_epoch=event.first_epoch,
                    batches_per_epoch=event.batches_per_epoch,
                    n_train=event.n_train,
                    n_val=event.n_val,
                    threads=event.threads,
                )
            elif isinstance(event, EpochDone):
                channel.send(
                    "epoch",
                    epoch=event.epoch,
                    train_loss=event.train_loss,
                    train_accuracy=event.train_accuracy,
                    val_loss=event.val_loss,
                    val_accuracy=event.val_accuracy,
                    seconds=event.seconds,
                    learning_rate=event.learning_rate,
                    checkpoint=str(event.checkpoint) if event.checkpoint else None,
                )
            elif isinstance(event, RunEnded):
                channel.send(
                    "run_ended",
                    state=event.state,
                    reason=event.reason,
                    epoch=event.epoch,
                    seconds=event.seconds,
                )
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
        channel.send("error", kind=type(exc).__name__, message=str(exc))
        status = 1
    stop.set()
    channel.send("exit", status=status)
    sys.stderr.flush()
    os._exit(status)  # skip the interpreter's teardown of torch: the run is saved already


if __name__ == "__main__":
    main()
