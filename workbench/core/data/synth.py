"""Printed and handwriting-font digits unlike MNIST (chalk boards, bad light, noise) for tests."""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
SYSTEM_FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# Font files (Debian's fonts-* packages) looked for by name; any of them may be missing.
HANDWRITING_FONTS = (
    "BecauseWe*-Regular",  # fonts-bwht
    "Breip",  # fonts-breip
    "ComicNeue-*",  # fonts-comic-neue
    "DancingScript-*",  # fonts-dancingscript
    "dkg*",  # fonts-dkg-handwriting
    "Humor-Sans",  # fonts-humor-sans
    "KaushanScript-Regular",  # fonts-kaushanscript
    "Kristi",  # fonts-kristi
    "Rufscript*",  # fonts-rufscript
)
PRINTED_FONTS = (
    "DejaVuSans*",  # fonts-dejavu-core, also shipped inside matplotlib
    "DejaVuSerif*",
    "Liberation*",  # fonts-liberation
    "Free*",  # fonts-freefont-ttf
    "Ecolier-court",  # fonts-ecolier-court
    "OpenDyslexic-*",  # fonts-opendyslexic
)
VARIATIONS = (
    "plain",
    "inverted",
    "rotated",
    "blurred",
    "uneven",
    "noisy",
    "lowres",
    "jpeg",
    "mixed",
)

Box = tuple[int, int, int, int]  # x, y, w, h


def available_fonts() -> list[str | None]:
    """DejaVu TrueType fonts found on this machine, then None for Pillow's built-in font."""
    found: list[str | None] = []
    for folder in FONT_DIRS:
        if folder.is_dir():
            found += sorted(str(p) for p in folder.glob("DejaVu*.ttf") if "MathTeX" not in p.name)
    return list(dict.fromkeys(found)) + [None]


def find_fonts(patterns: Sequence[str]) -> list[str]:
    """Font files on this machine (system folders, matplotlib's) whose names match, sorted.

    One file per name, and only fonts that really draw all ten digits; none found is fine.
    """
    folders = list(SYSTEM_FONT_ROOTS)
    spec = importlib.util.find_spec("matplotlib")  # found without importing it
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return list(_find_fonts_in(tuple(patterns), tuple(folders)))


@functools.lru_cache(maxsize=64)
def _find_fonts_in(patterns: tuple[str, ...], folders: tuple[Path, ...]) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf") or path.stem in found:
                continue
            if any(fnmatch.fnmatchcase(path.stem, pattern) for pattern in patterns):
                found[path.stem] = str(path)
    return tuple(found[name] for name in sorted(found) if draws_digits(found[name]))


@functools.lru_cache(maxsize=512)
def draws_digits(font_path: str) -> bool:
    """True when the font has ten distinct digit glyphs (not its 'missing' box ten times)."""
    try:
        font = ImageFont.truetype(font_path, 32)
    except OSError:
        return False
    masks = {(bytes(font.getmask(text)), font.getbbox(text)) for text in "0123456789"}
    missing = (bytes(font.getmask("\U0010fffd")), font.getbbox("\U0010fffd"))
    return len(masks) == 10 and missing not in masks


def font_name(font_path: str | None) -> str:
    return Path(font_path).stem if font_path else "pillow-default"


def glyph_mask(digit: int, font_path: str | None, size: int, rotate: float = 0.0) -> np.ndarray:
    """Coverage (float32, 0..1) of one digit `size` px tall, tightly cropped, rotated by degrees."""
    text = str(int(digit))
    font = _font(font_path, 100)
    left, top, right, bottom = font.getbbox(text)
    points = max(4, round(100 * size / max(bottom - top, 1)))
    font = _font(font_path, points)
    left, top, right, bottom = font.getbbox(text)
    pad = 4
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, fill=255, font=font)
    if not isinstance(font, ImageFont.FreeTypeFont):  # bitmap fallback: fixed size, scale it
        box = canvas.getbbox() or (0, 0, 1, 1)
        canvas = canvas.crop(box)
        factor = size / canvas.height
        new_size = (max(1, round(canvas.width * factor)), size)
        canvas = canvas.resize(new_size, Image.Resampling.BILINEAR)
    if rotate:
        canvas = canvas.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True)
    box = canvas.getbbox() or (0, 0, canvas.width, canvas.height)
    return np.asarray(canvas.crop(box), dtype=np.float32) / 255.0


def render_digit(
    digit: int,
    font_path: str | None = None,
    size: int = 48,
    rng: np.random.Generator | None = None,
    *,
    invert: bool = False,
    rotate: float = 0.0,
    blur: float = 0.0,
    uneven: bool = False,
    noise: float = 0.0,
    lowres: bool = False,
    jpeg: int = 0,
) -> np.ndarray:
    """One digit `size` px tall on paper (or chalk on a board when `invert`), as grey uint8.

    `rotate` is in degrees, `blur` a gaussian sigma in px, `noise` a sensor noise sigma in 0..1
    grey units, `lowres` scans the glyph at 12–16 px height and scales it back up, `jpeg` > 0
    saves and reloads at that quality.
    """
    rng = rng if rng is not None else np.random.default_rng()
    mask = glyph_mask(digit, font_path, size, rotate)
    margin = [int(rng.uniform(0.15, 0.8) * size) + 2 for _ in range(4)]
    canvas = np.pad(mask, ((margin[0], margin[1]), (margin[2], margin[3])))
    effects = dict(invert=invert, blur=blur, uneven=uneven, noise=noise, lowres=lowres, jpeg=jpeg)
    return finish(canvas, size, rng, **effects)


def render_row(
    digits: Sequence[int],
    font_path: str | None = None,
    size: int = 48,
    rng: np.random.Generator | None = None,
    *,
    rotate: float = 0.0,
    specks: int = 0,
    **effects,
) -> tuple[np.ndarray, list[Box]]:
    """A row of digits with gaps on paper; returns (grey uint8, true ink boxes left to right).

    `rotate` is the largest tilt: each digit gets its own angle in ±rotate. Other keyword
    arguments are the effects of `render_digit`.
    """
    return render_page([digits], font_path, size, rng, rotate=rotate, specks=specks, **effects)


def render_page(
    rows: Sequence[Sequence[int]],
    font_path: str | None = None,
    size: int = 48,
    rng: np.random.Generator | None = None,
    *,
    rotate: float = 0.0,
    specks: int = 0,
    **effects,
) -> tuple[np.ndarray, list[Box]]:
    """Several rows of digits; returns (grey uint8, true boxes in reading order)."""
    rng = rng if rng is not None else np.random.default_rng()
    placed: list[tuple[int, int, np.ndarray]] = []
    y = int(rng.uniform(0.3, 0.8) * size) + 2
    width = 0
    for row in rows:
        glyphs = [glyph_mask(d, font_path, size, rng.uniform(-rotate, rotate)) for d in row]
        row_height = max(g.shape[0] for g in glyphs)
        x = int(rng.uniform(0.3, 1.0) * size) + 2
        for glyph in glyphs:
            jitter = int(rng.uniform(-0.04, 0.04) * size)
            top = y + (row_height - glyph.shape[0]) // 2 + jitter
            placed.append((x, max(top, 0), glyph))
            x += glyph.shape[1] + max(2, int(rng.uniform(0.25, 0.8) * size))
        width = max(width, x + int(rng.uniform(0.0, 0.5) * size))
        y += row_height + max(3, int(rng.uniform(0.35, 0.8) * size))
    canvas = np.zeros((y + 2, width + 2), dtype=np.float32)
    boxes = []
    for x, top, glyph in placed:
        h, w = glyph.shape
        np.maximum(canvas[top : top + h, x : x + w], glyph, out=canvas[top : top + h, x : x + w])
        boxes.append(_ink_box(glyph, x, top))
    _add_specks(canvas, boxes, specks, size, rng)
    return finish(canvas, size, rng, **effects), boxes


def finish(
    coverage: np.ndarray,
    size: int,
    rng: np.random.Generator,
    *,
    invert: bool = False,
    blur: float = 0.0,
    uneven: bool = False,
    noise: float = 0.0,
    lowres: bool = False,
    jpeg: int = 0,
) -> np.ndarray:
    """Ink coverage → a grey photo: paper/board and ink tones, blur, light, scan, noise, JPEG."""
    if invert:
        paper, ink = rng.uniform(0.05, 0.3), rng.uniform(0.7, 0.95)
    else:
        paper, ink = rng.uniform(0.8, 0.97), rng.uniform(0.02, 0.3)
    if blur > 0:
        coverage = ndimage.gaussian_filter(coverage, blur)
    grey = paper + (ink - paper) * coverage
    if uneven:
        grey = grey * _lighting(grey.shape, rng)
    if lowres:
        grey = _low_resolution_scan(grey, size, rng)
    if noise > 0:
        grey = grey + rng.normal(0.0, noise, grey.shape)
    grey = np.clip(np.round(grey * 255.0), 0, 255).astype(np.uint8)
    if jpeg > 0:
        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, format="JPEG", quality=int(jpeg))
        grey = np.asarray(Image.open(buffer).convert("L"))
    return grey


@dataclass(frozen=True)
class Sample:
    label: int
    grey: np.ndarray  # uint8
    font: str
    variation: str


def digit_corpus(count: int, seed: int = 0) -> list[Sample]:
    """A reproducible mix: every font × every variation × every digit, sizes 14–200 px."""
    rng = np.random.default_rng(seed)
    fonts = available_fonts()
    samples = []
    for index in range(count):
        digit = index % 10
        variation = VARIATIONS[(index // 10) % len(VARIATIONS)]
        font = fonts[(index // (10 * len(VARIATIONS)) + index) % len(fonts)]
        size = int(round(np.exp(rng.uniform(np.log(14), np.log(200)))))
        options = _variation_options(variation, size, rng)
        grey = render_digit(digit, font, size, rng, **options)
        samples.append(Sample(digit, grey, font_name(font), variation))
    return samples


def _variation_options(variation: str, size: int, rng: np.random.Generator) -> dict:
    blur = rng.uniform(0.03, 0.07) * size
    options = {
        "plain": {},
        "inverted": {"invert": True},
        "rotated": {"rotate": rng.uniform(-12, 12)},
        "blurred": {"blur": blur},
        "uneven": {"uneven": True, "invert": bool(rng.random() < 0.5)},
        "noisy": {"noise": rng.uniform(0.04, 0.12)},
        "lowres": {"lowres": True},
        "jpeg": {"jpeg": int(rng.integers(15, 50))},
    }.get(variation)
    if options is None:  # mixed: a bit of everything, like a phone photo of a board
        options = {
            "invert": bool(rng.random() < 0.5),
            "rotate": rng.uniform(-12, 12),
            "blur": blur / 2,
            "uneven": True,
            "noise": rng.uniform(0.02, 0.06),
        }
    return options


@functools.lru_cache(maxsize=256)
def _font(font_path: str | None, points: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if font_path is not None:
        try:
            return ImageFont.truetype(font_path, points)
        except OSError:
            pass
    return ImageFont.load_default(size=points)


def _ink_box(glyph: np.ndarray, x: int, y: int) -> Box:
    rows = np.flatnonzero(glyph.max(axis=1) > 0.25)
    cols = np.flatnonzero(glyph.max(axis=0) > 0.25)
    if rows.size == 0:
        return (x, y, glyph.shape[1], glyph.shape[0])
    return (
        x + int(cols[0]),
        y + int(rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    )


def _add_specks(
    canvas: np.ndarray, boxes: list[Box], count: int, size: int, rng: np.random.Generator
) -> None:
    """Dust: dots a few percent of the digit height, kept clear of the digits."""
    height, width = canvas.shape
    for _ in range(count):
        radius = max(0.6, rng.uniform(0.015, 0.04) * size)
        for _attempt in range(20):
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            clear = all(
                not (
                    x - 2 * radius < cx < x + w + 2 * radius
                    and y - 2 * radius < cy < y + h + 2 * radius
                )
                for x, y, w, h in boxes
            )
            if clear:
                break
        top, left = max(0, int(cy - radius) - 1), max(0, int(cx - radius) - 1)
        yy, xx = np.ogrid[top : int(cy + radius) + 2, left : int(cx + radius) + 2]
        dot = ((yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2).astype(np.float32)
        patch = canvas[top : top + dot.shape[0], left : left + dot.shape[1]]
        np.maximum(patch, dot[: patch.shape[0], : patch.shape[1]], out=patch)


def _lighting(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Multiplicative light: a linear fall-off in a random direction plus a soft vignette."""
    height, width = shape
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx / max(width, 1) + np.sin(angle) * yy / max(height, 1)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    radius = np.hypot((xx - width / 2) / max(width, 1), (yy - height / 2) / max(height, 1))
    return 1.0 - rng.uniform(0.25, 0.45) * ramp - rng.uniform(0.0, 0.25) * radius


def _low_resolution_scan(grey: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    factor = rng.uniform(12, 16) / size
    if factor >= 1:
        return grey
    height, width = grey.shape
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = Image.fromarray(grey.astype(np.float32)).resize(small, Image.Resampling.BOX)
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
