"""Regenerate assets/: the application icon and the sample photos of File → Open sample.

Run from the repository root: `python scripts/make_assets.py`. Deterministic (fixed seeds), so
the files only change when this script or workbench.core.data.synth does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.data import synth  # noqa: E402
from workbench.core.recognition.preprocessing import to_mnist  # noqa: E402

ASSETS = ROOT / "assets"
SAMPLES = ASSETS / "samples"
MAX_BYTES = 500_000

# name: (rows of digits, font, digit height, options for synth.render_page)
SAMPLE_PHOTOS = {
    "row-on-paper": (
        [[3, 5, 0, 7, 2, 8]],
        "DejaVuSans-Oblique",
        90,
        {"rotate": 8, "uneven": True, "blur": 1.2, "noise": 0.025},
    ),
    "page-of-rows": (
        [[4, 0, 2, 5], [7, 3, 8, 6], [5, 2, 0, 3]],
        "DejaVuSerif",
        64,
        {"rotate": 5, "uneven": True, "blur": 0.8, "noise": 0.02, "specks": 6},
    ),
    "chalkboard": (
        [[2, 0, 5, 8, 3]],
        "DejaVuSans-Bold",
        84,
        {"invert": True, "rotate": 6, "uneven": True, "blur": 1.5, "noise": 0.04},
    ),
}


def font_path(name: str) -> str | None:
    for path in synth.available_fonts():
        if path and Path(path).stem == name:
            return path
    return None  # Pillow's own font: the samples still work, they just look plainer


def make_samples() -> list[Path]:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    written = []
    for index, (name, (rows, font, size, options)) in enumerate(SAMPLE_PHOTOS.items()):
        rng = np.random.default_rng(100 + index)
        grey, _ = synth.render_page(rows, font_path(font), size, rng, **options)
        image = Image.fromarray(grey)
        if not options.get("invert"):
            image = _paper_tint(image)
        path = SAMPLES / f"{name}.jpg"
        image.save(path, quality=88, optimize=True)
        written.append(path)
    return written


def _paper_tint(grey: Image.Image) -> Image.Image:
    """Warm paper colour: a photo of paper is rarely neutral grey."""
    values = np.asarray(grey, np.float32) / 255.0
    tint = np.array([1.0, 0.97, 0.9], np.float32)
    rgb = np.clip(values[..., None] * tint * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


def make_icon(side: int = 256) -> Path:
    """A pixelated 7 (what the network sees) on blue, with two probability bars."""
    scale = 4
    big = side * scale
    icon = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=(33, 102, 172, 255))
    glyph = synth.glyph_mask(7, font_path("DejaVuSans-Bold"), 200)
    digit = to_mnist(glyph)
    first, cells = 3, 22  # the digit's 20×20 core of the 28×28 input, with a little margin
    cell = big * 0.7 / cells
    left, top = big * 0.05, big * 0.12
    for r in range(cells):
        for c in range(cells):
            value = float(digit[first + r, first + c]) if digit is not None else 0.0
            if value > 0.05:
                shade = int(255 * value)
                x, y = left + c * cell, top + r * cell
                draw.rectangle(
                    (x, y, x + cell - scale, y + cell - scale), fill=(shade, shade, shade, 255)
                )
    bar_left, bar_w = big * 0.76, big * 0.08
    for i, (height, colour) in enumerate(
        ((0.55, (253, 231, 37, 255)), (0.14, (160, 190, 230, 255)))
    ):
        x = bar_left + i * bar_w * 1.4
        draw.rectangle((x, big * 0.86 - big * height, x + bar_w, big * 0.86), fill=colour)
    icon = icon.filter(ImageFilter.SMOOTH).resize((side, side), Image.Resampling.LANCZOS)
    path = ASSETS / "icon.png"
    icon.save(path, optimize=True)
    return path


def main() -> int:
    ASSETS.mkdir(exist_ok=True)
    paths = [make_icon(), *make_samples()]
    for path in paths:
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT)}: {size / 1000:.0f} kB")
        if size > MAX_BYTES:
            print(f"error: {path.name} is over {MAX_BYTES // 1000} kB", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
