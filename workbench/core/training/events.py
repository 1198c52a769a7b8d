"""What a training run reports, as frozen dataclasses, and their one JSON form (both directions).

The loop yields RunStarted, BatchDone, EpochDone and RunEnded; the training process adds
JobStarted and Heartbeat. `event_to_dict` gives the JSON-able dict that `workbench train --json`
prints and the training process writes to its pipe; `event_from_dict` turns it back into the
event (fields marked `local` — a run's history and network — stay behind, at their defaults).
Torch-free: the window decodes events without importing torch.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.model.spec import ModelSpec

LOCAL = {"local": True}  # field metadata: never serialised (large, or not JSON at all)


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
    batch: int  # 1-based
    batches: int
    loss: float
    accuracy: float
    seconds: float  # since the run (or resume) started

    @property
    def x(self) -> float:
        """Where the batch lies on the curves' axis, in epochs."""
        return self.epoch - 1 + self.batch / self.batches


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
    history: dict[str, Any] = field(repr=False, default_factory=dict, metadata=LOCAL)
    network: Any = field(repr=False, compare=False, default=None, metadata=LOCAL)


@dataclass(frozen=True)
class JobStarted:
    """The training process has its data and starts the run in `run_dir`."""

    run_dir: Path
    resumed: bool
    n_images: int


@dataclass(frozen=True)
class Heartbeat:
    """The training process is alive: lets the window check for Stop while nothing else happens."""


EVENT_TYPES: dict[str, type] = {
    kind.__name__: kind
    for kind in (RunStarted, BatchDone, EpochDone, RunEnded, JobStarted, Heartbeat)
}
# Values that JSON cannot hold as they are: (type, to JSON, from JSON).
_CODECS: tuple[tuple[type, Any, Any], ...] = (
    (Path, str, Path),
    (ModelSpec, ModelSpec.to_dict, ModelSpec.from_dict),
)


def _codec(hint: Any) -> tuple[type, Any, Any] | None:
    """The codec of a field's type, also when it is optional (`Path | None`)."""
    options = typing.get_args(hint) or (hint,)
    for kind, encode, decode in _CODECS:
        if kind in options:
            return kind, encode, decode
    return None


def _wire_fields(kind: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(kind)
    return [
        (f.name, hints[f.name]) for f in dataclasses.fields(kind) if not f.metadata.get("local")
    ]


def event_to_dict(event: Any) -> dict[str, Any]:
    """{"event": "EpochDone", "epoch": 1, …}: the event's fields, in order, as JSON values."""
    row: dict[str, Any] = {"event": type(event).__name__}
    for name, hint in _wire_fields(type(event)):
        value = getattr(event, name)
        codec = _codec(hint)
        row[name] = codec[1](value) if codec and value is not None else value
    return row


def event_from_dict(row: dict[str, Any]) -> Any:
    """The event that `event_to_dict` wrote (raises ValueError for an unknown kind)."""
    try:
        kind = EVENT_TYPES[row["event"]]
    except KeyError:
        raise ValueError(f"not a training event: {row.get('event')!r}") from None
    values = {}
    for name, hint in _wire_fields(kind):
        value = row[name]
        codec = _codec(hint)
        values[name] = codec[2](value) if codec and value is not None else value
    return kind(**values)
