"""The Train form's augmentation strengths: one box per family, old settings still shown."""

from __future__ import annotations


def test_form_shows_and_returns_each_strength(qtbot):
    from workbench.gui.train.train_form import TrainForm

    form = TrainForm()
    qtbot.addWidget(form)
    assert form.config().strengths == {"affine": 1.0, "stretch": 0.0, "elastic": 0.0, "lowres": 0.0}
    form.strengths["stretch"].setValue(1.5)
    form.strengths["lowres"].setValue(0.5)
    assert form.config().strengths == {"affine": 1.0, "stretch": 1.5, "elastic": 0.0, "lowres": 0.5}
    form.set_settings({"augment": False})  # a run from before the strengths: all off
    assert [spin.value() for spin in form.strengths.values()] == [0.0, 0.0, 0.0, 0.0]
    form.set_settings({"elastic": 2.0})
    assert form.config().elastic == 2.0
    assert form.strengths["elastic"].maximum() == 2.0  # the box cannot go out of range


def test_form_clamps_a_strength_out_of_range(qtbot):
    from workbench.gui.train.train_form import TrainForm

    form = TrainForm()
    qtbot.addWidget(form)
    form.set_settings({"affine": 3.0})  # a hand-edited file: the box clamps what it shows
    assert form.config().affine == 2.0
