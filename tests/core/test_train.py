"""Training runs on small generated data: events, states, files, determinism, cancel and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from workbench.core.model.checkpoint import checkpoint_path, load_network
from workbench.core.training.augmentation import AugmentConfig, augment_batch
from workbench.core.training.loop import (
    BatchDone,
    EpochDone,
    RunEnded,
    RunStarted,
    TrainConfig,
    train,
)
from workbench.core.training.runs import read_history

# A plain recipe for the small pattern data (the default one augments and schedules the rate).
FAST = dict(
    preset="lenet5", batch_size=50, val_size=200, seed=3, augment=False, schedule="constant"
)


def run(config, data, run_dir=None, resume=False):
    return list(train(config, *data, run_dir=run_dir, resume=resume))


def test_short_run_learns_and_writes_files(pattern_data, tmp_path):
    events = run(TrainConfig(epochs=2, learning_rate=1e-3, **FAST), pattern_data, tmp_path)
    assert isinstance(events[0], RunStarted) and events[0].n_val == 200
    assert any(isinstance(e, BatchDone) for e in events)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert epochs[-1].val_accuracy > 0.9
    ended = events[-1]
    assert isinstance(ended, RunEnded) and ended.state == "finished"
    history = read_history(tmp_path)
    assert history["state"] == "finished" and len(history["epochs"]) == 2
    net, meta = load_network(checkpoint_path(tmp_path, 2))
    assert meta["epoch"] == 2 and net.spec.name == "lenet5"


def test_same_seed_same_result(pattern_data):
    first = run(TrainConfig(epochs=1, learning_rate=1e-3, **FAST), pattern_data)
    second = run(TrainConfig(epochs=1, learning_rate=1e-3, **FAST), pattern_data)
    losses = [[e.loss for e in events if isinstance(e, BatchDone)] for events in (first, second)]
    assert losses[0] == losses[1]
    other = run(TrainConfig(epochs=1, **{**FAST, "seed": 4}), pattern_data)
    assert [e.loss for e in other if isinstance(e, BatchDone)] != losses[0]


def test_cancel_keeps_last_checkpoint_and_resume_matches_an_unbroken_run(pattern_data, tmp_path):
    config = TrainConfig(epochs=3, optimizer="sgd", learning_rate=0.05, **FAST)
    stopped_dir, whole_dir = tmp_path / "stopped", tmp_path / "whole"
    events = train(config, *pattern_data, run_dir=stopped_dir)
    for event in events:
        if isinstance(event, BatchDone) and event.epoch == 2 and event.batch == 11:
            events.close()  # the user pressed Stop
    history = read_history(stopped_dir)
    assert history["state"] == "stopped" and len(history["epochs"]) == 1
    assert not checkpoint_path(stopped_dir, 2).exists()
    load_network(checkpoint_path(stopped_dir, 1))

    resumed = run(config, pattern_data, stopped_dir, resume=True)
    assert resumed[0].first_epoch == 2 and resumed[-1].state == "finished"
    whole = run(config, pattern_data, whole_dir)
    last = [e for e in resumed if isinstance(e, EpochDone)][-1]
    reference = [e for e in whole if isinstance(e, EpochDone)][-1]
    assert last.epoch == reference.epoch == 3
    assert last.train_loss == pytest.approx(reference.train_loss, rel=1e-5)
    assert len(read_history(stopped_dir)["epochs"]) == 3


def test_learning_rate_one_is_not_finished(pattern_data, tmp_path):
    config = TrainConfig(epochs=2, optimizer="sgd", learning_rate=1.0, momentum=0.9, **FAST)
    ended = run(config, pattern_data, tmp_path)[-1]
    assert ended.state in ("stalled", "diverged"), ended.reason
    assert read_history(tmp_path)["state"] == ended.state
    assert ended.reason


def test_nan_loss_is_diverged_with_the_batch(pattern_data, tmp_path):
    config = TrainConfig(epochs=1, optimizer="sgd", learning_rate=1e12, momentum=0.0, **FAST)
    ended = run(config, pattern_data, tmp_path)[-1]
    assert ended.state == "diverged"
    assert "batch" in ended.reason
    assert json.loads((tmp_path / "history.json").read_text())["state"] == "diverged"


def test_augmentation_keeps_range_and_moves_pixels():
    images = torch.zeros(16, 1, 28, 28)
    images[:, :, 8:20, 12:16] = 1.0
    out = augment_batch(images.clone(), AugmentConfig(), torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert not torch.allclose(out, images)
    assert np.all(out.flatten(1).sum(1).numpy() > 10)  # the digit is still there


def test_bad_config_is_refused(pattern_data):
    with pytest.raises(ValueError):
        run(TrainConfig(optimizer="rmsprop"), pattern_data)
    with pytest.raises(ValueError):
        run(TrainConfig(learning_rate=0), pattern_data)
