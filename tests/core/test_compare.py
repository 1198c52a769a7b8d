"""Ready-made comparisons and legend labels: only what differs, same seed and split."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.core.training.comparisons import (
    COMPARISONS,
    comparison_configs,
    comparison_settings,
    describe_config,
    describe_difference,
    number,
)
from workbench.core.training.loop import TrainConfig, split_indices


@pytest.mark.parametrize(
    ("value", "text"), [(0.01, "0.01"), (1.0, "1"), (1e-5, "1e-5"), (0.9, "0.9"), (3e-4, "0.0003")]
)
def test_numbers_read_as_a_person_writes_them(value, text):
    assert number(value) == text


def test_the_homework_comparisons_differ_in_one_setting_each():
    base = TrainConfig(epochs=3, seed=7, batch_size=32, augment=True, val_size=1000)
    expected = {
        "learning rate": ["learning rate 0.01", "learning rate 1", "learning rate 1e-5"],
        "momentum": ["no momentum", "momentum 0.9"],
        "depth": ["1 conv layer", "2 conv layers"],
        "activation": ["ReLU", "sigmoid", "tanh", "linear"],
        "cnn vs mlp": ["LeNet-5", "MLP 784-300-100-10"],
        "initialisation": ["random init", "all-zero init", "constant init 0.1"],
    }
    # Overfitting sets its own budget (1,000 images, 30 epochs): tests/core/test_experiments.py
    assert set(COMPARISONS) == {*expected, "overfitting"}
    for name, labels in expected.items():
        configs = comparison_configs(name, base)
        assert describe_difference(configs) == labels, name
        for config in configs:
            assert (config.epochs, config.seed, config.batch_size, config.val_size) == (
                3,
                7,
                32,
                1000,
            )
            # The homework setting: plain SGD, constant learning rate, no augmentation.
            assert (config.optimizer, config.schedule, config.augment) == ("sgd", "constant", False)
            config.validate()


def test_comparison_runs_share_the_split():
    configs = comparison_configs("learning rate", TrainConfig(seed=5, val_size=100))
    splits = [split_indices(1000, c.val_size, c.seed)[1].tolist() for c in configs]
    assert splits[0] == splits[1] == splits[2]


def test_comparison_settings_name_the_runs_by_what_varies():
    runs = comparison_settings("learning rate", dataclasses.asdict(TrainConfig()))
    assert [name for name, _ in runs] == ["lr-0.01", "lr-1", "lr-1e-5"]
    assert [s["momentum"] for _, s in runs] == [0.0, 0.0, 0.0]
    assert [name for name, _ in comparison_settings("depth", {"preset": "lenet5"})] == [
        "depth-conv1",
        "depth-conv2",
    ]
    with pytest.raises(ValueError, match="unknown comparison"):
        comparison_settings("dropout", {})


def test_momentum_counts_only_for_sgd():
    adam = TrainConfig(optimizer="adam", momentum=0.0, learning_rate=0.001)
    adam_too = TrainConfig(optimizer="adam", momentum=0.9, learning_rate=0.01)
    assert describe_difference([adam, adam_too]) == ["learning rate 0.001", "learning rate 0.01"]
    sgd = TrainConfig(optimizer="sgd", momentum=0.9, learning_rate=0.001)
    assert describe_difference([adam, sgd]) == ["Adam", "SGD, momentum 0.9"]


def test_several_differences_and_none():
    a = TrainConfig(activation="relu", batch_size=64)
    b = TrainConfig(activation="sigmoid", batch_size=128)
    assert describe_difference([a, b]) == ["ReLU, batch 64", "sigmoid, batch 128"]
    assert describe_difference([a, a]) == ["", ""]
    assert describe_difference([a]) == [""]
    # How a run was computed is not a difference.
    assert describe_difference([a, dataclasses.replace(a, threads=1)]) == ["", ""]


def test_saved_settings_work_like_configs():
    config = TrainConfig(
        optimizer="sgd",
        learning_rate=0.1,
        momentum=0.9,
        epochs=4,
        batch_size=64,
        augment=True,
        schedule="constant",
    )
    saved = dataclasses.asdict(config)
    assert describe_difference([saved, dataclasses.asdict(TrainConfig())]) == describe_difference(
        [config, TrainConfig()]
    )
    assert TrainConfig.from_dict({**saved, "from_a_later_version": 1}) == config
    assert describe_config(saved) == (
        "LeNet-5 · ReLU · max pool · SGD lr 0.1 m 0.9 · batch 64 · 4 ep · augmented · seed 0"
    )
