"""Loss and accuracy curves of one run (live) or several runs overlaid, with a legend."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.core.training.curve import CurveData

# Okabe–Ito: told apart by colour-blind readers, and on a projector.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
TRAINING, VALIDATION = "#0072B2", "#D55E00"
EMPTY_EPOCHS = 5  # the epoch axis before any run: the default recipe's length
TRAINING_LIGHT = "#80b4da"  # the smoothed batch curve, drawn under the epoch means
END_COLOURS = {"diverged": "#C00000", "stalled": "#B8860B", "stopped": "#666666"}
MIN_LOSS = 1e-4  # the loss axis is logarithmic
TARGET_ACCURACY = 99.0  # a dotted line: what a LeNet-5 reaches on MNIST


def _loss(values: list[float]) -> np.ndarray:
    return np.clip(np.asarray(values, dtype=np.float64), MIN_LOSS, 1e6)


def _percent(values: list[float]) -> np.ndarray:
    return 100.0 * np.asarray(values, dtype=np.float64)


class _RunItems:
    """The plot items of one run on both plots, updated in place."""

    def __init__(self, panel: CurvesPanel, colour: str | None, index: int = 0):
        single = colour is None
        train_colour = TRAINING if single else colour
        val_colour = VALIDATION if single else colour
        light = pg.mkColor(TRAINING_LIGHT if single else train_colour)
        if not single:
            light.setAlpha(170)
        smooth_pen = pg.mkPen(
            light, width=1.5, style=Qt.PenStyle.SolidLine if single else Qt.PenStyle.DashLine
        )
        self.items: list[tuple[pg.PlotDataItem, pg.PlotDataItem | None, pg.PlotDataItem]] = []
        for plot in (panel.loss_plot, panel.accuracy_plot):
            smooth = plot.plot(pen=smooth_pen, antialias=True)
            epoch = None
            if single:
                epoch = plot.plot(
                    pen=pg.mkPen(train_colour, width=2.5),
                    symbol="o",
                    symbolSize=7,
                    symbolBrush=train_colour,
                    symbolPen="w",
                    antialias=True,
                )
            val = plot.plot(
                pen=pg.mkPen(val_colour, width=2.5),
                symbol="s",
                symbolSize=8,
                symbolBrush=val_colour,
                symbolPen="w",
                antialias=True,
            )
            self.items.append((smooth, epoch, val))
        self.end_lines: list[tuple[pg.PlotWidget, pg.InfiniteLine]] = []
        self.panel = panel
        self._counts: tuple | None = None
        self.colour = colour
        self.index = index

    def update(self, data: CurveData) -> None:
        """Redraw what changed since the last update (during an epoch: the batch curve only)."""
        counts = (len(data.batch_x), len(data.epoch), len(data.val_epoch), data.end)
        last = self._counts
        self._counts = counts
        series = (
            (_loss, data.batch_loss, data.train_loss, data.val_loss),
            (_percent, data.batch_accuracy, data.train_accuracy, data.val_accuracy),
        )
        for (smooth, epoch, val), (scale, batch_y, epoch_y, val_y) in zip(
            self.items, series, strict=True
        ):
            if last is None or counts[0] != last[0]:
                smooth.setData(np.asarray(data.batch_x), scale(batch_y))
            if epoch is not None and (last is None or counts[1] != last[1]):
                epoch.setData(data.epoch, scale(epoch_y))
            if last is None or counts[2] != last[2]:
                val.setData(data.val_epoch, scale(val_y))
        if last is not None and counts[3] == last[3]:
            return
        for plot, line in self.end_lines:
            plot.removeItem(line)
        self.end_lines = []
        if data.end is not None:
            state, x, text = data.end
            colour = self.colour or END_COLOURS.get(state, "#666666")
            for plot in (self.panel.loss_plot, self.panel.accuracy_plot):
                line = pg.InfiniteLine(
                    pos=x,
                    angle=90,
                    movable=False,
                    pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
                    label=text,
                    labelOpts={
                        "position": 0.95 - 0.08 * (self.index % 8),
                        "color": colour,
                        "anchors": [(1, 0), (1, 0)],
                        "fill": pg.mkBrush(255, 255, 255, 200),
                    },
                )
                plot.addItem(line)
                self.end_lines.append((plot, line))


class _LossAxis(pg.AxisItem):
    """Log-scale ticks at 1, 2, 3, 5 × 10ᵏ (fewer when the range is wide), labelled plainly."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        for multiples in ((1, 2, 3, 5), (1, 2, 5), (1,)):
            values = [
                math.log10(m * 10.0**k)
                for k in range(math.floor(minVal) - 1, math.ceil(maxVal) + 1)
                for m in multiples
            ]
            inside = [v for v in values if minVal <= v <= maxVal]
            if len(inside) <= 9:
                break
        return [(None, inside[:: max(1, math.ceil(len(inside) / 9))])]

    def logTickStrings(self, values, scale, spacing):
        return [f"{10.0**v * scale:g}" for v in values]


class _EpochAxis(pg.AxisItem):
    """Whole epochs only: no 0.2, 0.4 … before a run or when one or two epochs are shown."""

    def tickValues(self, minVal, maxVal, size):
        levels = [
            (spacing, [v for v in values if float(v).is_integer()])
            for spacing, values in super().tickValues(minVal, maxVal, size)
            if spacing >= 1
        ]
        if levels:
            return levels
        return [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]


def _swatch(colour: str, mark: str) -> str:
    return f"<span style='color:{colour}; font-weight:bold'>{mark}</span>"


def _style_plot(widget: pg.PlotWidget, title: str, y_label: str) -> None:
    plot = widget.getPlotItem()
    plot.setTitle(title, size="13pt", color="#222")
    tick_font = QFont()
    tick_font.setPointSize(10)
    for side, label in (("bottom", "epoch"), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen("#444"))
        axis.setTextPen(pg.mkPen("#222"))
        axis.setTickFont(tick_font)
        axis.setLabel(label, **{"font-size": "11pt", "color": "#222"})
    # No grid: pyqtgraph draws it with the axes across the whole plot, so every new point would
    # repaint both axes too (tens of milliseconds a frame on two cores).
    plot.setMenuEnabled(False)
    plot.hideButtons()


class CurvesPanel(QWidget):
    """Loss (log scale) and accuracy against epochs; one run in detail, or several overlaid."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 12pt; padding: 2px 4px;")
        self.loss_plot = pg.PlotWidget(
            background="w", axisItems={"left": _LossAxis("left"), "bottom": _EpochAxis("bottom")}
        )
        self.accuracy_plot = pg.PlotWidget(
            background="w", axisItems={"bottom": _EpochAxis("bottom")}
        )
        _style_plot(self.loss_plot, "Loss", "cross-entropy loss (log scale)")
        _style_plot(self.accuracy_plot, "Accuracy", "accuracy (%)")
        self.loss_plot.getPlotItem().setLogMode(y=True)
        self.accuracy_plot.setYRange(0, 100, padding=0)  # percent, also before the first run
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, EMPTY_EPOCHS, padding=0.02)  # whole epochs before the first run
        self.loss_plot.getPlotItem().getAxis("left").enableAutoSIPrefix(False)  # no "(x0.001)"
        self.target_line = pg.InfiniteLine(
            pos=TARGET_ACCURACY,
            angle=0,
            movable=False,
            pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DotLine),
            label="99 %",
            labelOpts={"position": 0.03, "color": "#666666", "anchors": [(0, 1), (0, 1)]},
        )
        # At least half a decade of loss: a flat curve at 2.3 (chance) still gets tick labels.
        self.loss_plot.getPlotItem().getViewBox().setLimits(minYRange=0.5)
        self.legend = QLabel()  # one legend under both plots, never covering a curve
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("font-size: 11pt; padding: 2px 6px;")
        self._legend_labels: list[str] = []
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.accuracy_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(plots, 1)
        layout.addWidget(self.legend)
        self._runs: dict[Any, _RunItems] = {}

    # -- setters ------------------------------------------------------------------------------

    def show_runs(
        self, runs: list[tuple[Any, str, CurveData]], title: str = "", epochs: int | None = None
    ) -> None:
        """Show `runs` (key, legend label, data): one in detail, several overlaid.

        `epochs` fixes the x range (a live run grows across its frame instead of rescaling).
        """
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getPlotItem().clear()
        self.accuracy_plot.addItem(self.target_line, ignoreBounds=True)
        self._runs = {}
        single = len(runs) == 1
        entries = []
        for index, (key, label, data) in enumerate(runs):
            colour = None if single else PALETTE[index % len(PALETTE)]
            items = _RunItems(self, colour, index)
            items.update(data)
            self._runs[key] = items
            if colour:
                entries.append((_swatch(colour, "━━"), label))
        if single:
            entries = [
                (_swatch(TRAINING_LIGHT, "━━"), "training, smoothed per batch"),
                (_swatch(TRAINING, "━●━"), "training, epoch mean"),
                (_swatch(VALIDATION, "━■━"), "validation"),
            ]
        elif runs:
            entries += [
                (_swatch("#555555", "━━"), "validation"),
                (_swatch("#555555", "╌╌"), "training"),
            ]
        self._legend_labels = [label for _, label in entries]
        self.legend.setText(
            "&nbsp;&nbsp;&nbsp; ".join(
                f"{mark}&nbsp;{html.escape(label)}" for mark, label in entries
            )
        )
        self.legend.setVisible(bool(entries))
        self.title.setText(title)
        self.title.setVisible(bool(title))
        for plot in (self.loss_plot, self.accuracy_plot):
            item = plot.getPlotItem()
            if not runs:  # an empty frame: whole epochs, percent
                item.setXRange(0, EMPTY_EPOCHS, padding=0.02)
                if plot is self.accuracy_plot:
                    item.setYRange(0, 100, padding=0)
            elif epochs:
                item.setXRange(0, epochs, padding=0.02)
                item.enableAutoRange(axis="y")
            else:
                item.enableAutoRange()

    def update_run(self, key: Any, data: CurveData) -> None:
        """Redraw one shown run from its data (a live run, ~10 times a second)."""
        if key in self._runs:
            self._runs[key].update(data)

    # -- queries (tests) ----------------------------------------------------------------------

    def shown(self) -> list[Any]:
        return list(self._runs)

    def point_counts(self, key: Any) -> dict[str, int]:
        smooth, epoch, val = self._runs[key].items[0]
        return {
            "batches": len(smooth.xData if smooth.xData is not None else []),
            "epochs": len(epoch.xData) if epoch is not None and epoch.xData is not None else 0,
            "validation": len(val.xData if val.xData is not None else []),
        }

    def legend_labels(self) -> list[str]:
        return list(self._legend_labels)

    def end_marks(self, key: Any) -> list[str]:
        return [line.label.format for _, line in self._runs[key].end_lines if line.label]
