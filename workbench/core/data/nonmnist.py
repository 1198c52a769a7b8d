"""A validation set of digits that are not MNIST: stroked by code, fonts, square boxes, low res."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage

from workbench.core.data import strokes, synth

VERSION = 1  # bump when the recipe changes: figures measured on another version don't compare
# The set that figures are reported on (bench, model card, Evaluate view, tests).
STANDARD_COUNT = 1000
STANDARD_SEED = 14
# Where each digit comes from, in a fixed cycle of 20 (every source gets every digit equally):
# pen = stroked by code, square = stretched to fill a square box, lowres = scanned at 8-12 px
# and scaled back up, font-hand / font-print = handwriting-style / printed fonts.
SOURCES = ("pen", "square", "lowres", "font-hand", "font-print")
_CYCLE = ("pen",) * 8 + ("square", "lowres", "font-hand", "font-print") * 3
_PEN_SHARE_OF_DISTORTED = 0.7  # square and lowres distort a stroked digit, else a hand font


@dataclass(frozen=True)
class Render:
    label: int
    grey: np.ndarray  # uint8 photo or scan: paper and ink
    style: str  # "source:detail", e.g. "pen:1-euro", "font-hand:Kristi", "lowres:9-open"


class NonMnistSet(NamedTuple):
    images: np.ndarray  # float32 [n, 28, 28], MNIST form (ink 1 on 0), as the app feeds them
    labels: np.ndarray  # int64 [n]
    styles: list[str]


def source_of(style: str) -> str:
    """The source part of a style: "pen:1-euro" -> "pen"."""
    return style.split(":", 1)[0]


def detail_of(style: str) -> str:
    """What drew it: the skeleton ("1-euro") or the font name ("Kristi")."""
    return style.split(":")[1]


def fonts_used() -> dict[str, list[str]]:
    """The font names this machine contributes, by source (the set's fonts part differs by
    machine: code-drawn strokes and Pillow's built-in font are everywhere)."""
    printed = [synth.font_name(path) for path in _printed_fonts()]
    return {"font-hand": [synth.font_name(p) for p in _hand_fonts()], "font-print": printed}


def identity(count: int = STANDARD_COUNT, seed: int = STANDARD_SEED, *, fonts: bool = True) -> dict:
    """What a figure on the set was measured on: recipe version, size, seed and the fonts
    found (a digest of their names: two machines with the same digest drew the same set)."""
    used = fonts_used() if fonts else {"font-hand": [], "font-print": []}
    names = "\n".join([*used["font-hand"], "|", *used["font-print"]])
    return {
        "name": "non-mnist",
        "version": VERSION,
        "count": int(count),
        "seed": int(seed),
        "handwriting_fonts": len(used["font-hand"]),
        "printed_fonts": len(used["font-print"]) + 1,  # Pillow's built-in font
        "fonts_digest": hashlib.sha256(names.encode()).hexdigest()[:12],
    }


def non_mnist_renders(
    count: int = STANDARD_COUNT,
    seed: int = STANDARD_SEED,
    *,
    invert: float = 0.0,
    fonts: bool = True,
) -> list[Render]:
    """`count` grey renders with labels and styles, the same for the same arguments and fonts.

    Digits cycle 0-9 and sources cycle through `_CYCLE`, so every style sees every digit.
    `invert` is the share drawn light on dark (chalk on a board). Without handwriting fonts
    (none installed, or `fonts=False`) their share is stroked by code instead; the printed
    share always has Pillow's built-in font.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    if not 0.0 <= invert <= 1.0:
        raise ValueError(f"invert is a share in [0, 1], not {invert}")
    renders = []
    for index in range(count):
        # One generator per digit: a digit stays the same whatever `count` is.
        rng = np.random.default_rng([seed, index, VERSION])
        digit = index % 10
        source = _CYCLE[(index // 10) % len(_CYCLE)]
        coverage, detail = glyph(digit, source, rng, fonts=fonts)
        if source == "font-hand" and not _hand_fonts(fonts):
            source = "pen"
        coverage = _distort(coverage, source, rng)
        dark_board = bool(rng.random() < invert)
        grey = _photo(coverage, rng, dark_board)
        style = f"{source}:{detail}" + (":inverted" if dark_board else "")
        renders.append(Render(digit, grey, style))
    return renders


def non_mnist_set(
    count: int = STANDARD_COUNT,
    seed: int = STANDARD_SEED,
    *,
    invert: float = 0.0,
    fonts: bool = True,
) -> NonMnistSet:
    """`non_mnist_renders` through the app's preprocessing (ink_from_grey, to_mnist).

    A render where no ink is found becomes a blank image (the app would read nothing there;
    a model cannot get it right).
    """
    from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist

    renders = non_mnist_renders(count, seed, invert=invert, fonts=fonts)
    images = np.zeros((len(renders), 28, 28), dtype=np.float32)
    for row, render in enumerate(renders):
        image = to_mnist(ink_from_grey(render.grey.astype(np.float32) / 255.0))
        if image is not None:
            images[row] = image
    labels = np.array([r.label for r in renders], dtype=np.int64)
    return NonMnistSet(images, labels, [r.style for r in renders])


def accuracy_by(
    styles: Sequence[str], correct: np.ndarray, key=source_of
) -> dict[str, tuple[float, int]]:
    """Accuracy and count per group of styles (by source unless `key` says otherwise)."""
    correct = np.asarray(correct, dtype=bool)
    if len(styles) != len(correct):
        raise ValueError(f"{len(styles)} styles but {len(correct)} results")
    groups: dict[str, list[bool]] = defaultdict(list)
    for style, ok in zip(styles, correct, strict=True):
        groups[key(style)].append(bool(ok))
    return {name: (float(np.mean(v)), len(v)) for name, v in sorted(groups.items())}


def is_unusual(style: str) -> bool:
    """A stroked digit in a style MNIST rarely has (European 1, open 4, crossed 7, ...)."""
    return detail_of(style) in strokes.UNUSUAL


def glyph(
    digit: int, source: str, rng: np.random.Generator, *, fonts: bool = True
) -> tuple[np.ndarray, str]:
    """Coverage of one digit (float32 0..1, cropped, 24-80 px tall) and what drew it.

    `source` is one of SOURCES; "square" and "lowres" stay undistorted here (their base is
    a stroked digit, or a handwriting font 30 % of the time). Without handwriting fonts they
    are stroked by code: the same draws are made whatever is installed, so the stroked digits
    are the same on every machine.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    hand = _hand_fonts(fonts)
    height = int(round(math.exp(rng.uniform(math.log(24), math.log(80)))))
    font_based = rng.random() > _PEN_SHARE_OF_DISTORTED
    if hand and (source == "font-hand" or (source in ("square", "lowres") and font_based)):
        font = hand[int(rng.integers(len(hand)))]
        mask = synth.glyph_mask(digit, font, height, rng.uniform(-6, 6))
        return mask, synth.font_name(font)
    if source == "font-print":
        printed = [*_printed_fonts(fonts), None]
        font = printed[int(rng.integers(len(printed)))]
        mask = synth.glyph_mask(digit, font, height, rng.uniform(-4, 4))
        return mask, synth.font_name(font)
    variants = strokes.VARIANTS[digit]
    variant = variants[int(rng.integers(len(variants)))]
    return strokes.pen_digit(variant, height, rng), variant


def _hand_fonts(fonts: bool = True) -> list[str]:
    return synth.find_fonts(synth.HANDWRITING_FONTS) if fonts else []


def _printed_fonts(fonts: bool = True) -> list[str]:
    return synth.find_fonts(synth.PRINTED_FONTS) if fonts else []


def _distort(coverage: np.ndarray, source: str, rng: np.random.Generator) -> np.ndarray:
    if source == "square":
        return _stretch_to_square(coverage, rng)
    if source == "lowres":
        return _low_resolution(coverage, rng)
    return coverage


def _stretch_to_square(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A form scanner's box: the shorter side stretched until the digit (almost) fills a
    square, at most 3 times (a 1 becomes a wide bar, not a block)."""
    height, width = coverage.shape
    fill = rng.uniform(0.85, 1.0)
    if height >= width:
        width = min(max(width, round(height * fill)), 3 * width)
    else:
        height = min(max(height, round(width * fill)), 3 * height)
    image = Image.fromarray(np.ascontiguousarray(coverage, dtype=np.float32))
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def _low_resolution(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanned so the digit is 8-12 px tall (area-averaged, slightly out of focus), then
    scaled back up: blurred, blocky strokes."""
    height, width = coverage.shape
    margin = max(2, height // 6)
    padded = np.pad(coverage, margin)
    factor = rng.uniform(8, 12) / height
    small_size = (max(1, round(padded.shape[1] * factor)), max(1, round(padded.shape[0] * factor)))
    image = Image.fromarray(np.ascontiguousarray(padded, dtype=np.float32))
    small = np.asarray(image.resize(small_size, Image.Resampling.BOX))
    small = ndimage.gaussian_filter(small, rng.uniform(0.0, 0.6))
    back = Image.fromarray(np.ascontiguousarray(small, dtype=np.float32))
    filt = Image.Resampling.BILINEAR if rng.random() < 0.5 else Image.Resampling.BICUBIC
    up = np.asarray(back.resize((padded.shape[1], padded.shape[0]), filt))
    return np.clip(up, 0.0, 1.0)


def _photo(coverage: np.ndarray, rng: np.random.Generator, dark_board: bool) -> np.ndarray:
    """The digit with a margin on paper (or a board), a little sensor noise: grey uint8."""
    size = max(coverage.shape)
    margin = [int(rng.uniform(0.15, 0.6) * size) + 2 for _ in range(4)]
    canvas = np.pad(coverage, ((margin[0], margin[1]), (margin[2], margin[3])))
    return synth.finish(canvas, size, rng, invert=dark_board, noise=rng.uniform(0.0, 0.03))


# The training supplement: stroked digits only, so the set's font parts stay unseen in training.
_TRAINING_TAG = 2  # its generators never coincide with a validation render's, whatever the seed
_TRAINING_SOURCES = ("pen",) * 3 + ("square", "lowres")


def stroked_training_set(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits stroked by code in every pen style, in MNIST form: uint8 [n, 28, 28]
    images (ink 255 on 0) and int64 labels, to mix into a training set.

    Digits cycle 0-9; three in five are plain strokes, the others stretched to a square box or
    scanned at a low resolution. No fonts and no photo: the fonts stay a test of what the
    strokes taught, and the on-device augmentation adds the rest.
    """
    from workbench.core.recognition.preprocessing import to_mnist

    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    labels = np.arange(count, dtype=np.int64) % 10
    for index in range(count):
        rng = np.random.default_rng([seed, index, VERSION, _TRAINING_TAG])
        source = _TRAINING_SOURCES[int(rng.integers(len(_TRAINING_SOURCES)))]
        coverage, _ = glyph(int(labels[index]), "pen", rng, fonts=False)
        image = to_mnist(_distort(coverage, source, rng))
        if image is not None:
            images[index] = np.round(image * 255.0).astype(np.uint8)
    return images, labels
