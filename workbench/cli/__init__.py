"""The `workbench` command: subcommands drive the core; with none, the window opens."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Any

from workbench import __version__
from workbench.cli.common import EXIT_FAILED, OutputError, say
from workbench.core import paths

# Subcommand → (module of workbench.cli, its function); a module's parser adder defines them all.
_COMMANDS = {
    "train": ("train", "command"),
    "export": ("models", "export_command"),
    "summary": ("models", "summary_command"),
    "eval": ("evaluate", "eval_command"),
    "data": ("evaluate", "data_command"),
    "bench": ("evaluate", "bench_command"),
    "predict": ("predict", "command"),
    "report": ("report", "report_command"),
    "lab": ("lab", "command"),
    "compare": ("compare", "command"),
}
_ADDERS = {
    "train": "add_parser",
    "models": "add_parsers",
    "evaluate": "add_parsers",
    "predict": "add_parser",
    "report": "add_report_parser",
    "lab": "add_parser",
    "compare": "add_parser",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `workbench` parser; given the `command` about to run, only its module's subcommands
    (a `workbench predict` need not import what training, the lab or the report use)."""
    parser = argparse.ArgumentParser(
        prog="workbench", description="LeNet digit workbench: with no command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _COMMANDS[command][0] if command in _COMMANDS else None
    for module, adder in _ADDERS.items():
        if wanted in (None, module):
            getattr(_module(module), adder)(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    paths.setup_logging()
    if args.command is None:
        from workbench.gui.app import run_app

        return run_app()
    module, function = _COMMANDS[args.command]
    handler = getattr(_module(module), function)
    try:
        return handler(args)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:  # `workbench … | head`: the reader has gone; stop quietly
        _silence_stdout()
        return 141
    except OutputError as exc:  # `workbench predict … > /dev/full`: one clear line
        _silence_stdout()
        say(f"error: {exc}")
        return EXIT_FAILED


def _silence_stdout() -> None:
    """What is left in standard output's buffer goes nowhere (its flush at exit would fail)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    """The `workbench` console script: `main`, and after a command that only reads (predict),
    once its output and the log are flushed, an exit without the interpreter's teardown
    (freeing onnxruntime and numpy: ~30 ms of a 12 MP page's half second)."""
    code = main()
    if sys.argv[1:2] == ["predict"]:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, OSError):
            sys.exit(code)  # the ordinary way out reports what it must
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def _handlers() -> dict[str, Any]:
    """Subcommand name -> function; every subcommand of the parser has one (a test checks)."""
    return {name: getattr(_module(mod), func) for name, (mod, func) in _COMMANDS.items()}


def _module(name: str):
    return importlib.import_module(f"workbench.cli.{name}")


if __name__ == "__main__":
    run()
