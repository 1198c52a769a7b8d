"""Read every digit in a photo or scan: split it into crops, then one batched prediction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from workbench.core.recognition.images import Photo, load_photo
from workbench.core.recognition.segmentation import WORK_PIXELS, Box, split_digits


class _Prediction(Protocol):
    probabilities: np.ndarray  # [n, 10]

    def top(self, k: int = 2) -> list[list[tuple[int, float]]]: ...


class DigitPredictor(Protocol):
    """What `read_digits` needs of `recognition.predictor.Predictor` (free of onnxruntime)."""

    def predict(self, images: np.ndarray, activations: bool = True) -> _Prediction: ...


@dataclass(frozen=True)
class DigitReading:
    box: Box  # x, y, w, h in image pixels
    image: np.ndarray  # the 28×28 input the network saw
    top: list[tuple[int, float]]  # (digit, probability), best first


def read_digits(
    grey: np.ndarray,
    predictor: DigitPredictor,
    top: int = 2,
    size: tuple[int, int] | None = None,
) -> list[DigitReading]:
    """The digits in `grey` in reading order, each with its `top` most likely readings; boxes in
    the pixels of an image of `size` (width, height; default `grey`'s own, see `split_digits`).

    An image with no digit gives an empty list, never a guess.
    """
    crops = split_digits(grey, judge=digit_probabilities(predictor), size=size)
    if not crops:
        return []
    batch = np.stack([crop.image for crop in crops]).astype(np.float32)
    ranked = predictor.predict(batch, activations=False).top(top)  # the logits alone
    return [
        DigitReading(crop.box, crop.image, best) for crop, best in zip(crops, ranked, strict=True)
    ]


def read_photo(source, predictor: DigitPredictor, top: int = 2) -> list[DigitReading]:
    """`read_digits` of an image file (a path or its bytes), boxes in the file's pixels."""
    photo = load_for_reading(source)
    return read_digits(photo.grey, predictor, top=top, size=photo.size)


def load_for_reading(source) -> Photo:
    """An image file (a path or its bytes) as `read_photo` reads it: a big photo decoded and
    reduced to the size the segmentation works at (`images.load_photo`)."""
    return load_photo(source, at_most=WORK_PIXELS)


def digit_probabilities(predictor: DigitPredictor):
    """The `judge` of `split_digits`: crops [n, 28, 28] → each digit's probability [n, 10]."""

    def judge(images: np.ndarray) -> np.ndarray:
        prediction = predictor.predict(np.asarray(images, np.float32), activations=False)
        return np.asarray(prediction.probabilities, dtype=np.float64)

    return judge


def percent_text(probability: float, decimals: int = 0) -> str:
    """A probability as a person reads it: `98 %`; never a rounded `100 %` or `0 %` for what
    is not certain (`> 99 %`, `< 1 %`)."""
    value = 100.0 * float(probability)
    step = 10.0**-decimals
    shown = round(value, decimals)
    if shown >= 100.0 and value < 100.0:
        return f"> {100.0 - step:.{decimals}f} %"
    if shown <= 0.0 and value > 0.0:
        return f"< {step:.{decimals}f} %"
    return f"{shown:.{decimals}f} %"


def reading_text(digit: int, probability: float) -> str:
    """One reading as the photo's box labels, the strip and `predict` write it: `7 · 98 %`."""
    return f"{digit} · {percent_text(probability)}"
