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


def test_epoch_axis_shows_whole_epochs_before_and_after_runs(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    panel.show_runs([])
    for plot in (panel.loss_plot, panel.accuracy_plot):
        item = plot.getPlotItem()
        low, high = item.getViewBox().viewRange()[0]
        assert low < 0.5 and high > 4.5  # the default recipe's five epochs, not 0–1
        for spacing, values in item.getAxis("bottom").tickValues(0.0, 1.2, 600):
            assert spacing >= 1 and all(float(v).is_integer() for v in values)
    low, high = panel.accuracy_plot.getPlotItem().getViewBox().viewRange()[1]
    assert low == 0 and high == 100
