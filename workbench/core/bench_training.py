"""The training figures of `workbench bench`: the default recipe's time to 99 % validation,
and the seconds from `workbench train` starting to its first batch."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def bench_training(
    images: np.ndarray,
    labels: np.ndarray,
    threads: int,
    device: str = "cpu",
    data_folder: Path | None = None,
) -> dict[str, Any]:
    """The default LeNet-5 run: its first epoch (seconds, images/s), its time to 99 %
    validation accuracy, and the seconds from `workbench train` starting to its first batch
    (a separate process on `data_folder`, by default WORKBENCH_DATA's or the user folder's)."""
    from workbench.core.training.loop import EpochDone, TrainConfig, train

    config = TrainConfig(threads=threads, device=device)
    n_train = len(images) - config.val_size
    start = time.perf_counter()
    figures: dict[str, Any] = {
        "threads": threads,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "seconds_to_99": None,
        "first_batch_seconds": first_batch_seconds(data_folder, threads, device),
    }
    for event in train(config, images, labels):
        if not isinstance(event, EpochDone):
            continue
        if event.epoch == 1:
            figures["epoch_seconds"] = event.seconds
            figures["epoch_images_per_s"] = n_train / event.seconds
        if figures["seconds_to_99"] is None and (event.val_accuracy or 0) >= 0.99:
            figures["seconds_to_99"] = event.seconds
            figures["epoch_of_99"] = event.epoch
        figures["final_val_accuracy"] = event.val_accuracy
    figures["wall_seconds"] = time.perf_counter() - start
    return figures


def first_batch_seconds(
    data_folder: Path | None,
    threads: int,
    device: str = "cpu",
    timeout: float = 120,
    verify: bool = True,
) -> float | None:
    """Seconds from starting `workbench train --json` (a new process, its imports and data
    loading included) to its first BatchDone line; None if it never came. The run goes to a
    temporary user folder and is stopped there."""
    import json
    import subprocess
    import sys
    import tempfile

    from workbench.core.paths import PACKAGE_DIR, data_dir

    folder = data_dir(data_folder)
    code = "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))"
    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as home:
        env = {**os.environ, "WORKBENCH_HOME": home}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")) if p
        )
        command = [sys.executable, "-c", code, "train", "--json", "--data-dir", str(folder)]
        command += ["--epochs", "1", "--threads", str(threads), "--device", device]
        command += [] if verify else ["--no-verify"]
        start = time.perf_counter()
        seconds = None
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
        ) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    if time.perf_counter() - start > timeout:
                        break
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(event, dict) and event.get("event") == "BatchDone":
                        seconds = time.perf_counter() - start
                        break
            finally:
                process.kill()
    return seconds
