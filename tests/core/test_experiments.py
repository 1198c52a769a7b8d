"""The course experiments' building blocks: dropout, the MLP preset, initialisation, the training
subset, early stopping with its kept checkpoint, and `workbench compare` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from workbench.cli import main
from workbench.core.model.anatomy import anatomy, anatomy_table
from workbench.core.model.checkpoint import checkpoint_path, read_checkpoint
from workbench.core.model.export import export_onnx
from workbench.core.model.network import build_network
from workbench.core.model.spec import PRESETS, ModelSpec, SpecError, preset, with_dropout
from workbench.core.training.comparisons import comparison_settings, describe_difference
from workbench.core.training.config import TrainConfig
from workbench.core.training.early_stopping import best_epoch, early_stop_reason
from workbench.core.training.events import RunEnded, RunStarted
from workbench.core.training.experiment_notes import unit_spread
from workbench.core.training.loop import train
from workbench.core.training.runs import kept_checkpoint


def test_dropout_layers_cost_nothing_and_vanish_in_inference(tmp_path):
    spec = with_dropout(PRESETS["lenet5"], 0.5)
    assert [layer.kind for layer in spec.layers].count("dropout") == 2
    assert ModelSpec.from_json(spec.to_json()) == spec
    table = anatomy(spec)
    assert table.parameters == anatomy(PRESETS["lenet5"]).parameters == 61_706
    assert "dropout" in anatomy_table(table)
    net = build_network(spec, seed=0)
    x = torch.rand(8, 1, 28, 28)
    net.train()
    assert not torch.equal(net(x), net(x))  # training: a fresh mask each pass
    net.eval()
    assert torch.equal(net(x), net(x))
    report = export_onnx(net, tmp_path / "dropout.onnx")
    assert report.max_abs_difference < 1e-4 and report.argmax_agreement == 1.0
    with pytest.raises(SpecError, match="dropout rate"):
        ModelSpec.from_dict(
            {
                **spec.to_dict(),
                "layers": [
                    {"kind": "dropout", "name": "d", "rate": 1.0},
                    {"kind": "fc", "name": "o", "units": 10},
                ],
            }
        )


def test_mlp_preset_is_784_300_100_10():
    table = anatomy(preset("mlp"))
    assert [row.output_shape for row in table.layers] == [(300,), (100,), (10,)]
    assert table.parameters == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10 == 266_610


@pytest.mark.parametrize("init", ["zeros", "constant"])
def test_zero_and_constant_init_never_break_symmetry(init):
    net = build_network(PRESETS["lenet5"], seed=0, init=init, constant=0.05)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
    for name in ("conv1", "conv2", "fc1", "fc2"):
        weight = net.blocks[name][0].weight.detach().numpy()
        assert unit_spread(weight) < 1e-6, name
    default = build_network(PRESETS["lenet5"], seed=0)
    assert unit_spread(default.blocks["conv1"][0].weight.detach().numpy()) > 0.1


def test_train_size_takes_a_subset_of_the_training_part_only(pattern_data):
    images, labels = pattern_data
    config = TrainConfig(epochs=1, val_size=200, train_size=150, batch_size=50, augment=False)
    started = next(iter(train(config, images, labels)))
    assert isinstance(started, RunStarted)
    assert (started.n_train, started.n_val) == (150, 200)
    with pytest.raises(ValueError, match="subset"):
        TrainConfig(train_size=0).validate()


def test_early_stop_reason_waits_for_patience():
    rows = [{"epoch": e, "val_loss": v} for e, v in enumerate([1.0, 0.8, 0.9, 0.95], 1)]
    assert best_epoch(rows) == 2
    assert early_stop_reason(rows[:3], 2) is None
    assert "epoch 2" in early_stop_reason(rows, 2)
    assert early_stop_reason(rows, 3) is None


def test_early_stopping_keeps_the_best_epoch_for_export(tmp_path, pattern_data):
    images, labels = pattern_data
    rng = np.random.default_rng(3)
    noisy = rng.random(len(labels)) < 0.4  # label noise: memorising it makes validation worse
    labels = labels.copy()
    labels[noisy] = rng.integers(0, 10, noisy.sum())
    config = TrainConfig(
        preset="mlp",
        schedule="constant",
        augment=False,
        epochs=15,
        val_size=300,
        train_size=300,
        batch_size=50,
        early_stop=2,
    )
    run_dir = tmp_path / "run"
    events = list(train(config, images, labels, run_dir=run_dir))
    ended = events[-1]
    assert isinstance(ended, RunEnded) and ended.state == "finished"
    rows = ended.history["epochs"]
    kept = ended.history["kept_epoch"]
    assert "stopped early" in ended.reason and len(rows) < 15
    assert kept == best_epoch(rows) == len(rows) - 2
    assert kept_checkpoint(run_dir) == (kept, checkpoint_path(run_dir, kept))
    tensors, _ = read_checkpoint(checkpoint_path(run_dir, kept))
    state = ended.network.state_dict()
    assert all(torch.equal(state[k], tensors[k]) for k in state)
    out = tmp_path / "kept.onnx"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    import onnxruntime

    meta = onnxruntime.InferenceSession(str(out)).get_modelmeta().custom_metadata_map
    assert f"epoch-{kept:03d}" in meta["source"]


def test_experiment_arms_differ_in_what_they_test():
    base = TrainConfig().to_dict()
    labels = {
        name: describe_difference([s for _, s in comparison_settings(name, base)])
        for name in ("cnn vs mlp", "activation", "initialisation", "overfitting")
    }
    assert labels["cnn vs mlp"] == ["LeNet-5", "MLP 784-300-100-10"]
    assert labels["activation"] == ["ReLU", "sigmoid", "tanh", "linear"]
    assert labels["initialisation"] == ["random init", "all-zero init", "constant init 0.1"]
    assert labels["overfitting"] == [
        "no regularisation",
        "dropout",
        "weight decay",
        "augmentation",
        "early stopping",
    ]
    overfit = [TrainConfig.from_dict(s) for _, s in comparison_settings("overfitting", base)]
    assert {(c.train_size, c.epochs, c.batch_size) for c in overfit} == {(1000, 30, 32)}


def test_compare_cli_runs_every_arm_and_writes_a_note(tiny_mnist_dir, capsys):
    code = main(
        [
            "compare",
            "initialisation",
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--epochs",
            "2",
            "--train-size",
            "400",
            "--val-size",
            "200",
            "--init-constant",
            "0.02",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    arms = {arm["name"]: arm for arm in result["arms"]}
    assert list(arms) == ["init-default", "init-zeros", "init-constant"]
    assert arms["init-zeros"]["unit_spread"] == arms["init-constant"]["unit_spread"] == 0.0
    assert arms["init-default"]["unit_spread"] > 0
    assert {arm["parameters"] for arm in arms.values()} == {61_706}
    assert f"{arms['init-default']['best_val_accuracy']:.1%}" in result["note"]
    assert "constant 0.02" in result["note"]
