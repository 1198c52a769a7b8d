"""The experiments' notes, on fabricated histories: the expected effect is stated only when the
numbers show it, and the note says so when they do not."""

from __future__ import annotations

import pytest

from workbench.core.training.experiment_notes import Arm, experiment_note, turn


def history(val_acc, val_loss=None, train_acc=None, state="finished", n_train=55000, **config):
    """A history.json-like dict with one row per epoch."""
    val_loss = val_loss or [1.0 - a for a in val_acc]
    train_acc = train_acc or list(val_acc)
    rows = [
        {
            "epoch": i + 1,
            "val_accuracy": a,
            "val_loss": lo,
            "train_accuracy": t,
            "train_loss": 1.0 - t,
        }
        for i, (a, lo, t) in enumerate(zip(val_acc, val_loss, train_acc, strict=True))
    ]
    spec_layers = config.pop("layers", [{"kind": "conv"}, {"kind": "fc"}])
    return {
        "config": {"epochs": len(rows), **config},
        "spec": {"layers": spec_layers},
        "epochs": rows,
        "state": state,
        "reason": "" if state == "finished" else "accuracy stuck",
        "n_train": n_train,
    }


def cnn_and_mlp(cnn_acc, mlp_acc):
    return [
        Arm(history([0.9, cnn_acc], preset="lenet5"), parameters=61_706),
        Arm(history([0.9, mlp_acc], preset="mlp", layers=[{"kind": "fc"}]), parameters=266_610),
    ]


def test_cnn_vs_mlp_states_the_advantage_only_when_shown():
    shown = experiment_note("cnn vs mlp", cnn_and_mlp(0.985, 0.972))
    assert "98.5%" in shown and "97.2%" in shown and "61,706" in shown and "266,610" in shown
    assert "As expected, the CNN did better (1.3 points) with 4.3× fewer parameters" in shown
    not_shown = experiment_note("cnn vs mlp", cnn_and_mlp(0.970, 0.972))
    assert "As expected" not in not_shown and "did not show the CNN ahead" in not_shown


def activation_arms(linear_acc, sigmoid_first):
    return [
        Arm(history([0.95, 0.97], activation="relu")),
        Arm(history([sigmoid_first, 0.96], activation="sigmoid")),
        Arm(history([0.94, 0.965], activation="tanh")),
        Arm(history([0.90, linear_acc], activation="none")),
    ]


def test_activation_note_judges_the_linear_network_and_sigmoid_from_the_numbers():
    shown = experiment_note("activation", activation_arms(0.92, 0.40))
    assert "linear 92.0%" in shown and "ReLU 97.0%" in shown
    assert "As expected, the linear network stayed below every nonlinear one that trained" in shown
    assert "Sigmoid started slower than ReLU (epoch 1: 40.0% vs 95.0%)" in shown
    not_shown = experiment_note("activation", activation_arms(0.97, 0.95))
    assert "As expected" not in not_shown
    assert "did not show the linear network below every nonlinear one that trained" in not_shown
    assert "Sigmoid did not start slower than ReLU" in not_shown
    # A stalled sigmoid run is no yardstick for the linear one.
    arms = activation_arms(0.92, 0.40)
    arms[1] = Arm(history([0.096], activation="sigmoid", state="stalled"))
    stalled = experiment_note("activation", arms)
    assert "stalled" in stalled and "at least 96.5%" in stalled
    maxpool = [arms[0], Arm(history([0.9, 0.977], activation="none", pooling="max"))]
    assert "with max pooling it is not linear at all" in experiment_note("activation", maxpool)


def test_initialisation_note_uses_the_measured_spread_and_accuracy():
    arms = [
        Arm(history([0.95, 0.97], init="default"), unit_spread=0.8),
        Arm(history([0.11, 0.11], init="zeros", state="stalled"), unit_spread=0.0),
        Arm(history([0.30, 0.35], init="constant", init_constant=0.1), unit_spread=0.0),
    ]
    note = experiment_note("initialisation", arms)
    assert "all zeros: 11.0%" in note and "stalled" in note and "constant 0.1: 35.0%" in note
    assert note.count("still identical after 2 epoch(s)") == 2
    assert note.count("learned far less than random init") == 2
    diverged = Arm(history([], init="constant", state="diverged"))
    note = experiment_note("initialisation", [arms[0], diverged])
    assert "constant 0.1: –" in note and "no epoch finished" in note and "far less" not in note
    broken = [arms[0], Arm(history([0.96, 0.97], init="zeros"), unit_spread=0.2)]
    note = experiment_note("initialisation", broken)
    assert (
        "still identical" not in note and "did not keep the first layer's units identical" in note
    )
    assert "did not learn clearly less than random init" in note


DROPOUT_LAYERS = [{"kind": "conv"}, {"kind": "fc"}, {"kind": "dropout"}, {"kind": "fc"}]


def overfit_arm(val_loss, train_acc=0.99, val_acc=0.88, kept=None, **config):
    epochs = len(val_loss)
    h = history([val_acc] * epochs, val_loss, [train_acc] * epochs, n_train=1000, **config)
    if kept:
        h["kept_epoch"] = kept
    return Arm(h)


def test_overfitting_note_quotes_the_turn_and_judges_each_remedy():
    plain = overfit_arm([0.50, 0.40, 0.45, 0.60], train_acc=1.0, val_acc=0.88)
    assert turn(plain.__class__(plain.history)) == (2, 0.40, 0.60)
    arms = [
        plain,
        overfit_arm([0.5, 0.42, 0.41, 0.40], train_acc=0.93, val_acc=0.90, weight_decay=5e-3),
        overfit_arm([0.5, 0.45, 0.62, 0.70], train_acc=1.0, val_acc=0.87, augment=True),
        overfit_arm(
            [0.5, 0.4, 0.3, 0.3], train_acc=1.0, val_acc=0.88, spec={"layers": DROPOUT_LAYERS}
        ),
        overfit_arm([0.50, 0.40, 0.45, 0.50], val_acc=0.86, kept=2, early_stop=2),
    ]
    note = experiment_note("overfitting", arms)
    assert "validation loss turned after epoch 2 (0.400, then up to 0.600 by epoch 4)" in note
    assert "on 1,000 training images" in note
    assert "With weight decay: validation loss 0.400" in note and "held overfitting back" in note
    assert "With augmentation: validation loss 0.700" in note
    assert "these runs did not show it helping" in note
    assert "With dropout: validation loss 0.300" in note
    assert "a lower validation loss, but these runs did not show a narrower gap" in note
    assert "kept epoch 2 (validation loss 0.400" in note
    assert "a lower validation loss than the plain run's last epoch (0.600)" in note
    assert "though not a higher accuracy (88.0% there)" in note


def test_overfitting_note_says_when_the_loss_did_not_turn():
    arms = [overfit_arm([0.5, 0.45, 0.42, 0.41])]
    note = experiment_note("overfitting", arms)
    assert "did not turn within 4 epochs" in note and "did not show overfitting" in note
    assert turn(arms[0]) is None


def test_unknown_experiment_is_refused():
    with pytest.raises(ValueError, match="not one of the experiments"):
        experiment_note("depth", [])


def test_runs_are_recognised_as_an_experiment_only_when_they_are_its_arms():
    from workbench.core.training.comparisons import comparison_settings
    from workbench.core.training.experiment_notes import experiment_of

    for name in ("cnn vs mlp", "activation", "initialisation", "overfitting"):
        configs = [s for _, s in comparison_settings(name, {"preset": "lenet5"})]
        assert experiment_of(configs) == name
        assert experiment_of(configs[:1]) is None
    depth = [s for _, s in comparison_settings("depth", {"activation": "relu"})]
    assert experiment_of(depth) is None


def test_the_report_shows_the_experiment_note():
    from workbench.core.report.html import training_html
    from workbench.core.report.sections import RunCurves, TrainingSection

    runs = [RunCurves(n, {"preset": n}, [{"epoch": 1, "train_accuracy": 0.9}]) for n in "ab"]
    section = TrainingSection(runs, ["a", "b"], [], ("cnn vs mlp", "LeNet-5 <98.1%> won"))
    page = training_html(section)
    assert "Experiment: CNN vs fully connected" in page and "LeNet-5 &lt;98.1%&gt; won" in page
