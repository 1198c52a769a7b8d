"""What every subcommand shares: exit codes, output, the --model and --data-dir options."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from workbench.core import paths

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def emit(value: Any) -> None:
    """One JSON line on standard output (the scripting contract): strict JSON, never NaN.

    Commands turn a NaN that matters into an error first (`predict`, `eval`); any other
    non-finite number (a diverged loss) is written as null, as JavaScript's JSON.stringify does.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), allow_nan=False)
    write_line(text)


class OutputError(Exception):
    """Standard output cannot be written (a full disk or device behind it)."""


def write_line(text: str) -> None:
    """One line on standard output, flushed; OutputError where it cannot be written (a reader
    that has gone is a BrokenPipeError, left to `main`)."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write the output: {exc.strerror or exc}") from exc


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def add_model(p: argparse.ArgumentParser, device: bool = True) -> None:
    """The one --model option (and --device where the command runs the model)."""
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="an ONNX model exported by the workbench, or a .safetensors checkpoint it saved "
        "(default: the shipped LeNet-5)",
    )
    if not device:
        return
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to run: cuda falls back to cpu with a notice",
    )


def add_data(p: argparse.ArgumentParser, own_files: bool = True) -> None:
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


def load_predictor(args: argparse.Namespace):
    """The model of --model (an ONNX file, or a checkpoint exported once into the user cache)."""
    from workbench.core.model.files import open_model
    from workbench.core.recognition.predictor import ModelLoadError, Predictor

    try:
        if args.model is None:
            predictor = Predictor(paths.SHIPPED_MODEL, device=args.device)
        else:
            predictor = open_model(args.model, device=args.device)
    except ModelLoadError as exc:
        say(f"error: {exc}")
        return None
    if predictor.notice:
        say(f"notice: {predictor.notice}")
    return predictor


def fetch_data(
    folder_arg: Path | None,
    quiet: bool = False,
    verify: bool = True,
    download: bool | None = None,
) -> Path | None:
    """The MNIST folder with its four files, downloading what is missing or corrupt.

    `download` defaults to: only into the default folder with the checksums on. A folder given
    with --data-dir, or files used with --no-verify, are the user's own: never downloaded over;
    `load_split` then names a missing, empty or misplaced file. `workbench data` passes True.
    """
    from workbench.core.data.mnist import OFFICIAL_MD5, DataCorrupt, DataUnavailable, ensure_mnist

    if download is None:
        download = verify and folder_arg is None
    if not download:
        return paths.data_dir(folder_arg)
    last = {"file": None}

    def progress(event) -> None:
        if quiet:
            return
        if event.file != last["file"]:
            last["file"] = event.file
            say(f"downloading {event.file} from {event.mirror}")

    try:
        return ensure_mnist(
            folder_arg, progress=progress, checksums=OFFICIAL_MD5 if verify else None
        )
    except (DataUnavailable, DataCorrupt, OSError) as exc:
        say(f"error: {exc}")
        return None


def read_split(args: argparse.Namespace, split: str):
    """(folder, images, labels) of an MNIST split for a command with --data-dir/--no-verify/--json,
    or None after saying why (missing, corrupt or unreadable files)."""
    from workbench.core.data.mnist import load_split

    verify = not args.no_verify
    folder = fetch_data(args.data_dir, quiet=getattr(args, "json", False), verify=verify)
    if folder is None:
        return None
    try:
        images, labels = load_split(folder, split, verify=verify)
    except (ValueError, OSError, RuntimeError) as exc:  # DataUnavailable is a RuntimeError
        say(f"error: {exc}")
        return None
    return folder, images, labels
