"""Score the generated page set through `read_digits` (as `workbench predict`); list failures.

PYTHONPATH=. python scripts/page_set_score.py [--count 40] [--seed 15] [--save DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from workbench.core import paths
from workbench.core.data.pages import page_set, score_rows
from workbench.core.recognition.predictor import Predictor
from workbench.core.recognition.reading import read_photo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--save", type=Path, default=None, help="write failing pages here")
    parser.add_argument("--model", type=Path, default=paths.SHIPPED_MODEL, help="ONNX model")
    args = parser.parse_args()
    predictor = Predictor(args.model, device="cpu")
    start = time.perf_counter()
    pages = page_set(args.count, args.seed)
    made = time.perf_counter() - start
    exact = total = sheets = 0
    reading = 0.0
    for index, page in enumerate(pages):
        start = time.perf_counter()
        readings = read_photo(page.jpeg, predictor, top=1)
        reading += time.perf_counter() - start
        rows = score_rows(page, [r.box for r in readings], [r.top[0][0] for r in readings])
        exact += sum(rows)
        total += len(rows)
        sheets += all(rows)
        if not all(rows):
            got = "".join(str(r.top[0][0]) for r in readings)
            want = " ".join("".join(map(str, row)) for row in page.rows)
            print(f"page {index}: {sum(rows)}/{len(rows)} rows  {page.describe()}")
            print(f"   want {want}\n   got  {got}")
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"page{index:03d}.jpg").write_bytes(page.jpeg)
    print(
        f"pages: {exact} of {total} rows exact ({exact / total:.1%}), {sheets} of {len(pages)} "
        f"sheets; made in {made:.1f} s, read in {reading:.1f} s"
    )


if __name__ == "__main__":
    main()
