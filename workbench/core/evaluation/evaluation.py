"""Evaluate a model over a labelled set: the numbers behind `workbench eval` and its view."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.evaluation.metrics import (
    ClassMetrics,
    ConfusedPair,
    accuracy,
    confusion_matrix,
    per_class,
    top_confused,
)
from workbench.core.recognition.predictor import Predictor


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

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "confusion": self.confusion.tolist(),
            "per_class": [vars(row) for row in self.per_class],
            "top_confused": [vars(pair) for pair in self.top_confused],
            "seconds": self.seconds,
            "provider": self.provider,
        }


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
    predictor: Predictor, folder: Path, verify: bool
) -> Iterator[TestSetLoaded | EvalProgress | EvalResult]:
    """Read the MNIST test split from `folder`, then `iter_evaluate` over it (the Evaluate view's
    background job)."""
    from workbench.core.data.mnist import load_split

    images, labels = load_split(folder, "test", verify=verify)
    yield TestSetLoaded(images, labels)
    yield from iter_evaluate(predictor, images, labels)
