"""The homework report as plain data: its sections, figures and the inputs the user had read."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from PIL import Image

from workbench.core.recognition.conversions import as_bytes

if TYPE_CHECKING:  # `workbench report --help` and `predict` need none of these at start
    from workbench.core.evaluation.evaluation import EvalResult
    from workbench.core.model.anatomy import Anatomy
    from workbench.core.model.spec import ModelSpec

SECTIONS = ("model", "training", "evaluation", "inside", "inputs")
SECTION_TITLES = {
    "model": "The model",
    "training": "Training",
    "evaluation": "Evaluation",
    "inside": "Inside the network",
    "inputs": "Your own inputs",
}
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Figure:
    title: str
    png: bytes = field(repr=False)
    caption: str = ""


@dataclass(frozen=True)
class ClassifiedInput:
    """A drawing or photo the user had read: the picture, each digit's box and its top-2."""

    kind: Literal["drawing", "photo"]
    name: str
    image: bytes | np.ndarray = field(repr=False)  # PNG bytes, or grey/RGB uint8 pixels
    boxes: tuple[Box, ...] = ()
    top: tuple[tuple[tuple[int, float], ...], ...] = ()  # per box: (digit, probability) best first

    def picture(self) -> Image.Image:
        if isinstance(self.image, bytes):
            return Image.open(io.BytesIO(self.image)).convert("RGB")
        return Image.fromarray(as_bytes(self.image))


class InputLog:
    """What the user classified since the window opened, oldest first; keeps the last `limit`."""

    def __init__(self, limit: int = 24):
        self.limit = limit
        self._items: list[ClassifiedInput] = []

    def append(self, item: ClassifiedInput) -> None:
        self._items = [*self._items, item][-self.limit :]

    def update(self, item: ClassifiedInput) -> None:
        """Replace the entry of the same kind and name (a drawing growing stroke by stroke)."""
        kept = [i for i in self._items if (i.kind, i.name) != (item.kind, item.name)]
        self._items = [*kept, item][-self.limit :]

    def items(self) -> list[ClassifiedInput]:
        return list(self._items)

    def clear(self) -> None:
        self._items = []

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class RunCurves:
    """One training run: its name, settings, per-epoch rows and how it ended."""

    name: str
    config: dict[str, Any]
    epochs: list[dict[str, Any]]
    state: str = "finished"
    reason: str = ""
    batches: list[list[float]] = field(default_factory=list)  # kept [x in epochs, loss, acc]


@dataclass(frozen=True)
class ModelSection:
    name: str
    spec: ModelSpec
    anatomy: Anatomy
    origin: list[tuple[str, str]]  # (what, value): file, recipe, data, training time…


@dataclass(frozen=True)
class TrainingSection:
    runs: list[RunCurves]
    differences: list[str]  # per run, what differs from the others ("" for one run)
    figures: list[Figure]
    experiment: tuple[str, str] | None = None  # (experiment, its note) when the runs are one


@dataclass(frozen=True)
class Misread:
    index: int
    true: int
    top: tuple[tuple[int, float], tuple[int, float]]
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class EvaluationSection:
    result: EvalResult
    stored: bool  # the model card's evaluation, not one computed now
    figure: Figure
    misread: list[Misread]


@dataclass(frozen=True)
class InsideSection:
    input_figure: Figure
    prediction: tuple[tuple[int, float], ...]
    layers: list[Figure]  # one per layer: a grid of maps, or bars for units
    filters: list[Figure]


@dataclass(frozen=True)
class Report:
    title: str
    created: str
    model: ModelSection | None = None
    training: TrainingSection | None = None
    evaluation: EvaluationSection | None = None
    inside: InsideSection | None = None
    inputs: list[ClassifiedInput] | None = None

    def sections(self) -> list[str]:
        return [name for name in SECTIONS if getattr(self, name) is not None]
