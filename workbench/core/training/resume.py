"""Resuming a run as it was recorded: its recipe, split, seed and data come from history.json.

A resumed run must be the run it continues, so everything that shapes the result comes from
the record, and whatever contradicts it is refused with a message naming the option:
- the recipe (`TrainConfig`: spec, optimizer, rates, batch size, seed, validation size,
  augmentation, schedule): taken from the record; given and different, refused. Only `threads`
  and `device` (how it computes, not what) may change, and `epochs` may grow: a finished or
  stopped run then trains on to the new count, its rate schedule stretched from there on (the
  history records the extension).
- the data: the SHA-256 of the training images and labels (`cache.array_sha256`, the identity
  `mnist.data_identity` gives for a folder) is recorded when a run starts; other data under the
  same file names is refused.
- the state: a run still training (its lock's process is alive), one that diverged or stalled,
  and one that finished its epochs (unless `epochs` grows) are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.data.cache import array_sha256
from workbench.core.training.config import TrainConfig
from workbench.core.training.history import RunHistory
from workbench.core.training.run_lock import read_lock, trainer_alive
from workbench.core.training.runs import read_history

FREE = ("threads", "device")  # may differ on resume: they change how, not what, it trains
IDENTITY_KEY = "data_identity"  # in history.json: {"train_images": sha256, "train_labels": …}

OPTION_NAMES = {  # TrainConfig field -> the CLI option, for messages
    "learning_rate": "--lr",
    "preset": "--preset",
    "spec": "--spec",
}


class ResumeRefused(ValueError):
    """The run cannot be resumed as asked; the message says why and what to do."""


def option_name(field: str) -> str:
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def training_identity(images: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """What identifies the training data: the same values as `mnist.data_identity(folder,
    ["train"])` gives for the folder the arrays were read from."""
    return {
        "train_images": array_sha256(np.asarray(images, dtype=np.uint8)),
        "train_labels": array_sha256(np.asarray(labels, dtype=np.uint8)),
    }


def recorded_config(history: Mapping[str, Any]) -> TrainConfig:
    return TrainConfig.from_dict(history.get("config", {}))


def resume_config(run_dir: str | Path, given: Mapping[str, Any]) -> TrainConfig:
    """The config that continues `run_dir`: the record, with the options the user `given`
    (TrainConfig field -> value) that may change; ResumeRefused for one that contradicts it."""
    history = read_history(run_dir)
    recorded = recorded_config(history)
    changes = {key: value for key, value in given.items() if key in FREE}
    for key, value in given.items():
        if key in FREE:
            continue
        was = getattr(recorded, key)
        if key == "epochs" and value > was:
            changes["epochs"] = value
        elif value != was:
            raise ResumeRefused(
                f"{_option_text(key, value)} differs from the run's {_option_text(key, was, False)}"
                f": a resumed run keeps its recipe (leave {option_name(key)} out, or start a "
                "new run)"
            )
    return dataclasses.replace(recorded, **changes)


def _option_text(key: str, value: Any, given: bool = True) -> str:
    """How a message shows an option's value: "--lr 0.1", "--no-augment", "a different spec"."""
    if key == "spec":
        return ("a different spec" if given else "spec") if value else "preset (no --spec)"
    if isinstance(value, bool):
        return option_name(key).replace("--", "--" if value else "--no-", 1)
    return f"{option_name(key)} {value}" if given else f"{value}"


def check_resume(
    run_dir: str | Path,
    history: Mapping[str, Any],
    config: TrainConfig,
    identity: dict[str, str],
    n_images: int,
) -> None:
    """Refuse (ResumeRefused) a resume that would not continue the run as recorded."""
    name = Path(run_dir).name
    state, done = str(history.get("state", "")), len(history.get("epochs", []))
    if state == "running" and trainer_alive(run_dir):
        pid = (read_lock(run_dir) or {}).get("pid")
        raise ResumeRefused(f"run {name} is training now (process {pid}): stop it first")
    if state in ("diverged", "stalled"):
        raise ResumeRefused(
            f"run {name} {state} ({history.get('reason', '')}): resuming would repeat it; "
            "start a new run with another recipe"
        )
    recorded = recorded_config(history)
    mismatch = [
        key
        for key in recorded.to_dict()
        if key not in FREE + ("epochs",) and getattr(config, key) != getattr(recorded, key)
    ]
    if mismatch:
        key = mismatch[0]
        raise ResumeRefused(
            f"{_option_text(key, getattr(config, key))} differs from the run's "
            f"{_option_text(key, getattr(recorded, key), False)}: a resumed run keeps its recipe"
        )
    if config.epochs < recorded.epochs:
        raise ResumeRefused(
            f"--epochs {config.epochs} is fewer than the run's {recorded.epochs}: "
            "a resumed run may only train longer"
        )
    if done >= config.epochs:
        raise ResumeRefused(
            f"run {name} has done its {done} epochs: give --epochs more than {done} "
            "to train it further"
        )
    _check_data(name, history, identity, n_images)


def _check_data(
    name: str, history: Mapping[str, Any], identity: dict[str, str], n_images: int
) -> None:
    recorded = history.get(IDENTITY_KEY)
    if isinstance(recorded, dict):
        differ = [key for key in identity if recorded.get(key) != identity[key]]
        if differ:
            raise ResumeRefused(
                f"the training data differs from run {name}'s ({', '.join(differ)}: "
                f"SHA-256 {identity[differ[0]][:12]}… where the run recorded "
                f"{str(recorded.get(differ[0]))[:12]}…): resume it on the data it trained on"
            )
        return
    # A run from before identities were recorded: at least the number of images must agree.
    count = int(history.get("n_train", 0)) + int(history.get("n_val", 0))
    if count != n_images:
        raise ResumeRefused(
            f"the training data holds {n_images} images but run {name} trained on "
            f"{count}: resume it on the data it trained on"
        )


def extension(history: Mapping[str, Any], config: TrainConfig) -> dict[str, int] | None:
    """The record of a resume that trains a run longer than planned, or None."""
    planned = recorded_config(history).epochs
    if config.epochs <= planned:
        return None
    return {"at_epoch": len(history.get("epochs", [])), "from": planned, "to": config.epochs}


def continue_history(
    run_dir: str | Path | None, config: TrainConfig, identity: dict[str, str], n_images: int
) -> RunHistory:
    """The history of the run in `run_dir`, checked (`check_resume`) and running again."""
    if run_dir is None:
        raise ValueError("resume needs the run folder")
    data = read_history(run_dir)
    check_resume(run_dir, data, config, identity, n_images)
    if (extended := extension(data, config)) is not None:
        data.setdefault("extended", []).append(extended)
        data["config"] = {**data.get("config", {}), "epochs": config.epochs}
    data.setdefault(IDENTITY_KEY, identity)
    data["state"], data["reason"] = "running", ""
    return RunHistory(data, Path(run_dir))
