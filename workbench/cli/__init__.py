"""The `workbench` command: subcommands drive the core; with none, the window opens."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.cli.report import add_report_parser, report_command
from workbench.core import paths

log = logging.getLogger("workbench.cli")

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def _emit(value: Any) -> None:
    """One JSON line on standard output (the scripting contract)."""
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="an ONNX model exported by the workbench (default: the shipped LeNet-5)",
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to run: cuda falls back to cpu with a notice",
    )


def _add_data(p: argparse.ArgumentParser, own_files: bool = True) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder with the MNIST IDX files (default: $WORKBENCH_DATA, else "
        "mnist/ in the user data folder)",
    )
    if own_files:
        p.add_argument(
            "--no-verify",
            action="store_true",
            help="use the IDX files in --data-dir as they are, without the MNIST "
            "checksums (for your own data set under the MNIST file names)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="LeNet digit workbench: with no command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from workbench.core.model.spec import PRESETS
    from workbench.core.training.config import TrainConfig

    default = TrainConfig()

    p = sub.add_parser(
        "train",
        help="train a network on MNIST and keep the run",
        description="Train on the MNIST training set; a checkpoint per epoch and "
        "history.json go to runs/NAME in the user data folder.",
    )
    _add_data(p)
    p.add_argument("--preset", choices=sorted(PRESETS), default="lenet5")
    p.add_argument("--spec", type=Path, help="a JSON model spec (overrides --preset)")
    p.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu")
    p.add_argument("--pooling", choices=("max", "avg"), default="max")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default=default.optimizer)
    p.add_argument("--lr", type=float, default=default.learning_rate, help="learning rate")
    p.add_argument("--momentum", type=float, default=default.momentum, help="SGD momentum")
    p.add_argument("--weight-decay", type=float, default=default.weight_decay)
    p.add_argument(
        "--schedule", choices=("constant", "cosine", "onecycle"), default=default.schedule
    )
    p.add_argument("--batch-size", type=int, default=default.batch_size)
    p.add_argument("--epochs", type=int, default=default.epochs)
    p.add_argument("--seed", type=int, default=default.seed)
    p.add_argument(
        "--val-size", type=int, default=default.val_size, help="images held out for validation"
    )
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=default.augment,
        help="distort training images (small rotations, shifts, scale, shear, stroke width, blur)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    p.add_argument("--name", help="run name (default: a timestamp)")
    p.add_argument(
        "--resume", action="store_true", help="continue run NAME from its last checkpoint"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="also write the model here: OUT.onnx, OUT.safetensors and a model card "
        "OUT.json with the test-set evaluation",
    )
    p.add_argument("--json", action="store_true", help="events as JSON lines on standard output")

    p = sub.add_parser("export", help="export a checkpoint to ONNX")
    p.add_argument("checkpoint", type=Path, help="a .safetensors checkpoint or a run folder")
    p.add_argument("--out", type=Path, required=True, help="the .onnx file to write")

    p = sub.add_parser("eval", help="evaluate a model on the MNIST test set")
    _add_model(p)
    _add_data(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write the confusion matrix as CSV")
    p.add_argument("--png", type=Path, metavar="FILE", help="draw the confusion matrix as PNG")
    p.add_argument(
        "--misclassified",
        type=Path,
        metavar="DIR",
        help="write each wrongly read test image to DIR as INDEX_trueT_predP_pCONF.png",
    )

    p = sub.add_parser("predict", help="read the digits in image files")
    _add_model(p)
    p.add_argument("--top", type=int, default=2, help="how many digits per box (default 2)")
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("images", nargs="+", type=Path)

    p = sub.add_parser(
        "summary",
        help="the anatomy table of a model or spec",
        description="Per layer: type, kernel, stride, padding, dilation, output "
        "shape, parameters, multiply-accumulates, receptive field.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, help="an ONNX model or a .safetensors checkpoint")
    source.add_argument("--spec", type=Path, help="a JSON model spec (built, not trained)")
    source.add_argument("--preset", choices=sorted(PRESETS), help="a preset spec")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "bench",
        help="measure speed: inference, drawing, evaluation, training",
        description="Every speed figure of the workbench in one run, warmed up, "
        "with thread counts stated.",
    )
    _add_model(p)
    _add_data(p, own_files=False)
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
    _add_data(p, own_files=False)

    add_report_parser(sub)
    p.add_argument("--verify", action="store_true", help="only check, do not download")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths.setup_logging()
    if args.command is None:
        from workbench.gui.app import run_app

        return run_app()
    handler = _handlers()[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def _load_predictor(args: argparse.Namespace):
    from workbench.core.recognition.predictor import ModelLoadError, Predictor

    try:
        predictor = Predictor(args.model or paths.SHIPPED_MODEL, device=args.device)
    except ModelLoadError as exc:
        _say(f"error: {exc}")
        return None
    if predictor.notice:
        _say(f"notice: {predictor.notice}")
    return predictor


def _fetch_data(folder_arg: Path | None, quiet: bool = False, verify: bool = True) -> Path | None:
    """The MNIST folder with its four files, downloading what is missing or corrupt."""
    from workbench.core.data.mnist import OFFICIAL_MD5, DataCorrupt, DataUnavailable, ensure_mnist

    last = {"file": None}

    def progress(event) -> None:
        if quiet:
            return
        if event.file != last["file"]:
            last["file"] = event.file
            _say(f"downloading {event.file} from {event.mirror}")

    try:
        return ensure_mnist(
            folder_arg, progress=progress, checksums=OFFICIAL_MD5 if verify else None
        )
    except (DataUnavailable, DataCorrupt, OSError) as exc:
        _say(f"error: {exc}")
        return None


def _cmd_data(args: argparse.Namespace) -> int:
    from workbench.core.data.mnist import file_status

    folder = paths.data_dir(args.data_dir)
    if not args.verify and _fetch_data(args.data_dir) is None:
        return EXIT_UNUSABLE
    status = file_status(folder)
    for name, state in status.items():
        print(f"{name}: {state}")
    print(f"folder: {folder}")
    return EXIT_OK if all(s == "ok" for s in status.values()) else EXIT_FAILED


def _cmd_eval(args: argparse.Namespace) -> int:
    from workbench.core.data.mnist import load_split
    from workbench.core.evaluation.evaluation import evaluate

    predictor = _load_predictor(args)
    if predictor is None:
        return EXIT_UNUSABLE
    folder = _fetch_data(args.data_dir, quiet=args.json, verify=not args.no_verify)
    if folder is None:
        return EXIT_UNUSABLE
    try:
        images, labels = load_split(folder, "test", verify=not args.no_verify)
    except (ValueError, OSError) as exc:
        _say(f"error: {exc}")
        return EXIT_UNUSABLE
    result = evaluate(predictor, images, labels)
    written = _write_eval_files(args, result, images, labels, predictor)
    if args.json:
        _emit(result.to_json())
        return EXIT_OK if written else EXIT_FAILED
    print(f"model: {predictor.describe()}")
    print(
        f"accuracy: {result.accuracy:.2%} of {result.n} test images "
        f"({result.seconds:.3f} s of inference)"
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
            _say(f"wrote {write_confusion_csv(result.confusion, args.csv)}")
        if args.png:
            from workbench.gui.evaluate.confusion_plot import render_confusion_png  # Qt, offscreen

            name, accuracy = predictor.path.name, result.accuracy
            title = f"{name}: {accuracy:.2%} right of {result.n:,} test images"
            _say(f"wrote {render_confusion_png(result.confusion, args.png, title=title)}")
        if args.misclassified:
            wrong = write_misclassified(args.misclassified, images, labels, result.probabilities)
            _say(f"wrote {len(wrong)} misclassified images to {args.misclassified}")
    except OSError as exc:
        _say(f"error: {exc}")
        return False
    return True


def _cmd_predict(args: argparse.Namespace) -> int:
    from workbench.core.recognition.images import ImageLoadError, load_grey
    from workbench.core.recognition.reading import read_digits

    if args.top < 1 or args.top > 10:
        _say("error: --top must be between 1 and 10")
        return EXIT_UNUSABLE
    predictor = _load_predictor(args)
    if predictor is None:
        return EXIT_UNUSABLE
    status = EXIT_OK
    for path in args.images:
        try:
            readings = read_digits(load_grey(path), predictor, top=args.top)
        except (ImageLoadError, OSError) as exc:
            status = EXIT_FAILED
            if args.json:
                _emit({"image": str(path), "error": str(exc)})
            else:
                _say(f"{path}: error: {exc}")
            continue
        digits = [
            {"box": list(r.box), "top": [{"digit": d, "p": round(p, 6)} for d, p in r.top]}
            for r in readings
        ]
        if args.json:
            _emit({"image": str(path), "digits": digits})
        else:
            text = " ".join(str(r.top[0][0]) for r in readings) or "(no digit)"
            print(f"{path}: {text}")
            for r in readings:
                guesses = ", ".join(f"{d} {p:.1%}" for d, p in r.top)
                print(f"  box {r.box}: {guesses}")
    return status


def _spec_for_summary(args: argparse.Namespace):
    from workbench.core.model.spec import ModelSpec, preset

    if args.spec:
        return ModelSpec.from_json(args.spec.read_text(encoding="utf-8"))
    if args.preset:
        return preset(args.preset)
    model = args.model or paths.SHIPPED_MODEL
    if model.suffix == ".safetensors":
        from workbench.core.model.checkpoint import read_checkpoint

        return ModelSpec.from_json(read_checkpoint(model)[1]["spec"])
    from workbench.core.recognition.predictor import Predictor

    return Predictor(model, device="cpu").spec


def _cmd_summary(args: argparse.Namespace) -> int:
    from workbench.core.model.network import ModelFileError
    from workbench.core.model.spec import SpecError, anatomy, anatomy_table
    from workbench.core.recognition.predictor import ModelLoadError

    try:
        spec = _spec_for_summary(args)
        table = anatomy(spec)
    except (SpecError, ModelLoadError, ModelFileError, OSError) as exc:
        _say(f"error: {exc}")
        return EXIT_UNUSABLE
    if args.json:
        _emit({"spec": spec.to_dict(), **table.to_dict()})
    else:
        print(f"{spec.name}: {table.parameters:,} parameters, {table.macs:,} multiply-accumulates")
        print(anatomy_table(table))
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    import os

    from workbench.core import bench
    from workbench.core.data.mnist import load_split

    threads = args.threads or os.cpu_count() or 1
    folder = _fetch_data(args.data_dir, quiet=args.json)
    if folder is None:
        return EXIT_UNUSABLE
    test_images, test_labels = load_split(folder, "test")
    model = args.model or paths.SHIPPED_MODEL
    _say("timing inference ...")
    report = bench.bench_inference(
        model, args.device, threads, test_images, test_labels, runs=args.runs
    )
    if not args.skip_training:
        _say("timing a training epoch and the time to 99 % validation accuracy ...")
        train_images, train_labels = load_split(folder, "train")
        report.figures["training"] = bench.bench_training(train_images, train_labels, threads)
    if not args.skip_gui:
        _say("timing the window ...")
        from workbench.gui.bench_gui import bench_window

        report.figures["window"] = bench_window(folder)
    if args.json:
        _emit(report.to_json())
    else:
        print(bench.format_report(report))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from workbench.core.model.checkpoint import load_network
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import ModelFileError
    from workbench.core.training.runs import last_checkpoint

    source = args.checkpoint
    if source.is_dir():
        source = last_checkpoint(source)
        if source is None:
            _say(f"error: {args.checkpoint} holds no checkpoints")
            return EXIT_UNUSABLE
    try:
        net, meta = load_network(source)
    except (ModelFileError, OSError) as exc:
        _say(f"error: {exc}")
        return EXIT_UNUSABLE
    report = export_onnx(net, args.out, {"source": source.name, **meta})
    print(
        f"wrote {report.path}: largest difference to torch {report.max_abs_difference:.2e}, "
        f"argmax agreement {report.argmax_agreement:.1%} on {report.n_checked} inputs"
    )
    return EXIT_OK


def _train_config(args: argparse.Namespace):
    from workbench.core.training.config import TrainConfig

    spec = json.loads(args.spec.read_text(encoding="utf-8")) if args.spec else None
    return TrainConfig(
        preset=args.preset,
        activation=args.activation,
        pooling=args.pooling,
        spec=spec,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed=args.seed,
        val_size=args.val_size,
        augment=args.augment,
        schedule=args.schedule,
        threads=args.threads,
        device=args.device,
    )


def _event_json(event: Any) -> dict[str, Any]:
    import dataclasses

    from workbench.core.training.loop import RunStarted

    row: dict[str, Any] = {"event": type(event).__name__}
    for field in dataclasses.fields(event):
        if field.name in ("history", "network"):
            continue
        value = getattr(event, field.name)
        if isinstance(event, RunStarted) and field.name == "spec":
            value = value.to_dict()
        row[field.name] = str(value) if isinstance(value, Path) else value
    return row


def _event_text(event: Any) -> str | None:
    from workbench.core.training.loop import BatchDone, EpochDone, RunEnded, RunStarted

    if isinstance(event, RunStarted):
        return (
            f"training {event.spec.name} on {event.n_train} images ({event.n_val} held out), "
            f"{event.device}, {event.threads} threads"
        )
    if isinstance(event, BatchDone) and event.batch % 200 == 0:
        return f"  epoch {event.epoch} batch {event.batch}/{event.batches}: loss {event.loss:.4f}"
    if isinstance(event, EpochDone):
        val = (
            f", validation loss {event.val_loss:.4f} accuracy {event.val_accuracy:.2%}"
            if event.val_accuracy is not None
            else ""
        )
        return (
            f"epoch {event.epoch}: train loss {event.train_loss:.4f} accuracy "
            f"{event.train_accuracy:.2%}{val} ({event.seconds:.0f} s)"
        )
    if isinstance(event, RunEnded):
        return f"run {event.state}: {event.reason} ({event.seconds:.0f} s)"
    return None


def _cmd_train(args: argparse.Namespace) -> int:
    from workbench.core.data.mnist import load_split
    from workbench.core.model.publish import write_model
    from workbench.core.model.spec import SpecError
    from workbench.core.training.loop import RunEnded, resolve_device, train
    from workbench.core.training.runs import new_run_dir

    try:
        config = _train_config(args)
        config.validate()
        resolve_device(config.device)  # CUDA asked for where there is none: say so, no traceback
    except (SpecError, ValueError, OSError, RuntimeError) as exc:
        _say(f"error: {exc}")
        return EXIT_UNUSABLE
    if args.resume and not args.name:
        _say("error: --resume needs --name of the run to continue")
        return EXIT_UNUSABLE
    folder = _fetch_data(args.data_dir, quiet=args.json, verify=not args.no_verify)
    if folder is None:
        return EXIT_UNUSABLE
    try:
        images, labels = load_split(folder, "train", verify=not args.no_verify)
    except (ValueError, OSError) as exc:
        _say(f"error: {exc}")
        return EXIT_UNUSABLE
    run_dir = paths.runs_dir() / args.name if args.resume else new_run_dir(args.name)
    _say(f"run folder: {run_dir}")
    ended = None
    try:
        for event in train(config, images, labels, run_dir=run_dir, resume=args.resume):
            if args.json:
                _emit(_event_json(event))
            elif (text := _event_text(event)) is not None:
                _say(text)
            if isinstance(event, RunEnded):
                ended = event
    except OSError as exc:  # a full disk or a lost folder: the files written so far are whole
        _say(f"error: {exc}; the run keeps its last finished epoch in {run_dir}")
        return EXIT_FAILED
    if ended is None:
        return EXIT_FAILED
    if args.out and ended.state == "finished":
        card = write_model(
            ended.network, args.out, ended.history, folder, verify=not args.no_verify
        )
        _say(
            f"wrote {args.out}: test accuracy {card['test']['accuracy']:.2%}, export max "
            f"difference {card['export']['max_abs_difference']:.1e}"
        )
    return EXIT_OK if ended.state == "finished" else EXIT_FAILED


def _handlers() -> dict[str, Any]:
    """Subcommand name -> function; every subcommand of the parser has one (a test checks)."""
    return {
        "train": _cmd_train,
        "export": _cmd_export,
        "eval": _cmd_eval,
        "predict": _cmd_predict,
        "data": _cmd_data,
        "summary": _cmd_summary,
        "bench": _cmd_bench,
        "report": report_command,
    }


if __name__ == "__main__":
    sys.exit(main())
