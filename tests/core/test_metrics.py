"""Metrics on a set with known labels and known answers: every number is computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.evaluation.metrics import (
    accuracy,
    confusion_matrix,
    per_class,
    row_normalised,
    top_confused,
)


def test_matrix_accuracy_per_class_and_pairs_are_exact():
    labels = np.array([7, 7, 7, 7, 2, 2, 1, 1, 1, 0])
    preds = np.array([7, 2, 2, 1, 2, 7, 1, 1, 1, 0])
    matrix = confusion_matrix(labels, preds)
    assert matrix.sum() == 10 and matrix[7, 2] == 2 and matrix[7, 1] == 1 and matrix[2, 7] == 1
    assert accuracy(matrix) == pytest.approx(6 / 10)
    rows = {row.digit: row for row in per_class(matrix)}
    # digit 7: predicted 7 twice (one right), true 7 four times.
    assert rows[7].precision == pytest.approx(1 / 2) and rows[7].recall == pytest.approx(1 / 4)
    assert rows[7].f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    # digit 2: predicted three times (one right), true twice.
    assert rows[2].precision == pytest.approx(1 / 3) and rows[2].recall == pytest.approx(1 / 2)
    assert rows[1].precision == pytest.approx(3 / 4) and rows[1].recall == 1.0
    assert rows[5].support == 0 and rows[5].f1 == 0.0
    pairs = top_confused(matrix)
    assert [(p.true, p.pred, p.count) for p in pairs] == [(7, 2, 2), (2, 7, 1), (7, 1, 1)]
    assert pairs[0].describe() == "7 read as 2: 2"
    np.testing.assert_allclose(row_normalised(matrix)[7], [0, 0.25, 0.5, 0, 0, 0, 0, 0.25, 0, 0])


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError):
        confusion_matrix(np.array([1, 2]), np.array([1]))
