"""The `workbench` command: subcommands drive the core; with none, the window opens."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from workbench import __version__
from workbench.cli import compare, evaluate, lab, models, predict, train
from workbench.cli.common import say
from workbench.cli.report import add_report_parser, report_command
from workbench.core import paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="LeNet digit workbench: with no command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_parser(sub)
    models.add_parsers(sub)
    evaluate.add_parsers(sub)
    predict.add_parser(sub)
    add_report_parser(sub)
    lab.add_parser(sub)
    compare.add_parser(sub)
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
        say("interrupted")
        return 130
    except BrokenPipeError:  # `workbench … | head`: the reader has gone; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _handlers() -> dict[str, Any]:
    """Subcommand name -> function; every subcommand of the parser has one (a test checks)."""
    return {
        "train": train.command,
        "export": models.export_command,
        "eval": evaluate.eval_command,
        "predict": predict.command,
        "data": evaluate.data_command,
        "summary": models.summary_command,
        "bench": evaluate.bench_command,
        "report": report_command,
        "lab": lab.command,
        "compare": compare.command,
    }


if __name__ == "__main__":
    sys.exit(main())
