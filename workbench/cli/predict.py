"""`workbench predict`: read the digits in image files, as text or one JSON object per image."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    add_model,
    emit,
    load_predictor,
    say,
    write_line,
)


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="read the digits in image files")
    add_model(p)
    p.add_argument("--top", type=int, default=2, help="how many digits per box (default 2)")
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("images", nargs="+", type=Path)


def command(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from workbench.core.recognition.images import ImageLoadError
    from workbench.core.recognition.reading import percent_text, read_digits

    if args.top < 1 or args.top > 10:
        say("error: --top must be between 1 and 10")
        return EXIT_UNUSABLE
    _reuse_freed_memory()
    # onnxruntime loads (its import holds the interpreter) while the first photo decodes
    # (Pillow lets go of it): a 12 MP page reads that much sooner.
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(load_predictor, args)
        first = _load(args.images[0])
        predictor = loading.result()
    if predictor is None:
        return EXIT_UNUSABLE
    status = EXIT_OK
    for index, path in enumerate(args.images):
        try:
            photo = first if index == 0 else _load(path)
            if isinstance(photo, Exception):
                raise photo
            readings = read_digits(photo.grey, predictor, top=args.top, size=photo.size)
            if not all(math.isfinite(p) for r in readings for _, p in r.top):
                raise ValueError(f"{path}: the model produced NaN (or an infinite value)")
        except (ImageLoadError, OSError, ValueError) as exc:
            status = EXIT_FAILED
            if args.json:
                emit({"image": str(path), "error": str(exc)})
            else:
                say(f"{path}: error: {exc}")
            continue
        digits = [
            {"box": list(r.box), "top": [{"digit": d, "p": round(p, 6)} for d, p in r.top]}
            for r in readings
        ]
        if args.json:
            emit({"image": str(path), "digits": digits})
        else:
            text = " ".join(str(r.top[0][0]) for r in readings) or "(no digit)"
            write_line(f"{path}: {text}")
            for r in readings:
                guesses = ", ".join(f"{d} {percent_text(p, 1)}" for d, p in r.top)
                write_line(f"  box {r.box}: {guesses}")
    return status


def _load(path: Path):
    """The photo at `path` as `read_photo` reads it, or the error that stopped it."""
    from workbench.core.recognition.reading import load_for_reading

    try:
        return load_for_reading(path)
    except Exception as exc:  # reported with the image's result, in its turn
        return exc


def _reuse_freed_memory() -> None:
    """glibc only: a photo's big arrays come from the heap and what is freed stays there for
    the next (by default each is mapped afresh and given back, and touching fresh memory costs
    a 12 MP page ~20 ms); elsewhere nothing changes."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # another C library (musl has no mallopt)
        pass
