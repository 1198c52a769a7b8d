"""`workbench export` and `workbench summary`: a checkpoint to ONNX, a model's anatomy table."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    emit,
    say,
)
from workbench.core import paths


def add_parsers(sub) -> None:
    from workbench.core.model.spec import PRESETS

    p = sub.add_parser("export", help="export a checkpoint to ONNX")
    p.add_argument("checkpoint", type=Path, help="a .safetensors checkpoint or a run folder")
    p.add_argument("--out", type=Path, required=True, help="the .onnx file to write")

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
    from workbench.core.model.checkpoint import load_network
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import ModelFileError
    from workbench.core.training.runs import last_checkpoint

    source = args.checkpoint
    if source.is_dir():
        source = last_checkpoint(source)
        if source is None:
            say(f"error: {args.checkpoint} holds no checkpoints")
            return EXIT_UNUSABLE
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
