"""Read every digit in a photo or scan: split it into crops, then one batched prediction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from workbench.core.recognition.segmentation import Box, split_digits


class _Prediction(Protocol):
    def top(self, k: int = 2) -> list[list[tuple[int, float]]]: ...


class DigitPredictor(Protocol):
    """What `read_digits` needs of `recognition.predictor.Predictor` (free of onnxruntime)."""

    def predict(self, images: np.ndarray) -> _Prediction: ...


@dataclass(frozen=True)
class DigitReading:
    box: Box  # x, y, w, h in image pixels
    image: np.ndarray  # the 28×28 input the network saw
    top: list[tuple[int, float]]  # (digit, probability), best first


def read_digits(grey: np.ndarray, predictor: DigitPredictor, top: int = 2) -> list[DigitReading]:
    """The digits in `grey` in reading order, each with its `top` most likely readings.

    An image with no digit gives an empty list, never a guess.
    """
    crops = split_digits(grey)
    if not crops:
        return []
    batch = np.stack([crop.image for crop in crops]).astype(np.float32)
    ranked = predictor.predict(batch).top(top)
    return [
        DigitReading(crop.box, crop.image, best) for crop, best in zip(crops, ranked, strict=True)
    ]
