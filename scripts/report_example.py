"""Write docs/report-example.html (+ .pdf) and its first pages (docs/screenshots/report-page-N.png).

    python scripts/report_example.py --data-dir /path/to/mnist

Evaluates on the real test set; the "own inputs" are a rendered photo of a number and a
rendered digit standing in for a drawing, read the way the window reads them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from workbench.core import paths  # noqa: E402
from workbench.core.data.mnist import load_split  # noqa: E402
from workbench.core.data.synth import render_digit, render_row  # noqa: E402
from workbench.core.evaluation.evaluation import evaluate  # noqa: E402
from workbench.core.recognition.predictor import Predictor  # noqa: E402
from workbench.core.recognition.reading import read_digits  # noqa: E402
from workbench.core.report.document import build_report  # noqa: E402
from workbench.core.report.html import report_html  # noqa: E402
from workbench.core.report.sections import ClassifiedInput, InputLog  # noqa: E402
from workbench.gui.report.report_figures import qt_figures, write_pdf  # noqa: E402
from workbench.gui.report.report_pdf import write_page_pngs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def own_inputs(predictor: Predictor) -> InputLog:
    log = InputLog()
    rng = np.random.default_rng(5)
    photo, _ = render_row([2, 0, 2, 6], size=56, rng=rng, rotate=6, blur=0.8, uneven=True)
    drawing = render_digit(3, size=120, rng=rng)
    for kind, name, grey in (("photo", "receipt-total.jpg", photo), ("drawing", "canvas", drawing)):
        readings = read_digits(grey, predictor)
        log.append(
            ClassifiedInput(
                kind,
                name,
                grey,
                tuple(r.box for r in readings),
                tuple(tuple(r.top) for r in readings),
            )
        )
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    predictor = Predictor(paths.SHIPPED_MODEL, device="cpu")
    images, labels = load_split(args.data_dir, "test")
    result = evaluate(predictor, images, labels)
    report = build_report(
        predictor,
        evaluation=result,
        test_images=images,
        inputs=own_inputs(predictor).items(),
        figures=qt_figures(),
        title="Homework report: LeNet-5 on MNIST",
    )
    html = report_html(report)
    out = ROOT / "docs" / "report-example.html"
    out.write_text(html, encoding="utf-8")
    write_pdf(html, out.with_suffix(".pdf"))
    write_page_pngs(html, ROOT / "docs" / "screenshots" / "report-page", scale=1.25, pages=2)
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB; accuracy {result.accuracy:.2%}")


if __name__ == "__main__":
    main()
