"""The Train view's plots read right before any run: accuracy in percent, plain log loss axis."""

from __future__ import annotations

from workbench.gui.train.curves import CurvesPanel


def test_accuracy_axis_is_percent_before_any_run(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    low, high = panel.accuracy_plot.getPlotItem().getViewBox().viewRange()[1]
    assert low == 0 and high == 100
    assert panel.loss_plot.getPlotItem().getAxis("left").autoSIPrefix is False
