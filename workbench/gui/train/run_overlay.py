"""Which curves to draw for the selected runs, with legend labels that name what differs."""

from __future__ import annotations

import html
from pathlib import Path

from workbench.core.training.comparisons import describe_config, describe_difference
from workbench.core.training.config import TrainConfig
from workbench.core.training.curve import CurveData, curve_data
from workbench.core.training.runs import read_history


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
