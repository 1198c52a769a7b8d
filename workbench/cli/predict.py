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
)


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="read the digits in image files")
    add_model(p)
    p.add_argument("--top", type=int, default=2, help="how many digits per box (default 2)")
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("images", nargs="+", type=Path)


def command(args: argparse.Namespace) -> int:
    from workbench.core.recognition.images import ImageLoadError
    from workbench.core.recognition.reading import percent_text, read_photo

    if args.top < 1 or args.top > 10:
        say("error: --top must be between 1 and 10")
        return EXIT_UNUSABLE
    predictor = load_predictor(args)
    if predictor is None:
        return EXIT_UNUSABLE
    status = EXIT_OK
    for path in args.images:
        try:
            readings = read_photo(path, predictor, top=args.top)
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
            print(f"{path}: {text}")
            for r in readings:
                guesses = ", ".join(f"{d} {percent_text(p, 1)}" for d, p in r.top)
                print(f"  box {r.box}: {guesses}")
    return status
