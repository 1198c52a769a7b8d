"""`workbench train`: train a network on MNIST, keep the run, print its events."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path
from typing import Any

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    add_data,
    emit,
    read_split,
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

EXIT_INTERRUPTED = 130  # what a shell reports for a command ended by Ctrl+C


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
    # Recipe options default to None, meaning "not given": a new run takes TrainConfig's
    # default, a resumed run the value it recorded (a given value that differs is refused).
    p.add_argument("--preset", choices=sorted(PRESETS), help="default lenet5")
    p.add_argument("--spec", type=Path, help="a JSON model spec (overrides --preset)")
    p.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "none"), help="default relu")
    p.add_argument("--pooling", choices=("max", "avg"), help="default max")
    p.add_argument("--optimizer", choices=("sgd", "adam"), help=f"default {default.optimizer}")
    p.add_argument("--lr", type=float, help=f"learning rate (default {default.learning_rate})")
    p.add_argument("--momentum", type=float, help=f"SGD momentum (default {default.momentum})")
    p.add_argument("--weight-decay", type=float, help=f"default {default.weight_decay}")
    p.add_argument(
        "--schedule",
        choices=("constant", "cosine", "onecycle"),
        help=f"default {default.schedule}",
    )
    p.add_argument("--batch-size", type=int, help=f"default {default.batch_size}")
    p.add_argument(
        "--epochs",
        type=int,
        help=f"default {default.epochs}; with --resume, more than the run's trains it further",
    )
    p.add_argument("--seed", type=int, help=f"default {default.seed}")
    p.add_argument(
        "--val-size", type=int, help=f"images held out for validation (default {default.val_size})"
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
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default cpu")
    p.add_argument("--name", help="run name (default: a timestamp)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue run NAME from its last checkpoint, with its recorded recipe, split, seed "
        "and data (checked)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="also write the model here: OUT.onnx, OUT.safetensors and a model card "
        "OUT.json with the test-set evaluation",
    )
    p.add_argument("--json", action="store_true", help="events as JSON lines on standard output")
    add_experiment_options(p)


def add_experiment_options(p: argparse.ArgumentParser) -> None:
    """The settings the homework experiments vary: subset, early stopping, initial weights."""
    p.add_argument("--train-size", type=int, help="train on a seeded subset of N training images")
    p.add_argument(
        "--early-stop",
        type=int,
        metavar="PATIENCE",
        help="stop when validation loss has not improved for PATIENCE epochs; the best "
        "epoch's checkpoint is the one `export RUN` and --out take",
    )
    p.add_argument("--init", choices=("default", "zeros", "constant"), help="default default")
    p.add_argument(
        "--init-constant", type=float, help="every weight's value with --init constant (0.1)"
    )


OPTIONS = {  # TrainConfig field -> argparse dest
    "preset": "preset",
    "activation": "activation",
    "pooling": "pooling",
    "spec": "spec",
    "optimizer": "optimizer",
    "learning_rate": "lr",
    "momentum": "momentum",
    "weight_decay": "weight_decay",
    "batch_size": "batch_size",
    "epochs": "epochs",
    "seed": "seed",
    "val_size": "val_size",
    **{family: family for family in FAMILIES},
    "schedule": "schedule",
    "threads": "threads",
    "device": "device",
    "train_size": "train_size",
    "early_stop": "early_stop",
    "init": "init",
    "init_constant": "init_constant",
}


def _given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The recipe options on the command line (TrainConfig field -> value); not the others."""
    given = {field: getattr(args, dest) for field, dest in OPTIONS.items()}
    given = {field: value for field, value in given.items() if value is not None}
    if args.augment is not None:  # the shorthand, under the families' own flags
        given = {**(CLASSIC_STRENGTHS if args.augment else NO_AUGMENTATION), **given}
    if "spec" in given:
        given["spec"] = json.loads(given["spec"].read_text(encoding="utf-8"))
    return given


def _train_config(args: argparse.Namespace):
    """The config of the run: the options given over the defaults, or for --resume the run's
    record (ResumeRefused, a ValueError, for an option that contradicts it)."""
    from workbench.core.training.config import TrainConfig
    from workbench.core.training.resume import resume_config

    given = _given_settings(args)
    if args.resume:
        return resume_config(paths.runs_dir() / args.name, given)
    return TrainConfig(**given)


class _CtrlC:
    """The first Ctrl+C asks the run to stop at the next event (history "stopped", checkpoints
    kept); a second one interrupts at once."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        try:
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        except ValueError:  # not the main thread (a test calling main): no handler
            self._previous = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True


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


def command(args: argparse.Namespace) -> int:
    from workbench.core.model.spec import SpecError
    from workbench.core.training.events import EpochDone, RunEnded, event_to_dict
    from workbench.core.training.loop import resolve_device, train
    from workbench.core.training.resume import ResumeRefused
    from workbench.core.training.runs import HISTORY_NAME, new_run_dir, summarise

    if args.resume and not args.name:
        say("error: --resume needs --name of the run to continue")
        return EXIT_UNUSABLE
    if args.resume and not (paths.runs_dir() / args.name / HISTORY_NAME).is_file():
        say(f"error: there is no run {args.name!r} to resume in {paths.runs_dir()}")
        return EXIT_UNUSABLE
    try:
        config = _train_config(args)
        config.validate()
        resolve_device(config.device)  # CUDA asked for where there is none: say so, no traceback
    except (SpecError, ValueError, OSError, RuntimeError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    data = read_split(args, "train")
    if data is None:
        return EXIT_UNUSABLE
    folder, images, labels = data
    run_dir = paths.runs_dir() / args.name if args.resume else new_run_dir(args.name)
    say(f"run folder: {run_dir}")
    if args.resume:
        run = summarise(run_dir)  # "interrupted" when the process that trained it is gone
        why = f" ({run.reason})" if run.reason else ""
        say(
            f"run {run.name} is {run.state} after epoch {run.epochs_done}{why}; resuming with "
            f"its recipe: {config.epochs} epochs, seed {config.seed}, {config.val_size} held out"
        )
    ended, epochs_done = None, None
    with _CtrlC() as ctrl_c:
        events = train(config, images, labels, run_dir=run_dir, resume=args.resume)
        try:
            for event in events:
                if args.json:
                    emit(event_to_dict(event))
                elif (text := _event_text(event)) is not None:
                    say(text)
                if isinstance(event, EpochDone):
                    epochs_done = event.epoch
                if isinstance(event, RunEnded):
                    ended = event
                if ctrl_c.asked and ended is None:
                    events.close()  # the run is saved as "stopped", its checkpoints kept
                    break
        except ResumeRefused as exc:
            say(f"error: {exc}")
            return EXIT_UNUSABLE
        except OSError as exc:  # a full disk or a lost folder: the files written so far are whole
            say(f"error: {exc}; the run keeps its last finished epoch in {run_dir}")
            return EXIT_FAILED
    if ctrl_c.asked and ended is None:
        done = f"after epoch {epochs_done}" if epochs_done else "before its first epoch"
        say(
            f"stopped by Ctrl+C {done}; the run is kept in {run_dir}: continue it with "
            f"`workbench train --name {run_dir.name} --resume`"
        )
        return EXIT_INTERRUPTED
    if ended is None:
        return EXIT_FAILED
    if args.out and ended.state == "finished":
        from workbench.core.model.publish import write_model  # onnxruntime: only here

        try:
            card = write_model(
                ended.network, args.out, ended.history, folder, verify=not args.no_verify
            )
        except (OSError, ValueError, RuntimeError) as exc:  # full disk, test set gone: run kept
            say(f"error: {exc}; the run is kept in {run_dir}")
            return EXIT_FAILED
        say(
            f"wrote {args.out}: test accuracy {card['test']['accuracy']:.2%}, export max "
            f"difference {card['export']['max_abs_difference']:.1e}"
        )
    return EXIT_OK if ended.state == "finished" else EXIT_FAILED
