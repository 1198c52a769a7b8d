"""Run folders under `runs/` in the user data folder: one per training run, surviving restarts."""

from __future__ import annotations

import re
import time
from pathlib import Path

from workbench.core import paths
from workbench.core.checkpoint import HISTORY_NAME


def safe_run_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned[:80] or "run"


def new_run_dir(name: str | None = None, root: Path | None = None) -> Path:
    """A fresh folder for a run; a taken name gets a numeric suffix instead of overwriting."""
    root = root or paths.runs_dir()
    base = safe_run_name(name or time.strftime("%Y%m%d-%H%M%S"))
    candidate, counter = root / base, 2
    while candidate.exists():
        candidate, counter = root / f"{base}-{counter}", counter + 1
    candidate.mkdir(parents=True)
    return candidate


def list_runs(root: Path | None = None) -> list[Path]:
    root = root or paths.runs_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / HISTORY_NAME).is_file())


def last_checkpoint(run_dir: Path) -> Path | None:
    found = sorted((Path(run_dir) / "checkpoints").glob("epoch-*.safetensors"))
    return found[-1] if found else None
