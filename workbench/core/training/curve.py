"""The curves of runs: a smoothed batch curve and per-epoch points, live or from history.json,
and which runs to overlay with what legend.

One smoothing for both: a live run adds the batches its history keeps (`history.is_recorded`),
a saved run adds the history's rows, so a run looks the same while it trains and after.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.training.comparisons import describe_config, describe_difference
from workbench.core.training.config import TrainConfig
from workbench.core.training.runs import read_history

SMOOTHING = 0.3  # an exponential moving average over the kept batches (every 10th)


def smooth(previous: float | None, value: float, weight: float = SMOOTHING) -> float:
    """The next value of an exponential moving average that starts at its first value."""
    return value if previous is None else weight * value + (1 - weight) * previous


@dataclass
class CurveData:
    """What one run has so far: smoothed batch curve, per-epoch points, how it ended."""

    batch_x: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_epoch: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    end: tuple[str, float, str] | None = None  # (state, x, short text) for diverged/stalled/…
    broken: bool = False  # a loss was not a number: the batch curve ends there

    def add_batch(self, x: float, loss: float, accuracy: float) -> None:
        """A kept batch: [x in epochs, loss, accuracy], as history.json's "batches" rows."""
        if self.broken or not (isinstance(loss, (int, float)) and math.isfinite(loss)):
            self.broken = True
            return
        last_loss = self.batch_loss[-1] if self.batch_loss else None
        last_accuracy = self.batch_accuracy[-1] if self.batch_accuracy else None
        self.batch_x.append(float(x))
        self.batch_loss.append(smooth(last_loss, loss))
        self.batch_accuracy.append(smooth(last_accuracy, accuracy))

    def add_epoch(self, row: Mapping[str, Any]) -> None:
        """An epoch: a history.json "epochs" row, or an EpochDone as a dict."""
        self.epoch.append(float(row["epoch"]))
        self.train_loss.append(float(row["train_loss"]))
        self.train_accuracy.append(float(row["train_accuracy"]))
        if row.get("val_accuracy") is not None:
            self.val_epoch.append(float(row["epoch"]))
            self.val_loss.append(float(row["val_loss"]))
            self.val_accuracy.append(float(row["val_accuracy"]))

    def set_end(self, state: str, ended_epoch: int) -> None:
        if state in ("running", "finished"):
            self.end = None
            return
        last = max([*self.batch_x, *self.epoch, 0.0])
        where = (
            f"in epoch {ended_epoch + 1}" if state == "diverged" else f"after epoch {ended_epoch}"
        )
        self.end = (state, last, f"{state} {where}")


def curve_data(history: Mapping[str, Any]) -> CurveData:
    """The curves of a saved run (history.json)."""
    data = CurveData()
    for x, loss, accuracy in history.get("batches", []):
        data.add_batch(x, loss, accuracy)
    for row in history.get("epochs", []):
        data.add_epoch(row)
    data.set_end(str(history.get("state", "")), int(history.get("ended_epoch", len(data.epoch))))
    return data


def overlay(
    chosen: list[Path], live_run: Path | None, live: CurveData, live_config: TrainConfig | None
) -> tuple[list[tuple[Path, str, CurveData]], str, int | None]:
    """(runs as (path, legend label, curves), title, fixed epoch range) for CurvesPanel.

    The run training now (`live_run`) is drawn from `live`; the others from their history.
    A label is what differs between the runs ("learning rate 0.01"), with the run's name when
    that alone would not tell two runs apart. A single live run gets a fixed epoch range.
    """
    shown, configs = [], []
    for path in chosen:
        if path == live_run:
            shown.append((path, live))
            configs.append(live_config.to_dict() if live_config else {})
            continue
        try:
            history = read_history(path)
        except ValueError:
            continue  # a damaged run: the table says so
        shown.append((path, curve_data(history)))
        configs.append(history.get("config", {}))
    labels = describe_difference(configs)
    legend = [
        label
        if label and labels.count(label) == 1
        else (f"{path.name}: {label}" if label else path.name)
        for (path, _), label in zip(shown, labels, strict=True)
    ]
    runs = [(path, label, data) for (path, data), label in zip(shown, legend, strict=True)]
    if len(runs) != 1:
        return runs, f"<b>{len(runs)} runs</b> · the legend names what differs", None
    path, config = runs[0][0], configs[0]
    title = f"<b>{html.escape(path.name)}</b> · {html.escape(describe_config(config))}"
    return runs, title, config.get("epochs") if path == live_run else None
