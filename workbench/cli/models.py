"""`workbench export` and `workbench summary`: a checkpoint to ONNX, a model's anatomy table."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    add_data,
    emit,
    fetch_data,
    say,
)
from workbench.core import paths


def add_parsers(sub) -> None:
    from workbench.core.model.spec import PRESETS

    p = sub.add_parser(
        "export",
        help="export a checkpoint to ONNX (and, with --int8, its int8 twin)",
        description="Write NAME.onnx from a checkpoint. With --int8, also NAME.int8.onnx: "
        "onnxruntime's static quantisation, calibrated on 500 MNIST training images. "
        "--int8 --from-onnx FILE makes the int8 twin of an exported model (e.g. the shipped "
        "models/lenet5.onnx) without torch.",
    )
    p.add_argument(
        "checkpoint", type=Path, nargs="?", help="a .safetensors checkpoint or a run folder"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="the .onnx file to write (with --from-onnx: the int8 file, default NAME.int8.onnx "
        "beside it)",
    )
    p.add_argument("--int8", action="store_true", help="also write the int8 model NAME.int8.onnx")
    p.add_argument(
        "--from-onnx",
        type=Path,
        metavar="FILE",
        help="quantise this exported float model instead of exporting a checkpoint",
    )
    add_data(p)

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


def export_command(args: argparse.Namespace) -> int:
    if args.from_onnx is not None:
        if args.checkpoint is not None or not args.int8:
            say("error: --from-onnx goes with --int8 and no checkpoint")
            return EXIT_UNUSABLE
        return export_int8(args.from_onnx, args.out, args.data_dir, not args.no_verify)
    if args.checkpoint is None or args.out is None:
        say("error: export needs a checkpoint and --out (or --int8 --from-onnx FILE)")
        return EXIT_UNUSABLE
    code = _export_float(args)
    if code != EXIT_OK or not args.int8:
        return code
    return export_int8(args.out, None, args.data_dir, not args.no_verify)


def _export_float(args: argparse.Namespace) -> int:
    from workbench.core.model.checkpoint import load_network
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import ModelFileError
    from workbench.core.training.runs import kept_checkpoint

    source = args.checkpoint
    if source.is_dir():  # a run: its last checkpoint, or the best one early stopping kept
        kept = kept_checkpoint(source)
        if kept is None:
            say(f"error: {args.checkpoint} holds no checkpoints")
            return EXIT_UNUSABLE
        source = kept[1]
    try:
        net, meta = load_network(source)
    except (ModelFileError, OSError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    try:
        report = export_onnx(net, args.out, {"source": source.name, **meta})
    except OSError as exc:  # a full disk or a lost folder: atomic_writer left nothing behind
        where = exc.filename or args.out
        say(f"error: cannot write {where}: {exc.strerror or exc}; nothing was written")
        return EXIT_FAILED
    print(
        f"wrote {report.path}: largest difference to torch {report.max_abs_difference:.2e}, "
        f"argmax agreement {report.argmax_agreement:.1%} on {report.n_checked} inputs"
    )
    return EXIT_OK


def export_int8(
    float_model: Path, out: Path | None, data_dir: Path | None, verify: bool = True
) -> int:
    """Quantise `float_model`, calibrated on MNIST training images; print its test accuracy
    beside the float model's when the test set is there."""
    from workbench.core.data.mnist import load_split
    from workbench.core.model.quantize import (
        QuantizeError,
        calibration_images,
        int8_card,
        quantize_model,
    )
    from workbench.core.recognition.predictor import ModelLoadError

    folder = fetch_data(data_dir, verify=verify)
    if folder is None:
        return EXIT_UNUSABLE
    try:
        train_images, _ = load_split(folder, "train", verify=verify)
        test = load_split(folder, "test", verify=verify)
    except (ValueError, OSError, RuntimeError) as exc:  # DataUnavailable is a RuntimeError
        say(f"error: the int8 calibration needs the MNIST training images: {exc}")
        return EXIT_UNUSABLE
    try:
        report = quantize_model(
            float_model, calibration_images(train_images), out, check_images=test[0][:1000]
        )
        card = int8_card(float_model, report.path, *test)
    except (QuantizeError, ModelLoadError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    except OSError as exc:
        where = exc.filename or out or float_model.with_suffix(".int8.onnx")
        say(f"error: cannot write {where}: {exc.strerror or exc}")
        return EXIT_FAILED
    test_line = card["int8"]
    print(
        f"wrote {report.path}: {report.int8_bytes / 1024:.0f} KiB (float "
        f"{report.float_bytes / 1024:.0f} KiB), calibrated on {report.n_calibration} training "
        f"images; test accuracy {test_line['test_accuracy']:.2%} (float "
        f"{test_line['float_test_accuracy']:.2%}), top-1 the same as the float model on "
        f"{test_line['argmax_agreement']:.2%} of {test_line['n_test']:,} test images"
    )
    return EXIT_OK


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


def summary_command(args: argparse.Namespace) -> int:
    from workbench.core.model.anatomy import anatomy, anatomy_table
    from workbench.core.model.network import ModelFileError
    from workbench.core.model.spec import SpecError
    from workbench.core.recognition.predictor import ModelLoadError

    try:
        spec = _spec_for_summary(args)
        table = anatomy(spec)
    except (SpecError, ModelLoadError, ModelFileError, OSError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    if args.json:
        emit({"spec": spec.to_dict(), **table.to_dict()})
    else:
        print(f"{spec.name}: {table.parameters:,} parameters, {table.macs:,} multiply-accumulates")
        print(anatomy_table(table))
    return EXIT_OK
