"""The settings of a training run: plain values, importable without torch (the window needs it)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.model.spec import INITS, ModelSpec, preset

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "onecycle")


@dataclass(frozen=True)
class TrainConfig:
    """Defaults: the LeNet-5 recipe that passes 99 % validation accuracy on MNIST in 8 epochs."""

    preset: str = "lenet5"
    activation: str = "relu"
    pooling: str = "max"
    spec: dict[str, Any] | None = None  # a custom spec; overrides preset/activation/pooling
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 8
    seed: int = 0
    val_size: int = 5000
    augment: bool = True
    schedule: str = "onecycle"
    threads: int | None = None
    device: str = "cpu"
    train_size: int | None = None  # train on this many of the training images (a seeded subset)
    early_stop: int | None = None  # stop this many epochs after the best validation loss
    init: str = "default"  # default (random), zeros or constant
    init_constant: float = 0.1  # the weights' value with init "constant"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """A config from its saved form (history.json, the training pipe), ignoring keys this
        version lacks."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """The saved form: plain JSON values, every field."""
        return dataclasses.asdict(self)

    def model_spec(self) -> ModelSpec:
        if self.spec is not None:
            return ModelSpec.from_dict(self.spec)
        return preset(self.preset, self.activation, self.pooling)

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}")
        rate = self.learning_rate
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"the learning rate must be a positive number, not {rate!r}")
        if not (self.batch_size > 0 and self.epochs > 0):
            raise ValueError("batch size and epochs must be positive")
        if self.train_size is not None and self.train_size < 1:
            raise ValueError("the training subset needs at least one image")
        if self.early_stop is not None and self.early_stop < 1:
            raise ValueError("early-stopping patience must be at least 1 epoch")
        if self.early_stop is not None and self.val_size < 1:
            raise ValueError("early stopping needs validation images (val_size ≥ 1)")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, not {self.init!r}")
        if not math.isfinite(self.init_constant):
            raise ValueError("the constant initial weight must be a finite number")
        self.model_spec()
