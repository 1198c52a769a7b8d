"""The settings of a training run: plain values, importable without torch (the window needs it)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

from workbench.core.model.spec import INITS, ModelSpec, preset

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "onecycle")
# The augmentation families and their strengths: 0 off, 1 recommended, up to MAX_STRENGTH.
FAMILIES = ("affine", "stretch", "elastic", "lowres")
MAX_STRENGTH = 2.0  # the same bound as core/training/augmentation.py (which needs torch)
# What `augment: true` meant before the families had strengths (and `--augment` means now).
CLASSIC_STRENGTHS = {"affine": 1.0, "stretch": 0.0, "elastic": 0.0, "lowres": 0.0}
NO_AUGMENTATION = dict.fromkeys(FAMILIES, 0.0)


def upgraded(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Saved settings in today's form: the old on/off `augment` (history files, model cards
    and pipes written before the families had strengths) becomes strengths, when none are set
    (true: the classic affine distortions; false: none)."""
    values = dict(settings)
    augment = values.pop("augment", None)
    if augment is not None and not any(name in values for name in FAMILIES):
        values.update(CLASSIC_STRENGTHS if augment else NO_AUGMENTATION)
    return values


@dataclass(frozen=True)
class TrainConfig:
    """Defaults: the LeNet-5 recipe that passes 99 % validation accuracy on MNIST in 5 epochs
    (batch 512 for fewer, larger CPU kernels; Adam's rate scaled up with it; one-cycle).

    `augment=True/False` (the old on/off flag, still read from old history files) is a
    shorthand: False turns every family off, True turns on the classic affine family when no
    strength is set.
    """

    preset: str = "lenet5"
    activation: str = "relu"
    pooling: str = "max"
    spec: dict[str, Any] | None = None  # a custom spec; overrides preset/activation/pooling
    optimizer: str = "adam"
    learning_rate: float = 8e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 512
    epochs: int = 5
    seed: int = 0
    val_size: int = 5000
    affine: float = 1.0  # rotation, shift, scale, shear, stroke width, blur
    stretch: float = 0.0  # independent x/y scale, digits stretched to fill a box
    elastic: float = 0.0  # a smoothed random displacement field
    lowres: float = 0.0  # down to 7-14 px and back up
    schedule: str = "onecycle"
    threads: int | None = None
    device: str = "cpu"
    train_size: int | None = None  # train on this many of the training images (a seeded subset)
    early_stop: int | None = None  # stop this many epochs after the best validation loss
    init: str = "default"  # default (random), zeros or constant
    init_constant: float = 0.1  # the weights' value with init "constant"
    augment: InitVar[bool | None] = None

    def __post_init__(self, augment: bool | None) -> None:
        if augment is False:
            for name in FAMILIES:
                object.__setattr__(self, name, 0.0)
        elif augment and not self.augmented:
            object.__setattr__(self, "affine", 1.0)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """A config from its saved form (history.json, the training pipe, a model card),
        ignoring keys this version lacks; an old `augment: true/false` maps to strengths."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in upgraded(data).items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """The saved form: plain JSON values, every field."""
        return dataclasses.asdict(self)

    @property
    def strengths(self) -> dict[str, float]:
        """Each augmentation family's strength."""
        return {name: float(getattr(self, name)) for name in FAMILIES}

    @property
    def augmented(self) -> bool:
        return any(value > 0 for value in self.strengths.values())

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
        for name in FAMILIES:
            value = getattr(self, name)
            if not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and 0.0 <= value <= MAX_STRENGTH
            ):
                raise ValueError(
                    f"augmentation strength {name} must be a number from 0 to "
                    f"{MAX_STRENGTH:g}, not {value!r}"
                )
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


# Read back, `config.augment` says whether any family is on (what the flag said before the
# strengths); as an argument it is the shorthand above. Set after the class is made, so the
# dataclass keeps it an init-only argument.
TrainConfig.augment = property(lambda self: self.augmented)  # type: ignore[assignment]
