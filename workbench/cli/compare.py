"""`workbench compare EXPERIMENT`: an experiment's arms trained one after another, then its note."""

from __future__ import annotations

import argparse
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


def slug(experiment: str) -> str:
    return experiment.replace(" ", "-")


def add_parser(sub) -> None:
    from workbench.core.training.comparisons import EXPERIMENTS

    p = sub.add_parser(
        "compare",
        help="run an experiment's arms one after another and say what they showed",
        description="Train each arm of a course experiment with the same budget (same seed, "
        "split and epochs), keep each as a run, and print a note written from their numbers.",
    )
    p.add_argument("experiment", choices=[slug(e) for e in EXPERIMENTS])
    add_data(p)
    p.add_argument("--epochs", type=int, help="epochs per arm (default: the experiment's)")
    p.add_argument("--train-size", type=int, help="train every arm on a subset of N images")
    p.add_argument("--val-size", type=int, help="images held out for validation")
    p.add_argument(
        "--init-constant", type=float, default=0.1, help="the weights' value in the constant arm"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")


def arm_settings(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """(run name, settings) of each arm, the command line's budget on top."""
    from workbench.core.training.comparisons import comparison_settings
    from workbench.core.training.config import TrainConfig

    base = TrainConfig(
        seed=args.seed,
        threads=args.threads,
        device=args.device,
        init_constant=args.init_constant,
    ).to_dict()
    overrides = {
        key: value
        for key, value in (
            ("epochs", args.epochs),
            ("train_size", args.train_size),
            ("val_size", args.val_size),
        )
        if value is not None
    }
    experiment = args.experiment.replace("-", " ")
    return [(name, {**s, **overrides}) for name, s in comparison_settings(experiment, base)]


def command(args: argparse.Namespace) -> int:
    from workbench.cli.train import _event_text
    from workbench.core.model.spec import SpecError
    from workbench.core.training.config import TrainConfig
    from workbench.core.training.events import RunEnded
    from workbench.core.training.experiment_notes import arm_from_run, experiment_note
    from workbench.core.training.loop import resolve_device, train
    from workbench.core.training.runs import new_run_dir

    try:
        arms = [(name, TrainConfig.from_dict(s)) for name, s in arm_settings(args)]
        for _, config in arms:
            config.validate()
        resolve_device(args.device)
    except (SpecError, ValueError, RuntimeError) as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE
    data = read_split(args, "train")
    if data is None:
        return EXIT_UNUSABLE
    folder, images, labels = data
    experiment = args.experiment.replace("-", " ")
    rows, results = [], []
    for name, config in arms:
        run_dir = new_run_dir(name)
        say(f"{name}: run folder {run_dir}")
        try:
            for event in train(config, images, labels, run_dir=run_dir):
                if isinstance(event, RunEnded):
                    rows.append((name, run_dir, event.state))
                elif not args.json and (text := _event_text(event)) is not None:
                    say(f"  {text}")
        except OSError as exc:
            say(f"error: {exc}")
            return EXIT_FAILED
        results.append(arm_from_run(run_dir))
    note = experiment_note(experiment, results)
    if args.json:
        emit(
            {
                "experiment": experiment,
                "arms": [
                    _arm_json(name, run_dir, state, arm)
                    for (name, run_dir, state), arm in zip(rows, results, strict=True)
                ],
                "note": note,
            }
        )
    else:
        for (name, _, state), arm in zip(rows, results, strict=True):
            say(
                f"{name}: {state}, best validation accuracy {arm.best_accuracy() or 0:.2%}, "
                f"{arm.parameters:,} parameters"
            )
        print(note)
    return EXIT_OK


def _arm_json(name: str, run_dir: Any, state: str, arm: Any) -> dict[str, Any]:
    return {
        "name": name,
        "run_dir": str(run_dir),
        "state": state,
        "epochs": arm.epochs(),
        "best_val_accuracy": arm.best_accuracy(),
        "final_val_loss": arm.final("val_loss"),
        "parameters": arm.parameters,
        "unit_spread": arm.unit_spread,
        "kept_epoch": arm.history.get("kept_epoch"),
    }
