"""Training as a generator of events: the CLI prints them, the GUI plots them, tests assert on them.

Stopping the iteration (`generator.close()`) is the cancel: the run is saved as "stopped" with
its history and last good checkpoint. Every epoch uses a generator seeded from (seed, epoch), so
the same seed gives the same run, and a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from workbench.core.model.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from workbench.core.model.network import SpecNet, build_network
from workbench.core.training.augmentation import AugmentConfig, augment_batch
from workbench.core.training.config import TrainConfig
from workbench.core.training.early_stopping import best_epoch, early_stop_reason
from workbench.core.training.events import BatchDone, EpochDone, RunEnded, RunStarted
from workbench.core.training.history import BATCH_EVERY, RunHistory
from workbench.core.training.optimizers import make_optimizer, set_learning_rate
from workbench.core.training.resume import IDENTITY_KEY, continue_history, training_identity
from workbench.core.training.run_lock import remove_lock, write_lock

STATES = ("running", "finished", "stopped", "diverged", "stalled")
LOSS_WINDOW = 20  # divergence: the mean loss over this many batches …
LOSS_LIMIT = 10.0  # … above this many times chance's loss, log(classes)


@dataclass(frozen=True)
class TrainingData:
    """The training and validation images (uint8 [N, 28, 28]) and labels, on the device."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @classmethod
    def split(cls, images, labels, config: TrainConfig, device: str, extra=None):
        """`extra` (images, labels) joins the training part only, never the validation split."""
        train_idx, val_idx = split_indices(len(images), config.val_size, config.seed)
        if config.train_size is not None:  # a seeded subset of the training part, never of val
            train_idx = subset_indices(train_idx, config.train_size, config.seed)
        images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int64)
        x_train, y_train = images[train_idx], labels[train_idx]
        if extra is not None:
            x_train = np.concatenate([x_train, np.asarray(extra[0], dtype=np.uint8)])
            y_train = np.concatenate([y_train, np.asarray(extra[1], dtype=np.int64)])
        return cls(
            torch.tensor(x_train, device=device),
            torch.tensor(y_train, device=device),
            torch.tensor(images[val_idx], device=device),
            torch.tensor(labels[val_idx], device=device),
        )


@dataclass(frozen=True)
class EpochFit:
    """What one pass over the training images gave: its mean loss and accuracy, the last rate."""

    loss: float
    accuracy: float
    learning_rate: float


@dataclass(frozen=True)
class Divergence:
    """Why an epoch was cut short: the loss went bad (the reason names the epoch and batch)."""

    reason: str


def resolve_device(requested: str) -> str:
    if requested == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise RuntimeError("CUDA was asked for but this torch has no usable GPU")
    return "cpu"


def memory_layout(device: str | torch.device) -> torch.memory_format:
    """Channels-last on the CPU, where oneDNN's convolutions run about 20 % faster in it."""
    cpu = torch.device(device).type == "cpu"
    return torch.channels_last if cpu else torch.contiguous_format


def split_indices(n: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded train/validation split of the training set."""
    order = np.random.default_rng(seed).permutation(n)
    val_size = max(0, min(val_size, n - 1))
    return np.sort(order[val_size:]), np.sort(order[:val_size])


def subset_indices(indices: np.ndarray, size: int, seed: int) -> np.ndarray:
    """`size` of `indices`, drawn with `seed` (all of them if there are fewer), sorted."""
    order = np.random.default_rng([seed, 1]).permutation(len(indices))
    return np.sort(indices[order[:size]])


@torch.inference_mode()
def network_logits(net: SpecNet, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """The logits of `net` for uint8 images [N, 28, 28], on their device."""
    net.eval()
    chunks = [
        net(images[start : start + batch_size].unsqueeze(1).float().div_(255))
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks) if chunks else torch.empty(0, net.spec.classes)


@torch.inference_mode()
def evaluate_network(
    net: SpecNet, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000
) -> tuple[float, float]:
    """Mean loss and accuracy of `net` on uint8 images [N, 28, 28] (one host transfer)."""
    if len(images) == 0:
        return 0.0, 0.0
    logits = network_logits(net, images, batch_size)
    loss = F.cross_entropy(logits, labels, reduction="sum")
    correct = (logits.argmax(1) == labels).sum()
    loss_sum, right = torch.stack([loss, correct.to(loss.dtype)]).tolist()
    return loss_sum / len(images), right / len(images)


def divergence(losses: torch.Tensor, checked: int, epoch: int, limit: float) -> str | None:
    """Why training diverged, naming the batch, or None: a loss that is not finite, or a mean
    over the last LOSS_WINDOW batches above `limit`.

    `losses` holds this epoch's per-batch losses so far, on any device; the first `checked` were
    found fine already. One host transfer a call, so it may run every batch or every few.
    """
    start = max(0, checked - LOSS_WINDOW + 1)
    values = losses[start:].tolist()
    for batch in range(checked, start + len(values)):
        loss, where = values[batch - start], f"in epoch {epoch}, batch {batch + 1}"
        if not math.isfinite(loss):
            return f"loss became {loss} {where}"
        recent = values[max(0, batch - start - LOSS_WINDOW + 1) : batch - start + 1]
        if len(recent) == LOSS_WINDOW and sum(recent) / LOSS_WINDOW > limit:
            return f"loss exploded to {sum(recent) / LOSS_WINDOW:.3g} {where}"
    return None


def stall(event: EpochDone, classes: int) -> str | None:
    """Why the run stalled after this epoch, or None: no better than chance + 5 points."""
    judged = event.val_accuracy if event.val_accuracy is not None else event.train_accuracy
    chance = 1.0 / classes
    if judged <= chance + 0.05:
        return (
            f"accuracy {judged:.1%} after epoch {event.epoch} is no better than chance "
            f"({chance:.0%}) + 5 points"
        )
    return None


def train_epoch(
    net: SpecNet,
    optimizer: torch.optim.Optimizer,
    data: TrainingData,
    config: TrainConfig,
    epoch: int,
    history: RunHistory,
) -> Generator[BatchDone, None, EpochFit | Divergence]:
    """One pass over the training images in an order seeded by (seed, epoch); returns the
    epoch's fit, or its divergence (naming the bad batch).

    The host never waits for the device inside a batch: losses and correct counts stay on the
    device, and only at the batches the history keeps (every tenth, and the last) is there one
    transfer, which checks divergence and yields a BatchDone with the mean loss and accuracy of
    the batches since the previous one.
    """
    device = data.x_train.device
    rng = torch.Generator(device=device).manual_seed(config.seed * 100_003 + epoch)
    order = torch.randperm(len(data.x_train), generator=rng, device=device)
    batches = math.ceil(len(data.x_train) / config.batch_size)
    limit = LOSS_LIMIT * math.log(net.spec.classes)
    augment = AugmentConfig(**config.strengths) if config.augmented else None
    losses = torch.zeros(batches, device=device)  # each batch's mean loss
    corrects = torch.zeros(batches, device=device)  # each batch's correct count
    n = len(data.x_train)
    sizes = [min(config.batch_size, n), n - (batches - 1) * config.batch_size]  # first, last
    layout = memory_layout(device)
    net.train()
    checked = 0  # batches whose loss was found fine
    rate = config.learning_rate
    for batch in range(batches):
        step = (epoch - 1) * batches + batch
        rate = set_learning_rate(optimizer, config, step, batches * config.epochs)
        take = order[batch * config.batch_size : (batch + 1) * config.batch_size]
        x = data.x_train[take].unsqueeze(1).float().div_(255)
        y = data.y_train[take]
        if augment is not None:
            x = augment_batch(x, augment, rng, step=step)
        x = x.contiguous(memory_format=layout)
        logits = net(x)
        loss = F.cross_entropy(logits, y)
        losses[batch] = loss.detach()
        corrects[batch] = (logits.argmax(1) == y).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if batch % BATCH_EVERY and batch != batches - 1:  # the batches the history keeps
            continue
        if reason := divergence(losses[: batch + 1], checked, epoch, limit):
            return Divergence(reason)
        event = _window_event(losses, corrects, checked, batch, sizes, config, epoch, history)
        checked = batch + 1
        history.add_batch(event)
        yield event
    seen = len(data.x_train)
    weights = torch.full((batches,), float(sizes[0]), device=device)
    weights[-1] = sizes[1]
    loss_sum, correct = torch.stack([(losses * weights).sum(), corrects.sum()]).tolist()
    return EpochFit(loss_sum / seen, correct / seen, rate)


def _window_event(
    losses: torch.Tensor,
    corrects: torch.Tensor,
    first: int,
    last: int,
    sizes: list[int],
    config: TrainConfig,
    epoch: int,
    history: RunHistory,
) -> BatchDone:
    """BatchDone for batch `last` with the mean loss and accuracy of batches first..last."""
    batches = len(losses)
    count = last + 1 - first
    images = count * sizes[0] + (sizes[1] - sizes[0] if last == batches - 1 else 0)
    loss, correct = torch.stack(
        [losses[first : last + 1].mean(), corrects[first : last + 1].sum()]
    ).tolist()
    return BatchDone(epoch, last + 1, batches, loss, correct / images, history.elapsed())


def calibrate(net: SpecNet, images: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """The temperature fitted on held-out images (the validation split) and the expected
    calibration error there before and after it: what the history and model card record."""
    from workbench.core.evaluation.calibration import (
        expected_calibration_error,
        fit_temperature,
        softmax,
    )

    logits = network_logits(net, images).double().cpu().numpy()
    truth = labels.cpu().numpy()
    temperature = fit_temperature(logits, truth)
    return {
        "temperature": temperature,
        "fitted_on": "validation",
        "n": len(truth),
        "ece_before": expected_calibration_error(softmax(logits), truth),
        "ece_after": expected_calibration_error(softmax(logits, temperature), truth),
    }


def save_epoch(
    run_dir: Path | None, epoch: int, net: SpecNet, optimizer: torch.optim.Optimizer
) -> Path | None:
    """The epoch's checkpoint, in the run folder if there is one."""
    if run_dir is None:
        return None
    path = checkpoint_path(run_dir, epoch)
    save_checkpoint(path, net, optimizer, {"epoch": epoch})
    return path


def keep_best(
    net: SpecNet, history: RunHistory, run_dir: Path | None, best_weights: dict | None
) -> None:
    """Early stopping keeps the best validation epoch: its weights go back into `net` (what
    `--out` writes) and its number into the history as `kept_epoch` (what `export RUN` takes)."""
    best = best_epoch(history.data["epochs"])
    if best is None:
        return
    if run_dir is not None:
        load_checkpoint(checkpoint_path(run_dir, best), net)
    elif best_weights is not None:
        net.load_state_dict(best_weights)
    history.data["kept_epoch"] = best


def train(
    config: TrainConfig,
    images: np.ndarray,
    labels: np.ndarray,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra_history: dict[str, Any] | None = None,
    extra_training: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[Any]:
    """Train a network on uint8 images [N, 28, 28] and labels [N], yielding events.

    With `run_dir`, a checkpoint per epoch and `history.json` are written there atomically;
    `resume=True` continues the run in `run_dir` from its last checkpoint. `extra_training`
    (images, labels) is added to the training part (not validation); a resume cannot check it.
    """
    config.validate()
    if resume and extra_training is not None:
        raise ValueError("a run with extra training images cannot be resumed")
    device = resolve_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    run_dir = Path(run_dir) if run_dir else None
    spec = config.model_spec()
    # -- start or resume: the run as recorded (resume.py), its data identified, its lock held
    identity = training_identity(images, labels)
    if resume:  # refuses (ResumeRefused) what would not continue the run as recorded
        history = continue_history(run_dir, config, identity, len(images))
    data = TrainingData.split(images, labels, config, device, extra_training)
    n_train, n_val = len(data.x_train), len(data.x_val)
    net = build_network(spec, config.seed, config.init, config.init_constant)
    net = net.to(device, memory_format=memory_layout(device))
    optimizer = make_optimizer(net, config)
    if resume:
        if history.epochs_done:
            load_checkpoint(checkpoint_path(run_dir, history.epochs_done), net, optimizer)
    else:
        extra = {**(extra_history or {}), IDENTITY_KEY: identity}
        history = RunHistory.begin(run_dir, config, spec, n_train, n_val, extra)
    first_epoch = history.epochs_done + 1
    batches = math.ceil(n_train / config.batch_size)
    state, reason = "finished", f"{config.epochs} epoch{'s' if config.epochs != 1 else ''} done"
    best_weights = None  # early stopping without a run folder: the best epoch's weights
    if run_dir is not None:
        write_lock(run_dir)  # readers tell a live run from one whose process is gone
    history.save()
    try:  # a stop right after RunStarted still leaves a "stopped" history, not a bare folder
        yield RunStarted(
            spec,
            config.epochs,
            first_epoch,
            batches,
            n_train,
            n_val,
            device,
            torch.get_num_threads(),
        )
        for epoch in range(first_epoch, config.epochs + 1):
            fit = yield from train_epoch(net, optimizer, data, config, epoch, history)
            if isinstance(fit, Divergence):
                state, reason = "diverged", fit.reason
                break
            val_loss, val_accuracy = (
                evaluate_network(net, data.x_val, data.y_val) if n_val else (None, None)
            )
            checkpoint = save_epoch(run_dir, epoch, net, optimizer)
            done = EpochDone(
                epoch,
                fit.loss,
                fit.accuracy,
                val_loss,
                val_accuracy,
                history.seconds(),
                fit.learning_rate,
                checkpoint,
            )
            history.add_epoch(done)
            yield done
            if stalled := stall(done, spec.classes):
                state, reason = "stalled", stalled
                break
            if config.early_stop:
                rows = history.data["epochs"]
                if run_dir is None and best_epoch(rows) == epoch:
                    best_weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
                if stopped := early_stop_reason(rows, config.early_stop):
                    state, reason = "finished", stopped
                    break
    except (GeneratorExit, KeyboardInterrupt):
        history.end("stopped", "stopped by the user")
        net.to(memory_format=torch.contiguous_format).eval()
        raise
    except Exception as exc:  # a full disk, a lost folder: "stopped" if that can still be saved
        with contextlib.suppress(OSError):
            history.end("stopped", f"stopped by an error: {exc}")
        raise
    else:
        if config.early_stop:
            keep_best(net, history, run_dir, best_weights)
        if state == "finished" and n_val:
            history.data["calibration"] = calibrate(net, data.x_val, data.y_val)
        history.end(state, reason)
    finally:  # the run ended, however: the lock goes (a reader then believes history.json)
        if run_dir is not None:
            remove_lock(run_dir)
    net.to(memory_format=torch.contiguous_format).eval()
    yield RunEnded(state, reason, history.epochs_done, history.data["seconds"], history.data, net)
