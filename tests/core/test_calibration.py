"""Temperature scaling and ECE against brute-force references on data made here."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability,
    softmax,
)


def overconfident(n: int = 4000, seed: int = 0, true_t: float = 3.0):
    """Logits whose honest temperature is true_t: labels are drawn from softmax(logits / true_t)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, size=(n, 10))
    p = softmax(logits, true_t)
    labels = np.array([rng.choice(10, p=row) for row in p])
    return logits, labels


def test_fitted_temperature_is_the_grid_minimum_and_recovers_the_truth():
    logits, labels = overconfident()
    t = fit_temperature(logits, labels)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 4001))
    best = grid[np.argmin([negative_log_likelihood(logits, labels, g) for g in grid])]
    assert t == pytest.approx(best, rel=2e-3)
    assert t == pytest.approx(3.0, rel=0.1)


def test_temperature_lowers_ece_on_overconfident_logits():
    logits, labels = overconfident(seed=1)
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits, fit_temperature(logits, labels)), labels)
    assert before > 0.1 and after < 0.03


def test_ece_by_hand():
    # three answers at confidence 0.9 (two right), one at 0.3 (wrong): bins 14 and 4
    p = np.array([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.3, 0.7]])
    p = np.concatenate([p, np.zeros((4, 8))], axis=1)
    labels = np.array([0, 0, 0, 0])
    # top-1: 0.9 right, 0.9 right, 0.9 wrong, 0.7 wrong -> bins (0.867,0.933] and (0.667,0.733]
    expected = (3 * abs(2 / 3 - 0.9) + 1 * abs(0 - 0.7)) / 4
    assert expected_calibration_error(p, labels) == pytest.approx(expected)
    rows = reliability(p, labels)
    assert sum(r.count for r in rows) == 4 and len(rows) == 15


def test_bad_logits_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        fit_temperature(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((0, 10)), np.zeros(0))
