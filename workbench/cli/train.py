"""`workbench train`: train a network on MNIST, keep the run, print its events."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

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
from workbench.core.training.config import (
    CLASSIC_STRENGTHS,
    FAMILIES,
    MAX_STRENGTH,
    NO_AUGMENTATION,
)

FAMILY_HELP = {
    "affine": "rotation, shift, scale, shear, stroke width and blur",
    "stretch": "independent x/y scale (aspect 0.5-1.3, digits filling a square box)",
    "elastic": "smooth random wobble",
    "lowres": "low-resolution scan",
}


def add_parser(sub) -> None:
    from workbench.core.model.spec import PRESETS
    from workbench.core.training.config import TrainConfig

    default = TrainConfig()

    p = sub.add_parser(
        "train",
        help="train a network on MNIST and keep the run",
        description="Train on the MNIST training set; a checkpoint per epoch and "
        "history.json go to runs/NAME in the user data folder.",
    )
    add_data(p)
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
        default=None,
        help="shorthand: the classic distortions (affine 1, the others 0), or none at all",
    )
    for family, what in FAMILY_HELP.items():
        p.add_argument(
            f"--{family}",
            type=float,
            metavar="S",
            help=f"strength of the {what} distortions, 0 (off) to {MAX_STRENGTH:g} "
            f"(default {getattr(default, family):g}; overrides --augment)",
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
        **_strengths(args),
        schedule=args.schedule,
        threads=args.threads,
        device=args.device,
    )


def _strengths(args: argparse.Namespace) -> dict[str, float]:
    """The augmentation strengths: the defaults, or --augment/--no-augment's, then each
    family's own flag."""
    from workbench.core.training.config import TrainConfig

    default = TrainConfig()
    if args.augment is None:
        strengths = default.strengths
    else:
        strengths = dict(CLASSIC_STRENGTHS if args.augment else NO_AUGMENTATION)
    for family in FAMILIES:
        if getattr(args, family, None) is not None:
            strengths[family] = getattr(args, family)
    return strengths


def _event_text(event: Any) -> str | None:
    from workbench.core.training.events import BatchDone, EpochDone, RunEnded, RunStarted

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


def _read_training_data(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """The MNIST folder and training split, or the exit code, into `result` (a thread's work:
    checksums and gunzip release the GIL, so they overlap torch's import)."""
    from workbench.core.data.mnist import load_split

    folder = fetch_data(args.data_dir, quiet=args.json, verify=not args.no_verify)
    if folder is None:
        result["code"] = EXIT_UNUSABLE
        return
    try:
        result["data"] = folder, *load_split(folder, "train", verify=not args.no_verify)
    except (ValueError, OSError) as exc:
        say(f"error: {exc}")
        result["code"] = EXIT_UNUSABLE


def command(args: argparse.Namespace) -> int:
    import threading

    from workbench.core.model.spec import SpecError

    try:
        config = _train_config(args)
        config.validate()
    except (SpecError, ValueError, OSError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    if args.resume and not args.name:
        say("error: --resume needs --name of the run to continue")
        return EXIT_UNUSABLE
    loaded: dict[str, Any] = {}
    reader = threading.Thread(target=_read_training_data, args=(args, loaded), daemon=True)
    reader.start()
    from workbench.core.training.events import RunEnded, event_to_dict
    from workbench.core.training.loop import resolve_device, train
    from workbench.core.training.runs import new_run_dir

    try:
        resolve_device(config.device)  # CUDA asked for where there is none: say so, no traceback
    except RuntimeError as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    reader.join()
    if "data" not in loaded:
        return loaded.get("code", EXIT_UNUSABLE)
    folder, images, labels = loaded["data"]
    run_dir = paths.runs_dir() / args.name if args.resume else new_run_dir(args.name)
    say(f"run folder: {run_dir}")
    ended = None
    try:
        for event in train(config, images, labels, run_dir=run_dir, resume=args.resume):
            if args.json:
                emit(event_to_dict(event))
            elif (text := _event_text(event)) is not None:
                say(text)
            if isinstance(event, RunEnded):
                ended = event
    except OSError as exc:  # a full disk or a lost folder: the files written so far are whole
        say(f"error: {exc}; the run keeps its last finished epoch in {run_dir}")
        return EXIT_FAILED
    if ended is None:
        return EXIT_FAILED
    if args.out and ended.state == "finished":
        from workbench.core.model.publish import write_model

        card = write_model(
            ended.network, args.out, ended.history, folder, verify=not args.no_verify
        )
        say(
            f"wrote {args.out}: test accuracy {card['test']['accuracy']:.2%}, export max "
            f"difference {card['export']['max_abs_difference']:.1e}"
        )
    return EXIT_OK if ended.state == "finished" else EXIT_FAILED
