"""Small learnable MNIST-like digits made by the tests (a module, so any test can import it)."""

from __future__ import annotations

import numpy as np


def make_pattern_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Learnable 28×28 uint8 images: class k is a bright bar at a place and angle set by k."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        row = 4 + (label // 5) * 12 + rng.integers(-1, 2)
        col = 3 + (label % 5) * 5 + rng.integers(-1, 2)
        images[i, row : row + 8, col : col + 3] = 255
        images[i, row + 6 : row + 8, 2:26] = 160 if label % 2 else 0
    noise = rng.integers(0, 40, images.shape, dtype=np.uint8)
    return np.maximum(images, noise), labels
