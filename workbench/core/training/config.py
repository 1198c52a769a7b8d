"""The settings of a training run: plain values, importable without torch (the window needs it)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.model.spec import ModelSpec, preset

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
        self.model_spec()
