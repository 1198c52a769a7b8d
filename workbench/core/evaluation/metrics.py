"""Classification metrics from labels and predictions: plain numpy, exact, no framework."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassMetrics:
    digit: int
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ConfusedPair:
    true: int
    pred: int
    count: int

    def describe(self) -> str:
        return f"{self.true} read as {self.pred}: {self.count}"


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts [true, predicted]; rows are the true digit."""
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    if labels.shape != predictions.shape:
        raise ValueError("labels and predictions differ in length")
    flat = np.bincount(labels * classes + predictions, minlength=classes * classes)
    return flat.reshape(classes, classes)


def accuracy(matrix: np.ndarray) -> float:
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else 0.0


def per_class(matrix: np.ndarray) -> list[ClassMetrics]:
    """Precision, recall and F1 per class; 0.0 where a class is never predicted or present."""
    tp = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    rows = []
    for digit in range(len(matrix)):
        precision = tp[digit] / predicted[digit] if predicted[digit] else 0.0
        recall = tp[digit] / support[digit] if support[digit] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            ClassMetrics(digit, float(precision), float(recall), float(f1), int(support[digit]))
        )
    return rows


def top_confused(matrix: np.ndarray, limit: int = 10) -> list[ConfusedPair]:
    """Off-diagonal cells with a count, largest first (ties: by true, then predicted digit)."""
    pairs = [
        ConfusedPair(t, p, int(matrix[t, p]))
        for t in range(len(matrix))
        for p in range(len(matrix))
        if t != p and matrix[t, p] > 0
    ]
    pairs.sort(key=lambda pair: (-pair.count, pair.true, pair.pred))
    return pairs[:limit]


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its total: the rate at which a true digit is read as each digit."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=float), where=totals > 0)
