"""Training as a generator of events: the CLI prints them, the GUI plots them, tests assert on them.

Stopping the iteration (`generator.close()`) is the cancel: the run is saved as "stopped" with
its history and last good checkpoint. Every epoch uses a generator seeded from (seed, epoch), so
the same seed gives the same run, and a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from workbench import __version__
from workbench.core.fileio import write_json_atomic
from workbench.core.model.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from workbench.core.model.network import SpecNet, build_network
from workbench.core.model.spec import ModelSpec
from workbench.core.training.augmentation import AugmentConfig, augment_batch
from workbench.core.training.config import TrainConfig
from workbench.core.training.runs import HISTORY_NAME, read_history

STATES = ("running", "finished", "stopped", "diverged", "stalled")


@dataclass(frozen=True)
class RunStarted:
    spec: ModelSpec
    epochs: int
    first_epoch: int
    batches_per_epoch: int
    n_train: int
    n_val: int
    device: str
    threads: int


@dataclass(frozen=True)
class BatchDone:
    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float
    seconds: float  # since the run (or resume) started


@dataclass(frozen=True)
class EpochDone:
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    learning_rate: float
    checkpoint: Path | None


@dataclass(frozen=True)
class RunEnded:
    state: str  # finished, stopped, diverged or stalled
    reason: str
    epoch: int  # the last completed epoch
    seconds: float
    history: dict[str, Any] = field(repr=False, default_factory=dict)
    network: Any = field(repr=False, compare=False, default=None)


def resolve_device(requested: str) -> str:
    if requested == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise RuntimeError("CUDA was asked for but this torch has no usable GPU")
    return "cpu"


def split_indices(n: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded train/validation split of the training set."""
    order = np.random.default_rng(seed).permutation(n)
    val_size = max(0, min(val_size, n - 1))
    return np.sort(order[val_size:]), np.sort(order[:val_size])


def _lr_factor(schedule: str, step: int, total: int) -> float:
    progress = min(step / max(total, 1), 1.0)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "onecycle":
        warm = 0.15
        if progress < warm:
            return 0.1 + 0.9 * progress / warm
        return 0.5 * (1 + math.cos(math.pi * (progress - warm) / (1 - warm))) * 0.99 + 0.01
    return 1.0


def _make_optimizer(net: SpecNet, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            net.parameters(),
            lr=config.learning_rate,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
    return torch.optim.Adam(
        net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )


@torch.inference_mode()
def evaluate_network(
    net: SpecNet, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000
) -> tuple[float, float]:
    """Mean loss and accuracy of `net` on uint8 images [N, 28, 28]."""
    net.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].unsqueeze(1).float().div_(255)
        y = labels[start : start + batch_size]
        logits = net(x)
        loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
    return loss_sum / max(len(images), 1), correct / max(len(images), 1)


def train(
    config: TrainConfig,
    images: np.ndarray,
    labels: np.ndarray,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra_history: dict[str, Any] | None = None,
) -> Iterator[Any]:
    """Train a network on uint8 images [N, 28, 28] and labels [N], yielding events.

    With `run_dir`, a checkpoint per epoch and `history.json` are written there atomically;
    `resume=True` continues the run in `run_dir` from its last checkpoint.
    """
    config.validate()
    device = resolve_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    run_dir = Path(run_dir) if run_dir else None
    spec = config.model_spec()
    train_idx, val_idx = split_indices(len(images), config.val_size, config.seed)
    images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int64)
    x_train = torch.tensor(images[train_idx], device=device)
    y_train = torch.tensor(labels[train_idx], device=device)
    x_val = torch.tensor(images[val_idx], device=device)
    y_val = torch.tensor(labels[val_idx], device=device)

    net = build_network(spec, seed=config.seed).to(device)
    optimizer = _make_optimizer(net, config)
    history: dict[str, Any] = {
        "format": "workbench-run-1",
        "version": __version__,
        "config": dataclasses.asdict(config),
        "spec": spec.to_dict(),
        "state": "running",
        "reason": "",
        "epochs": [],
        "batches": [],
        "n_train": len(train_idx),
        "n_val": len(val_idx),
        "seconds": 0.0,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        **(extra_history or {}),
    }
    first_epoch = 1
    if resume:
        if run_dir is None:
            raise ValueError("resume needs the run folder")
        history = read_history(run_dir)
        done = len(history["epochs"])
        if done:
            load_checkpoint(checkpoint_path(run_dir, done), net, optimizer)
        first_epoch = done + 1
        history["state"], history["reason"] = "running", ""

    batches = math.ceil(len(train_idx) / config.batch_size)
    total_steps = batches * config.epochs
    chance = 1.0 / spec.classes
    started = time.perf_counter()
    seconds_before = float(history.get("seconds", 0.0))

    def save_history() -> None:
        history["seconds"] = seconds_before + time.perf_counter() - started
        if run_dir is not None:
            write_json_atomic(run_dir / HISTORY_NAME, history)

    outcome = {"state": "stopped", "reason": "stopped by the user", "epoch": first_epoch - 1}

    def epochs() -> Iterator[Any]:
        for epoch in range(first_epoch, config.epochs + 1):
            rng = torch.Generator(device=device).manual_seed(config.seed * 100_003 + epoch)
            order = torch.randperm(len(train_idx), generator=rng, device=device)
            net.train()
            loss_sum, correct, seen, recent = 0.0, 0, 0, []
            for batch in range(batches):
                step = (epoch - 1) * batches + batch
                lr = config.learning_rate * _lr_factor(config.schedule, step, total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                take = order[batch * config.batch_size : (batch + 1) * config.batch_size]
                x = x_train[take].unsqueeze(1).float().div_(255)
                y = y_train[take]
                if config.augment:
                    x = augment_batch(x, AugmentConfig(), rng)
                logits = net(x)
                loss = F.cross_entropy(logits, y)
                loss_value = loss.item()
                recent = (recent + [loss_value])[-20:]
                where = f"in epoch {epoch}, batch {batch + 1}"
                if not math.isfinite(loss_value):
                    outcome.update(state="diverged", reason=f"loss became {loss_value} {where}")
                    return
                if len(recent) == 20 and sum(recent) / 20 > 10 * math.log(spec.classes):
                    outcome.update(
                        state="diverged", reason=f"loss exploded to {sum(recent) / 20:.3g} {where}"
                    )
                    return
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                batch_correct = int((logits.argmax(1) == y).sum())
                loss_sum += loss_value * len(y)
                correct += batch_correct
                seen += len(y)
                if batch % 10 == 0 or batch == batches - 1:
                    history["batches"].append(
                        [
                            round(epoch - 1 + (batch + 1) / batches, 4),
                            round(loss_value, 5),
                            round(batch_correct / len(y), 4),
                        ]
                    )
                yield BatchDone(
                    epoch,
                    batch + 1,
                    batches,
                    loss_value,
                    batch_correct / len(y),
                    time.perf_counter() - started,
                )
            train_loss, train_acc = loss_sum / seen, correct / seen
            val_loss, val_acc = (
                evaluate_network(net, x_val, y_val) if len(val_idx) else (None, None)
            )
            path = None
            if run_dir is not None:
                path = checkpoint_path(run_dir, epoch)
                save_checkpoint(path, net, optimizer, {"epoch": epoch})
            row = {
                "epoch": epoch,
                "train_loss": train_loss,
                "train_accuracy": train_acc,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "learning_rate": lr,
                "seconds": seconds_before + time.perf_counter() - started,
            }
            history["epochs"].append(row)
            outcome["epoch"] = epoch
            save_history()
            yield EpochDone(
                epoch, train_loss, train_acc, val_loss, val_acc, row["seconds"], lr, path
            )
            judged = val_acc if val_acc is not None else train_acc
            if judged <= chance + 0.05:
                outcome.update(
                    state="stalled",
                    reason=(
                        f"accuracy {judged:.1%} after epoch {epoch} is no better than chance "
                        f"({chance:.0%}) + 5 points"
                    ),
                )
                return
        outcome.update(state="finished", reason=f"{config.epochs} epochs done")

    def finish() -> None:
        history["state"], history["reason"] = outcome["state"], outcome["reason"]
        history["ended_epoch"] = outcome["epoch"]
        save_history()
        net.eval()

    save_history()
    try:  # a stop right after RunStarted still leaves a "stopped" history, not a bare folder
        yield RunStarted(
            spec,
            config.epochs,
            first_epoch,
            batches,
            len(train_idx),
            len(val_idx),
            device,
            torch.get_num_threads(),
        )
        yield from epochs()
    except GeneratorExit:
        finish()
        raise
    finish()
    yield RunEnded(
        outcome["state"], outcome["reason"], outcome["epoch"], history["seconds"], history, net
    )
