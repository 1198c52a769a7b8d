"""Early stopping, torch-free: the best validation epoch, and when patience has run out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def best_epoch(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """The epoch of the lowest validation loss (the first of equals), None without any."""
    scored = [r for r in rows if r.get("val_loss") is not None]
    if not scored:
        return None
    return int(min(scored, key=lambda r: (r["val_loss"], r["epoch"]))["epoch"])


def early_stop_reason(rows: Sequence[Mapping[str, Any]], patience: int) -> str | None:
    """Why to stop after the last of these epoch rows, or None: the validation loss has not
    improved on its best for `patience` epochs."""
    best = best_epoch(rows)
    if best is None or not rows:
        return None
    last = int(rows[-1]["epoch"])
    if last - best < patience:
        return None
    loss = next(r["val_loss"] for r in rows if r["epoch"] == best)
    return (
        f"stopped early after epoch {last}: validation loss was lowest ({loss:.4f}) at epoch "
        f"{best}, not improved for {patience} epochs; epoch {best}'s weights are kept"
    )
