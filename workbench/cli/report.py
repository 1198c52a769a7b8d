"""`workbench report`: write the homework report (HTML, and PDF where Qt can print it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import EXIT_FAILED, EXIT_OK, EXIT_UNUSABLE, add_model, say
from workbench.core import paths
from workbench.core.report.sections import SECTIONS


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="write a report (model, training, evaluation, insides) as HTML and PDF",
        description="One self-contained HTML file with the images embedded; --pdf prints it too.",
    )
    add_model(p, device=False)
    p.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="R",
        help="a run folder name under runs/ or a path; repeat to compare runs",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="MNIST folder: evaluate on its test set if present, else use the "
        "evaluation stored with the model (marked as stored)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="use the IDX files as they are, without the MNIST checksums",
    )
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {','.join(SECTIONS)} (default: all with content)",
    )
    p.add_argument(
        "--input",
        type=Path,
        default=None,
        metavar="IMAGE",
        help="the input whose feature maps are shown (default: a rendered 7)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE.html")
    p.add_argument("--pdf", type=Path, default=None, metavar="FILE.pdf")
    p.add_argument("--plain", action="store_true", help="draw every figure with Pillow, without Qt")
    return p


def run_folder(name: str) -> Path:
    """`--run R`: a path to a run folder, or the name of one under runs/."""
    path = Path(name).expanduser()
    if (path / "history.json").is_file():
        return path
    under = paths.runs_dir() / name
    if (under / "history.json").is_file():
        return under
    raise ValueError(f"no run {name!r}: neither a run folder nor a run under {paths.runs_dir()}")


def _chosen_input(path: Path | None):
    if path is None:
        return None
    from workbench.core.recognition.images import load_grey
    from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist

    image = to_mnist(ink_from_grey(load_grey(path)))
    if image is None:
        raise ValueError(f"{path}: no digit found in the image")
    return image


def _evaluation(args: argparse.Namespace, predictor):
    """(result, stored, test images): the test set's if it is there, else the model card's."""
    from workbench.core.data.mnist import TEST_IMAGES, load_split
    from workbench.core.evaluation.evaluation import evaluate
    from workbench.core.evaluation.exports import stored_result

    folder = paths.data_dir(args.data_dir)
    if (folder / TEST_IMAGES).is_file():
        images, labels = load_split(folder, "test", verify=not args.no_verify)
        return evaluate(predictor, images, labels), False, images
    test = predictor.model_card().get("test")
    if test:
        say(f"notice: no test set in {folder}: using the evaluation stored with the model")
        return stored_result(test), True, None
    say(f"notice: no test set in {folder} and none stored with the model: no evaluation")
    return None, False, None


def report_command(args: argparse.Namespace) -> int:
    from workbench.core.recognition.predictor import ModelLoadError, Predictor
    from workbench.core.report.document import build_report, run_curves
    from workbench.core.report.html import report_html
    from workbench.core.training.experiment_notes import note_for_runs
    from workbench.core.training.runs import read_history

    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    try:
        predictor = Predictor(args.model or paths.SHIPPED_MODEL, device="cpu")
        runs = [run_curves(read_history(run_folder(r)), run_folder(r).name) for r in args.run]
        experiment = note_for_runs([run_folder(r) for r in args.run]) if len(runs) > 1 else None
        chosen = _chosen_input(args.input)
        evaluation, stored, images = (
            _evaluation(args, predictor) if "evaluation" in sections else (None, False, None)
        )
        figures = None
        if not args.plain:
            from workbench.gui.report.report_figures import qt_figures  # Qt, offscreen

            figures = qt_figures()
        report = build_report(
            predictor,
            sections,
            runs=runs,
            evaluation=evaluation,
            stored=stored,
            test_images=images,
            chosen_input=chosen,
            figures=figures,
            experiment=experiment,
        )
    except (ModelLoadError, ValueError, OSError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    html = report_html(report)
    try:
        from workbench.core.fileio import atomic_writer

        with atomic_writer(args.out, "w") as handle:
            handle.write(html)
        say(f"wrote {args.out} ({', '.join(report.sections())})")
        if args.pdf:
            from workbench.gui.report.report_figures import pdf_supported, write_pdf

            if not pdf_supported():
                say("notice: this Qt cannot print PDF; wrote the HTML only")
                return EXIT_FAILED
            say(f"wrote {write_pdf(html, args.pdf)}")
    except OSError as exc:
        say(f"error: {exc}")
        return EXIT_FAILED
    return EXIT_OK
