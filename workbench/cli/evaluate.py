"""`workbench eval`, `bench` and `data`: the test set, the speed figures, the MNIST folder."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    add_data,
    add_model,
    emit,
    fetch_data,
    load_predictor,
    read_split,
    say,
)
from workbench.core import paths


def add_parsers(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a model on the MNIST test set")
    add_model(p)
    add_data(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write the confusion matrix as CSV")
    p.add_argument("--png", type=Path, metavar="FILE", help="draw the confusion matrix as PNG")
    p.add_argument(
        "--misclassified",
        type=Path,
        metavar="DIR",
        help="write each wrongly read test image to DIR as INDEX_trueT_predP_pCONF.png",
    )

    p = sub.add_parser(
        "bench",
        help="measure speed: inference, drawing, evaluation, training",
        description="Every speed figure of the workbench in one run, warmed up, "
        "with thread counts stated.",
    )
    add_model(p)
    add_data(p, own_files=False)
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for onnxruntime and torch (default: all cores)",
    )
    p.add_argument("--runs", type=int, default=2000, help="timed calls per latency figure")
    p.add_argument("--skip-training", action="store_true", help="leave out the training figures")
    p.add_argument("--skip-gui", action="store_true", help="leave out the window figures")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("data", help="download and verify the MNIST files")
    add_data(p, own_files=False)
    p.add_argument("--verify", action="store_true", help="only check, do not download")


def data_command(args: argparse.Namespace) -> int:
    from workbench.core.data.mnist import file_status

    folder = paths.data_dir(args.data_dir)
    if not args.verify and fetch_data(args.data_dir, download=True) is None:
        return EXIT_UNUSABLE
    status = file_status(folder)
    for name, state in status.items():
        print(f"{name}: {state}")
    print(f"folder: {folder}")
    return EXIT_OK if all(s == "ok" for s in status.values()) else EXIT_FAILED


def eval_command(args: argparse.Namespace) -> int:
    import numpy as np

    from workbench.core.evaluation.evaluation import evaluate

    predictor = load_predictor(args)
    if predictor is None:
        return EXIT_UNUSABLE
    data = read_split(args, "test")
    if data is None:
        return EXIT_UNUSABLE
    folder, images, labels = data
    result = evaluate(predictor, images, labels)
    if not np.isfinite(result.probabilities).all():
        bad = int((~np.isfinite(result.probabilities)).any(axis=1).sum())
        say(f"error: the model produced NaN (or an infinite value) for {bad} test images")
        return EXIT_FAILED
    written = _write_eval_files(args, result, images, labels, predictor)
    if args.json:
        emit(result.to_json())
        return EXIT_OK if written else EXIT_FAILED
    print(f"model: {predictor.describe()}")
    print(
        f"accuracy: {result.accuracy:.2%} of {result.n} test images "
        f"({result.seconds:.3f} s of inference)"
    )
    print(
        f"calibration: expected calibration error {result.ece:.4f} "
        "(top-1 confidence against accuracy, 15 equal-width bins)"
    )
    print("digit  precision  recall  f1      support")
    for row in result.per_class:
        print(
            f"{row.digit:>5}  {row.precision:9.4f}  {row.recall:6.4f}  {row.f1:.4f}  "
            f"{row.support:7d}"
        )
    print("most confused: " + "; ".join(p.describe() for p in result.top_confused[:5]))
    return EXIT_OK if written else EXIT_FAILED


def _write_eval_files(args: argparse.Namespace, result, images, labels, predictor) -> bool:
    """The files `eval` was asked for (--csv, --png, --misclassified); False if one failed."""
    from workbench.core.evaluation.exports import write_confusion_csv, write_misclassified

    try:
        if args.csv:
            say(f"wrote {write_confusion_csv(result.confusion, args.csv)}")
        if args.png:
            from workbench.gui.evaluate.confusion_plot import render_confusion_png  # Qt, offscreen

            name, accuracy = predictor.path.name, result.accuracy
            title = f"{name}: {accuracy:.2%} right of {result.n:,} test images"
            say(f"wrote {render_confusion_png(result.confusion, args.png, title=title)}")
        if args.misclassified:
            wrong = write_misclassified(args.misclassified, images, labels, result.probabilities)
            say(f"wrote {len(wrong)} misclassified images to {args.misclassified}")
    except OSError as exc:
        say(f"error: {exc}")
        return False
    return True


def _int8_for_bench(model: Path, folder: Path, train_images, scratch: Path) -> Path | None:
    """The model's int8 twin: NAME.int8.onnx beside it, else one quantised into `scratch`
    (None for a model that is int8 itself, or where quantising fails)."""
    from workbench.core.data.mnist import load_split
    from workbench.core.model.quantize import (
        QuantizeError,
        calibration_images,
        int8_sibling,
        is_int8_path,
        quantize_model,
    )

    if is_int8_path(model):
        return None
    if int8_sibling(model) is not None:
        return int8_sibling(model)
    say(f"no int8 model beside {model.name}: quantising one for the benchmark ...")
    try:
        if train_images is None:
            train_images = load_split(folder, "train")[0]
        return quantize_model(model, calibration_images(train_images), scratch / "m.int8.onnx").path
    except (QuantizeError, ValueError, OSError, RuntimeError) as exc:
        say(f"notice: no int8 figures ({exc})")
        return None


def bench_command(args: argparse.Namespace) -> int:
    import os

    from workbench.core import bench
    from workbench.core.data.mnist import load_split

    threads = args.threads or os.cpu_count() or 1
    folder = fetch_data(args.data_dir, quiet=args.json)
    if folder is None:
        return EXIT_UNUSABLE
    try:
        test_images, test_labels = load_split(folder, "test")
        train_images, train_labels = (
            (None, None) if args.skip_training else load_split(folder, "train")
        )
    except (ValueError, OSError, RuntimeError) as exc:  # DataUnavailable is a RuntimeError
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    model = args.model or paths.SHIPPED_MODEL
    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as scratch:
        int8 = _int8_for_bench(model, folder, train_images, Path(scratch))
        say("timing inference ...")
        report = bench.bench_inference(
            model, args.device, threads, test_images, test_labels, runs=args.runs, int8_model=int8
        )
        say("reading the non-MNIST digits ...")
        report.figures["non_mnist"] = bench.bench_non_mnist(model, args.device, threads)
        say("reading the generated page set ...")
        from workbench.core.recognition.predictor import Predictor

        pages_predictor = Predictor(model, device=args.device, threads=threads)
        report.figures["pages"] = bench.bench_pages(pages_predictor)
        if int8 is not None:
            report.figures["non_mnist_int8"] = bench.bench_non_mnist(int8, args.device, threads)
    if not args.skip_training:
        say("timing a training epoch and the time to 99 % validation accuracy ...")
        report.figures["training"] = bench.bench_training(
            train_images, train_labels, threads, data_folder=folder
        )
    missing_gui = None if args.skip_gui else bench.window_unavailable()
    if missing_gui:
        say(f"skipping the window figures: {missing_gui}")
        report.figures["window_skipped"] = missing_gui
    elif not args.skip_gui:
        say("timing the window ...")
        from workbench.gui.bench_gui import bench_window

        report.figures["window"] = bench_window(folder)
    if args.json:
        emit(report.to_json())
    else:
        print(bench.format_report(report))
    return EXIT_OK
