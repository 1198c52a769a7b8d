"""A loaded photo and its digit boxes, with the user's fixes (no Qt: plain values, core calls)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from workbench.core.recognition import imageops
from workbench.core.recognition.images import area_reduced
from workbench.core.recognition.preprocessing import ink_from_grey
from workbench.core.recognition.reading import digit_probabilities
from workbench.core.recognition.rows import rows_of
from workbench.core.recognition.segmentation import (
    WORK_PIXELS,
    Box,
    crop_to_mnist,
    find_digit_boxes,
    split_digits,
)

AUTO_LEVEL = 0.25  # find_digit_boxes counts ink above this as strokes


@dataclass(frozen=True, eq=False)  # identity: two boxes are never the same digit
class PageDigit:
    box: Box  # x, y, w, h in the photo's pixels
    image: np.ndarray | None  # the 28×28 network input; None when the box holds no ink
    top: tuple[tuple[int, float], ...] = ()  # (digit, probability), best first


class Page:
    """The digits of one photo in reading order; every fix is undoable and re-reads the digits.

    The automatic split is `segment.split_digits`, exactly what `workbench predict` does. A fix
    (invert, ink threshold, delete, merge, a drawn box) works on the ink map of the photo.
    """

    def __init__(self, grey: np.ndarray, name: str = "image"):
        self.grey = np.asarray(grey, dtype=np.float32)
        self.name = name
        self.invert = False
        self.threshold: float | None = None  # None: the automatic split
        self.digits: list[PageDigit] = []
        self._history: list[tuple[list[PageDigit], bool, float | None]] = []
        self._ink: np.ndarray | None = None
        self._predictor = None  # the split's judge, once `split(predictor)` gave one
        self._scale = min(1.0, math.sqrt(WORK_PIXELS / self.grey.size))  # as split_digits does
        self._work = area_reduced(self.grey, WORK_PIXELS)

    # -- reading --------------------------------------------------------------------------------

    def split(self, predictor=None) -> None:
        """The automatic split, as `workbench predict` reads the photo (with the `predictor`,
        its second look at boxes it cannot read)."""
        if predictor is not None:
            self._predictor = predictor
        judge = digit_probabilities(self._predictor) if self._predictor is not None else None
        self.digits = [PageDigit(c.box, c.image) for c in split_digits(self.grey, judge)]

    def read(self, predictor) -> None:
        """Top-2 for every digit, in one batched prediction."""
        ready = [i for i, d in enumerate(self.digits) if d.image is not None]
        if predictor is None or not ready:
            self.digits = [replace(d, top=()) for d in self.digits]
            return
        batch = np.stack([self.digits[i].image for i in ready]).astype(np.float32)
        ranked = predictor.predict(batch, activations=False).top(2)
        for index, top in zip(ready, ranked, strict=True):
            self.digits[index] = replace(self.digits[index], top=tuple(top))

    def labels(self) -> list[int | None]:
        return [d.top[0][0] if d.top else None for d in self.digits]

    # -- fixes ----------------------------------------------------------------------------------

    def set_invert(self, invert: bool) -> None:
        """Swap what counts as ink and paper (when the automatic choice got it wrong)."""
        if invert == self.invert:
            return
        self._remember()
        self.invert = invert
        self._ink = None
        self._resplit()

    def set_threshold(self, level: float | None) -> None:
        """Ink level (0…1) that counts as a stroke; None returns to the automatic split."""
        self._remember()
        self.threshold = level
        self._resplit()

    def delete(self, indices: list[int]) -> None:
        if not indices:
            return
        self._remember()
        drop = set(indices)
        self.digits = [d for i, d in enumerate(self.digits) if i not in drop]

    def merge(self, indices: list[int]) -> int | None:
        """One box around the chosen boxes; returns the new digit's index."""
        chosen = sorted(set(indices))
        if len(chosen) < 2:
            return None
        self._remember()
        boxes = [self.digits[i].box for i in chosen]
        x0 = min(b[0] for b in boxes)
        y0 = min(b[1] for b in boxes)
        x1 = max(b[0] + b[2] for b in boxes)
        y1 = max(b[1] + b[3] for b in boxes)
        merged = self._digit((x0, y0, x1 - x0, y1 - y0))
        keep = [d for i, d in enumerate(self.digits) if i not in set(chosen)]
        self.digits = reading_order([*keep, merged])
        return _index_of(self.digits, merged)

    def add_box(self, box: Box) -> int | None:
        """A box the user drew, clipped to the photo; returns its index (None if it is empty)."""
        box = self._clip(box)
        if box[2] < 2 or box[3] < 2:
            return None
        self._remember()
        digit = self._digit(box)
        self.digits = reading_order([*self.digits, digit])
        return _index_of(self.digits, digit)

    def can_undo(self) -> bool:
        return bool(self._history)

    def undo(self) -> bool:
        if not self._history:
            return False
        digits, invert, threshold = self._history.pop()
        if invert != self.invert:
            self._ink = None
        self.digits, self.invert, self.threshold = digits, invert, threshold
        return True

    # -- internals ------------------------------------------------------------------------------

    def _remember(self) -> None:
        self._history.append((list(self.digits), self.invert, self.threshold))
        del self._history[:-50]

    def ink(self) -> np.ndarray:
        """The ink map of the (working-size) photo, with the user's polarity."""
        if self._ink is None:
            ink = ink_from_grey(self._work)
            if self.invert:
                ink = _opposite_ink(self._work, ink)
            self._ink = ink
        return self._ink

    def _thresholded_ink(self) -> np.ndarray:
        ink = self.ink()
        level = AUTO_LEVEL if self.threshold is None else float(self.threshold)
        level = min(max(level, 0.02), 0.98)
        if level == AUTO_LEVEL:
            return ink
        # Rescale so that `level` lands on the splitter's stroke level; haze below half goes.
        scaled = np.clip(ink * (AUTO_LEVEL / level), 0.0, 1.0)
        return np.where(ink >= level / 2, scaled, 0.0).astype(np.float32)

    def _resplit(self) -> None:
        if self.threshold is None and not self.invert:
            self.split()
            return
        ink = self._thresholded_ink()
        self.digits = [self._digit(self._to_photo(box), ink) for box in find_digit_boxes(ink)]

    def _digit(self, box: Box, ink: np.ndarray | None = None) -> PageDigit:
        ink = self._thresholded_ink() if ink is None else ink
        return PageDigit(box, crop_to_mnist(ink, self._to_work(box)))

    def _to_work(self, box: Box) -> Box:
        if self._scale == 1.0:
            return box
        s = self._scale
        x0, y0 = int(box[0] * s), int(box[1] * s)
        return (
            x0,
            y0,
            max(1, math.ceil((box[0] + box[2]) * s) - x0),
            max(1, math.ceil((box[1] + box[3]) * s) - y0),
        )

    def _to_photo(self, box: Box) -> Box:
        if self._scale == 1.0:
            return box
        return self._clip(_scaled(box, 1.0 / self._scale))

    def _clip(self, box: Box) -> Box:
        height, width = self.grey.shape
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(width, int(box[0] + box[2])), min(height, int(box[1] + box[3]))
        return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _index_of(digits: list[PageDigit], digit: PageDigit) -> int:
    return next(i for i, d in enumerate(digits) if d is digit)


def _scaled(box: Box, scale: float) -> Box:
    x0, y0 = int(box[0] * scale), int(box[1] * scale)
    return (
        x0,
        y0,
        math.ceil((box[0] + box[2]) * scale) - x0,
        math.ceil((box[1] + box[3]) * scale) - y0,
    )


def _opposite_ink(grey: np.ndarray, auto_ink: np.ndarray) -> np.ndarray:
    """Ink of the other polarity than the automatic one, by a plain contrast stretch.

    ink_from_grey decides the polarity itself (the paper is the majority); when a digit fills
    most of the photo it can decide wrong, and the user's Invert takes the other side.
    """
    low, high = imageops.percentile(grey, 2), imageops.percentile(grey, 98)
    stretched = np.clip((grey - low) / max(float(high - low), 1e-6), 0, 1)
    strokes = auto_ink > 0.5
    dark_ink = not strokes.any() or float(grey[strokes].mean()) < float(imageops.median(grey))
    ink = stretched if dark_ink else 1.0 - stretched  # the automatic choice, swapped
    paper = float(imageops.median(ink))
    return np.clip((ink - paper) / max(1.0 - paper, 1e-6), 0, 1).astype(np.float32)


def reading_order(digits: list[PageDigit]) -> list[PageDigit]:
    """Rows as chains of vertically overlapping boxes (as the automatic split orders them)."""
    return [digits[i] for row in rows_of([d.box for d in digits]) for i in row]
