"""Where the workbench keeps its files: user data, MNIST, runs, log, the shipped model."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _bundled(name: str) -> Path:
    """`models/` and `assets/` are inside the installed package, or beside it in a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


SHIPPED_MODELS_DIR = _bundled("models")
ASSETS_DIR = _bundled("assets")
SHIPPED_MODEL = SHIPPED_MODELS_DIR / "lenet5.onnx"


def home_dir() -> Path:
    """The user data folder: `WORKBENCH_HOME`, else the platform's per-user data folder."""
    override = os.environ.get("WORKBENCH_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "workbench"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The MNIST folder: `--data-dir`, else `WORKBENCH_DATA`, else `mnist/` in the user folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("WORKBENCH_DATA")
    if env:
        return Path(env).expanduser()
    return home_dir() / "mnist"


def runs_dir() -> Path:
    return home_dir() / "runs"


def log_file() -> Path:
    return home_dir() / "workbench.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to `workbench.log` in the user data folder; its path, or None if it cannot be written."""
    path = log_file()
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_workbench", False):
            return Path(handler.baseFilename)  # already logging (perhaps to an earlier home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler._workbench = True  # type: ignore[attr-defined]
    # Our own INFO lines; from libraries (onnxscript chatters on every export) warnings only.
    handler.addFilter(lambda r: r.name.startswith("workbench") or r.levelno >= logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path
