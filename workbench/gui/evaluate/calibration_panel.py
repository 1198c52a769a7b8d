"""How honest the confidence is (a reliability diagram), and the accuracy on non-MNIST digits."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.core.evaluation.calibration import ReliabilityBin
from workbench.core.evaluation.evaluation import EvalResult
from workbench.core.evaluation.nonmnist_score import DESCRIPTION, NonMnistScore, describe_identity

INK = "#202020"
BAR = "#4292c6"  # the confusion matrix's blue
GAP = "#ef8a62"  # where confidence and accuracy differ
COUNT_BAR = "#9ecae1"
SHORT_DESCRIPTION = "pen-stroked styles MNIST lacks, fonts, boxed and low-res scans (hover: more)"


def count_height(count: int) -> float:
    """A count on the lower plot's log scale: 1 → 1, 10 → 2, 100 → 3 …, nothing for 0."""
    return math.log10(count) + 1 if count > 0 else 0.0


class ReliabilityPlot(pg.GraphicsLayoutWidget):
    """Per confidence bin: the share of right answers (bars) against the diagonal where they
    would match the confidence, and below how many images fell in each bin (log scale)."""

    def __init__(self, parent: QWidget | None = None, font_size: int = 9):
        super().__init__(parent)
        self.setBackground("w")
        self._bins: list[ReliabilityBin] = []
        label_style = {"color": INK, "font-size": f"{font_size + 1}pt"}
        self.plot = self.addPlot(row=0, col=0)
        self.counts_plot = self.addPlot(row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        for plot in (self.plot, self.counts_plot):
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setXRange(0, 1, padding=0.02)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(INK))
                axis.setTextPen(pg.mkPen(INK))
                axis.enableAutoSIPrefix(False)  # the log scale's labels are ours
        self.counts_plot.setXLink(self.plot)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setLabel("left", "share right", **label_style)
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.counts_plot.setLabel("left", "images", **label_style)
        self.counts_plot.setLabel("bottom", "confidence (top-1 probability)", **label_style)
        self.plot.addItem(
            pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen("#707070", width=1, style=Qt.DashLine))
        )
        self.gap_bars = pg.BarGraphItem(x=[], height=[], width=0.05, brush=GAP, pen=None)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.05, brush=BAR, pen=pg.mkPen("w"))
        self.count_bars = pg.BarGraphItem(x=[], height=[], width=0.05, brush=COUNT_BAR, pen=None)
        self.plot.addItem(self.gap_bars)
        self.plot.addItem(self.bars)
        self.counts_plot.addItem(self.count_bars)
        self.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self.set_bins([])

    def set_bins(self, bins: list[ReliabilityBin] | tuple[ReliabilityBin, ...]) -> None:
        """Draw `calibration.reliability()`'s bins (empty: an empty diagram)."""
        self._bins = list(bins)
        full = [b for b in self._bins if b.count]
        centres = [(b.low + b.high) / 2 for b in full]
        width = 0.9 * (full[0].high - full[0].low) if full else 0.05
        accuracy = [b.accuracy for b in full]
        confidence = [b.confidence for b in full]
        self.bars.setOpts(x=centres, height=accuracy, width=width)
        # the gap: from the accuracy up (or down) to the mean confidence of the bin
        self.gap_bars.setOpts(
            x=centres,
            y0=accuracy,
            height=[c - a for c, a in zip(confidence, accuracy, strict=True)],
            width=width,
        )
        heights = [count_height(b.count) for b in full]
        self.count_bars.setOpts(x=centres, height=heights, width=width)
        top = max(heights, default=1.0)
        ticks = [(k + 1, _count_label(10**k)) for k in range(int(top) + 1)]
        self.counts_plot.getAxis("left").setTicks([ticks])
        self.counts_plot.setYRange(0, max(top, 1.0), padding=0.05)

    def bins(self) -> list[ReliabilityBin]:
        return list(self._bins)

    def bar_values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bin centres, accuracy bar heights, count bar heights) as drawn."""
        opts, counts = self.bars.opts, self.count_bars.opts
        return (
            np.asarray(opts["x"], dtype=np.float64),
            np.asarray(opts["height"], dtype=np.float64),
            np.asarray(counts["height"], dtype=np.float64),
        )

    def describe_bin(self, index: int) -> str:
        b = self._bins[index]
        where = f"confidence {b.low:.0%}–{b.high:.0%}"
        if not b.count:
            return f"{where}: no images"
        return (
            f"{where}: {b.count:,} images, mean confidence {b.confidence:.2%}, "
            f"{b.accuracy:.2%} read right"
        )

    def _on_scene_mouse_moved(self, position: QPointF) -> None:
        for plot in (self.plot, self.counts_plot):
            if plot.sceneBoundingRect().contains(position):
                x = plot.vb.mapSceneToView(position).x()
                index = next((i for i, b in enumerate(self._bins) if b.low <= x <= b.high), None)
                self.setToolTip("" if index is None else self.describe_bin(index))
                return
        self.setToolTip("")


def _count_label(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 else str(count)


class CalibrationPanel(QWidget):
    """The reliability diagram with its ECE, and the accuracy on the non-MNIST digits."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pending = False
        self._mnist: float | None = None
        self.score: NonMnistScore | None = None
        title = QLabel("<b>Calibration</b>: is it right as often as it is sure?")
        title.setToolTip(
            "Each test image goes in the bin of its top-1 probability. A bar on the dashed "
            "diagonal means: of the answers given with about that confidence, that share was "
            "right. Orange is the gap between confidence and accuracy; the expected calibration "
            "error (ECE) is the gaps' mean, weighted by the images in each bin."
        )
        self.plot = ReliabilityPlot()
        self.plot.setMinimumSize(240, 240)
        self.ece_label = QLabel()
        self.ece_label.setWordWrap(True)
        self.non_mnist_label = QLabel()
        self.non_mnist_label.setWordWrap(True)
        self.non_mnist_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title)
        column.addWidget(self.plot, 1)
        column.addWidget(self.ece_label)
        column.addWidget(self.non_mnist_label)
        self.set_result(None)
        self.set_non_mnist(None)

    def set_result(self, result: EvalResult | None) -> None:
        """The diagram and ECE of `result` (None, or a card without them: an empty diagram)."""
        self.plot.set_bins(result.reliability if result is not None else [])
        self._mnist = result.accuracy if result is not None else None
        if result is None or not math.isfinite(result.ece):
            self.ece_label.setText("Expected calibration error: not measured.")
            return
        self.ece_label.setText(
            f"Expected calibration error <b>{result.ece:.4f}</b> "
            f"({len(result.reliability)} bins, {result.n:,} test images)"
        )

    def set_non_mnist_pending(self) -> None:
        """Say the set is being read (the evaluation job scores it after the test set)."""
        self.set_non_mnist(None, "reading them… (drawing the set takes 10-20 s the first time)")
        self._pending = True

    def end_pending(self) -> None:
        """The job has ended: if no score came (cancelled, failed), say so."""
        if self._pending:
            self.set_non_mnist(None, "not measured (the evaluation stopped before).")

    def set_non_mnist(self, score: NonMnistScore | None, note: str = "") -> None:
        """The non-MNIST accuracy next to MNIST's; `note` says where it comes from, or why
        there is none."""
        self._pending = False
        self.score = score
        tip = DESCRIPTION
        if score is None:
            text = f"Non-MNIST digits: {note or 'not measured.'}"
        else:
            mnist = f"; MNIST test {self._mnist:.2%}" if self._mnist is not None else ""
            text = (
                f"Non-MNIST digits: <b>{score.accuracy:.2%}</b> right "
                f"({score.correct:,} of {score.n:,}{mnist}){(' · ' + note) if note else ''}"
            )
            parts = [f"{name} {acc:.1%} of {n}" for name, (acc, n) in score.by_source.items()]
            tip += f"\n\nSet: {describe_identity(score.identity)}."
            if parts:
                tip += "\nBy source: " + ", ".join(parts) + "."
        self.non_mnist_label.setText(f"{text}<br><small>{SHORT_DESCRIPTION}</small>")
        self.non_mnist_label.setToolTip(tip)
