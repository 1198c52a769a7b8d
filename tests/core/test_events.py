"""Training events in their one JSON form, the saved config, the curves and the bad-loss check."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch

from workbench.core.model.spec import preset
from workbench.core.training.config import TrainConfig
from workbench.core.training.curve import CurveData, curve_data, overlay
from workbench.core.training.events import (
    EVENT_TYPES,
    BatchDone,
    EpochDone,
    Heartbeat,
    JobStarted,
    RunEnded,
    RunStarted,
    event_from_dict,
    event_to_dict,
)
from workbench.core.training.history import batch_row, is_recorded
from workbench.core.training.job import DataHandOff, DataSource, training_job
from workbench.core.training.loop import divergence, train
from workbench.core.training.runs import read_history

FAST = dict(
    batch_size=50, val_size=200, seed=3, augment=False, schedule="constant", learning_rate=3e-3
)


def through_json(event):
    """The event as the CLI prints it and the training process writes it, read back."""
    return event_from_dict(json.loads(json.dumps(event_to_dict(event), allow_nan=False)))


def without_local(event):
    """What crosses a pipe: a run's history and network stay behind."""
    if isinstance(event, RunEnded):
        return dataclasses.replace(event, history={}, network=None)
    return event


EXAMPLES = [
    RunStarted(preset("lenet5", "tanh", "avg"), 8, 3, 430, 55_000, 5000, "cpu", 1),
    BatchDone(2, 17, 430, 0.1234567, 0.96875, 12.5),
    EpochDone(1, 0.31, 0.9, 0.12, 0.965, 20.25, 0.003, Path("/runs/a/checkpoints/e1")),
    EpochDone(2, 0.21, 0.93, None, None, 40.5, 0.001, None),
    RunEnded("diverged", "loss became nan in epoch 1, batch 3", 0, 1.5, {"epochs": []}, object()),
    JobStarted(Path("/runs/a"), True, 60_000),
    Heartbeat(),
]


def test_every_event_type_round_trips_through_json():
    assert {type(e) for e in EXAMPLES} == set(EVENT_TYPES.values())
    for event in EXAMPLES:
        assert through_json(event) == without_local(event), event


def test_the_json_form_is_the_cli_contract():
    started, batch, epoch, _, ended, job, beat = (event_to_dict(e) for e in EXAMPLES)
    assert list(started) == [
        "event",
        "spec",
        "epochs",
        "first_epoch",
        "batches_per_epoch",
        "n_train",
        "n_val",
        "device",
        "threads",
    ]
    assert started["spec"] == EXAMPLES[0].spec.to_dict() and started["event"] == "RunStarted"
    assert batch == {
        "event": "BatchDone",
        "epoch": 2,
        "batch": 17,
        "batches": 430,
        "loss": 0.1234567,
        "accuracy": 0.96875,
        "seconds": 12.5,
    }
    assert epoch["checkpoint"] == str(Path("/runs/a/checkpoints/e1"))
    assert ended == {
        "event": "RunEnded",
        "state": "diverged",
        "reason": "loss became nan in epoch 1, batch 3",
        "epoch": 0,
        "seconds": 1.5,
    }
    assert job == {
        "event": "JobStarted",
        "run_dir": str(Path("/runs/a")),
        "resumed": True,
        "n_images": 60_000,
    }
    assert beat == {"event": "Heartbeat"}
    with pytest.raises(ValueError, match="not a training event"):
        event_from_dict({"event": "TrainStarted"})


@pytest.fixture(scope="module")
def finished_run(pattern_data, tmp_path_factory):
    """(events, run folder) of a short run on part of the pattern data."""
    run_dir = tmp_path_factory.mktemp("run")
    data = (pattern_data[0][:700], pattern_data[1][:700])
    return list(train(TrainConfig(epochs=2, **FAST), *data, run_dir=run_dir)), run_dir


def test_a_real_runs_events_round_trip(finished_run):
    events, _ = finished_run
    assert {type(e) for e in events} == {RunStarted, BatchDone, EpochDone, RunEnded}
    for event in events:
        assert through_json(event) == without_local(event)
    assert isinstance(through_json(events[-2]).checkpoint, Path)


def test_the_training_process_sends_the_core_events(pattern_data, tmp_path):
    config = TrainConfig(epochs=1, **FAST)
    source = DataSource(images=pattern_data[0], labels=pattern_data[1], verify=False)
    cache = DataHandOff()
    try:
        events = list(training_job(config, tmp_path / "run", False, source, cache))
    finally:
        cache.forget()
    events = [e for e in events if not isinstance(e, Heartbeat)]
    assert isinstance(events[0], JobStarted) and events[0].run_dir == tmp_path / "run"
    assert isinstance(events[1], RunStarted) and events[1].spec == config.model_spec()
    assert isinstance(events[-1], RunEnded) and events[-1].state == "finished"
    (epoch,) = [e for e in events if isinstance(e, EpochDone)]
    assert epoch.checkpoint == tmp_path / "run" / "checkpoints" / "epoch-001.safetensors"
    kept = [batch_row(e) for e in events if isinstance(e, BatchDone) and is_recorded(e)]
    assert kept == read_history(tmp_path / "run")["batches"]  # every kept batch crossed


def test_config_round_trips_through_its_saved_form():
    custom = TrainConfig(
        spec=json.loads(json.dumps(preset("conv2", "sigmoid", "avg").to_dict())),  # as in a file
        optimizer="sgd",
        learning_rate=1e-5,
        momentum=0.5,
        weight_decay=1e-4,
        batch_size=32,
        epochs=3,
        seed=9,
        val_size=0,
        augment=False,
        schedule="cosine",
        threads=2,
        device="auto",
    )
    for config in (TrainConfig(), custom):
        saved = json.loads(json.dumps(config.to_dict()))
        assert set(saved) == {f.name for f in dataclasses.fields(TrainConfig)}
        assert TrainConfig.from_dict(saved) == config
    assert TrainConfig.from_dict({"epochs": 2, "from_a_later_version": True}) == TrainConfig(
        epochs=2
    )


@pytest.mark.parametrize("rate", [0, -0.1, math.nan, math.inf, "0.1"])
def test_a_bad_learning_rate_is_refused_by_the_config(rate):
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(learning_rate=rate).validate()


def live_curve(events) -> CurveData:
    """The curves as the Train view builds them from a run's events."""
    data = CurveData()
    for event in events:
        if isinstance(event, BatchDone) and is_recorded(event):
            data.add_batch(*batch_row(event))
        elif isinstance(event, EpochDone):
            data.add_epoch(event_to_dict(event))
        elif isinstance(event, RunEnded):
            data.set_end(event.state, event.epoch)
    return data


def test_live_and_reloaded_curves_are_the_same_curve(finished_run, pattern_data, tmp_path):
    events, run_dir = finished_run
    live = live_curve(events)
    assert live.batch_x and live.end is None and live == curve_data(read_history(run_dir))
    # A run that goes wrong ends the same way in both.
    recipe = TrainConfig(**{**FAST, "epochs": 2, "optimizer": "sgd", "learning_rate": 1.0})
    data = (pattern_data[0][:700], pattern_data[1][:700])
    events = list(train(recipe, *data, run_dir=tmp_path))
    live = live_curve(events)
    assert live.end is not None and live == curve_data(read_history(tmp_path))


def test_overlaid_runs_are_labelled_by_what_differs(finished_run, tmp_path):
    events, run_dir = finished_run
    history = read_history(run_dir)
    other = tmp_path / "faster"
    other.mkdir()
    history["config"]["learning_rate"] = 0.01
    (other / "history.json").write_text(json.dumps(history))
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "history.json").write_text("{")
    runs, title, epochs = overlay([run_dir, other, damaged], None, CurveData(), None)
    assert [(path, label) for path, label, _ in runs] == [
        (run_dir, "learning rate 0.003"),
        (other, "learning rate 0.01"),
    ]  # a damaged run is left out: the runs table says what is wrong with it
    assert runs[0][2] == curve_data(read_history(run_dir)) and "2 runs" in title
    assert epochs is None
    # The run that trains now is drawn from its live curve, over its whole planned range.
    live, config = live_curve(events[:5]), TrainConfig(epochs=2, **FAST)
    runs, title, epochs = overlay([run_dir], run_dir, live, config)
    assert runs == [(run_dir, run_dir.name, live)] and epochs == 2
    assert run_dir.name in title and "Adam lr 0.003" in title


def test_divergence_checked_every_few_batches_names_the_same_batch():
    losses = torch.full((40,), 2.3)
    losses[26] = float("nan")
    every_batch = next(
        r for b in range(40) if (r := divergence(losses[: b + 1], b, 3, 23.0)) is not None
    )
    assert every_batch == "loss became nan in epoch 3, batch 27"
    assert divergence(losses[:30], 20, 3, 23.0) == every_batch  # batches 21-30 at once
    assert divergence(losses, 0, 3, 23.0) == every_batch
    assert divergence(losses[:26], 0, 3, 23.0) is None

    exploding = torch.cat([torch.full((10,), 2.3), torch.full((30,), 40.0)])
    # The mean of 20 batches passes 23 once 11 of them are at 40 (23.035): batch 21.
    assert divergence(exploding, 0, 1, 23.0) == "loss exploded to 23 in epoch 1, batch 21"
    assert divergence(exploding[:21], 15, 1, 23.0) == divergence(exploding, 0, 1, 23.0)
