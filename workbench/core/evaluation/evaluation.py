"""Evaluate a model over a labelled set: the numbers behind `workbench eval` and its view."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.core.evaluation.calibration import (
    ReliabilityBin,
    expected_calibration_error,
    reliability,
)
from workbench.core.evaluation.metrics import (
    ClassMetrics,
    ConfusedPair,
    accuracy,
    confusion_matrix,
    per_class,
    top_confused,
)
from workbench.core.recognition.predictor import Predictor

if TYPE_CHECKING:
    from workbench.core.evaluation.nonmnist_score import NonMnistScore


@dataclass(frozen=True)
class TestSetLoaded:
    """The first event of `evaluation_events`: the images it is about to run."""

    __test__ = False  # not a pytest test class, whatever its name

    images: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class EvalProgress:
    done: int
    total: int


@dataclass(frozen=True)
class EvalResult:
    accuracy: float
    n: int
    confusion: np.ndarray
    per_class: list[ClassMetrics]
    top_confused: list[ConfusedPair]
    seconds: float  # wall time of the inference over the whole set
    provider: str
    probabilities: np.ndarray = field(repr=False)  # [N, 10], for galleries of a cell
    labels: np.ndarray = field(repr=False)
    # Expected calibration error of the top-1 confidence (15 equal-width bins) and the bins
    # behind it (the reliability diagram); NaN and () when there is nothing to measure.
    ece: float = math.nan
    reliability: tuple[ReliabilityBin, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "confusion": self.confusion.tolist(),
            "per_class": [vars(row) for row in self.per_class],
            "top_confused": [vars(pair) for pair in self.top_confused],
            "seconds": self.seconds,
            "provider": self.provider,
            "ece": self.ece if math.isfinite(self.ece) else None,
            "reliability": [_bin_json(row) for row in self.reliability],
        }


def _bin_json(row: ReliabilityBin) -> dict[str, Any]:
    """A bin as JSON: an empty bin's mean confidence and accuracy are null, not NaN."""
    return {
        key: (None if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in vars(row).items()
    }


def calibration_of(
    probabilities: np.ndarray, labels: np.ndarray
) -> tuple[float, tuple[ReliabilityBin, ...]]:
    """(ECE, reliability bins) of the answers; (NaN, ()) when there are none or one is NaN."""
    probabilities = np.asarray(probabilities)
    if len(probabilities) == 0 or not np.isfinite(probabilities).all():
        return math.nan, ()
    bins = tuple(reliability(probabilities, labels))
    return expected_calibration_error(probabilities, labels), bins


def iter_evaluate(
    predictor: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = 2500,
    workers: int | None = None,
) -> Iterator[EvalProgress | EvalResult]:
    """Yield progress per batch, then the result. uint8 images [N, 28, 28], labels [N].

    Batches run on `workers` threads (default: one per core), each a one-thread onnxruntime run
    on the same session: on a small CNN that beats one run with several intra-op threads.
    """
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.empty((len(images), 10), dtype=np.float32)
    starts = range(0, len(images), batch_size)

    def run(start: int) -> int:
        chunk = np.asarray(images[start : start + batch_size], dtype=np.float32) * (1 / 255)
        probabilities[start : start + len(chunk)] = predictor.predict(
            chunk, activations=False
        ).probabilities
        return start + len(chunk)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for done in pool.map(run, starts):
            yield EvalProgress(done, len(images))
    seconds = time.perf_counter() - began
    matrix = confusion_matrix(labels, probabilities.argmax(axis=1))
    ece, bins = calibration_of(probabilities, labels)
    yield EvalResult(
        accuracy(matrix),
        len(labels),
        matrix,
        per_class(matrix),
        top_confused(matrix),
        seconds,
        predictor.provider,
        probabilities,
        labels,
        ece,
        bins,
    )


def evaluate(
    predictor: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = 2500,
    workers: int | None = None,
) -> EvalResult:
    result = None
    for event in iter_evaluate(predictor, images, labels, batch_size, workers):
        result = event
    assert isinstance(result, EvalResult)
    return result


def evaluation_events(
    predictor: Predictor, folder: Path, verify: bool, non_mnist: int = 1000
) -> Iterator[TestSetLoaded | EvalProgress | EvalResult | NonMnistScore]:
    """Read the MNIST test split from `folder`, then `iter_evaluate` over it, then (unless
    `non_mnist` is 0) score the same predictor on that many non-MNIST digits, seed 14 (the
    Evaluate view's background job)."""
    from workbench.core.data.mnist import load_split
    from workbench.core.evaluation import nonmnist_score

    images, labels = load_split(folder, "test", verify=verify)
    yield TestSetLoaded(images, labels)
    yield from iter_evaluate(predictor, images, labels)
    if non_mnist:
        yield nonmnist_score.score(predictor, non_mnist)
