"""The fast loop's contract: BatchDone every tenth batch, augmentation strengths (and the old
on/off flag), the temperature fitted after training and carried into the ONNX graph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.training.config import TrainConfig, upgraded
from workbench.core.training.events import BatchDone, EpochDone, RunEnded
from workbench.core.training.loop import train

FAST = dict(batch_size=50, val_size=200, seed=3, schedule="constant", learning_rate=1e-3)


def test_batch_done_every_tenth_batch_with_the_window_mean(pattern_data):
    events = list(train(TrainConfig(epochs=1, augment=False, **FAST), *pattern_data))
    batches = [e for e in events if isinstance(e, BatchDone)]
    # 1000 training images in batches of 50: 20 batches, reported at 1, 11 and 20
    assert [e.batch for e in batches] == [1, 11, 20]
    assert all(e.batches == 20 and 0.0 <= e.accuracy <= 1.0 for e in batches)
    assert batches[0].loss == pytest.approx(np.log(10), rel=0.2)  # untrained: about chance
    epoch = next(e for e in events if isinstance(e, EpochDone))
    # the epoch's figures are the mean over all its batches, windows included
    assert batches[-1].loss < batches[0].loss and 0.0 < epoch.train_loss < batches[0].loss


def test_strengths_and_the_old_augment_flag():
    assert TrainConfig(augment=False).strengths == dict.fromkeys(
        ("affine", "stretch", "elastic", "lowres"), 0.0
    )
    assert TrainConfig(augment=True, affine=0.0).strengths["affine"] == 1.0
    assert TrainConfig(augment=True, stretch=1.5).strengths == {
        "affine": 1.0, "stretch": 1.5, "elastic": 0.0, "lowres": 0.0
    }  # fmt: skip
    assert upgraded({"augment": True, "seed": 2}) == {
        "seed": 2, "affine": 1.0, "stretch": 0.0, "elastic": 0.0, "lowres": 0.0
    }  # fmt: skip
    # saved strengths win over a stray flag
    assert TrainConfig.from_dict({"augment": False, "elastic": 1.0}).elastic == 1.0


@pytest.mark.parametrize("value", [-0.5, 2.5, float("nan"), True])
def test_strength_out_of_range_is_refused_by_name(value):
    with pytest.raises(ValueError, match="strength lowres"):
        TrainConfig(lowres=value).validate()


def test_history_written_with_the_old_flag_keeps_loading(tmp_path: Path, pattern_data):
    """A run folder from before the strengths: its config (augment: true/false) reads back,
    and a model card's recipe too."""
    from workbench.core.training.runs import read_history, summarise

    for flag, affine in ((True, 1.0), (False, 0.0)):
        run_dir = tmp_path / f"old-{flag}"
        list(train(TrainConfig(epochs=1, **FAST), *pattern_data, run_dir=run_dir))
        path = run_dir / "history.json"
        data = json.loads(path.read_text())
        for name in ("affine", "stretch", "elastic", "lowres"):
            del data["config"][name]
        data["config"]["augment"] = flag
        path.write_text(json.dumps(data))
        config = TrainConfig.from_dict(read_history(run_dir)["config"])
        assert config.strengths == {
            "affine": affine, "stretch": 0.0, "elastic": 0.0, "lowres": 0.0
        }  # fmt: skip
        assert summarise(run_dir).state == "finished"
    card = json.loads((Path(__file__).parents[2] / "models" / "lenet5.json").read_text())
    assert TrainConfig.from_dict(card["recipe"]).validate() is None


def test_calibration_is_fitted_on_validation_and_recorded(pattern_data, tmp_path):
    from workbench.core.training.runs import read_history

    events = list(train(TrainConfig(epochs=1, **FAST), *pattern_data, run_dir=tmp_path))
    ended = events[-1]
    assert isinstance(ended, RunEnded) and ended.state == "finished"
    calibration = read_history(tmp_path)["calibration"]
    assert calibration["n"] == 200 and calibration["fitted_on"] == "validation"
    assert 0.05 <= calibration["temperature"] <= 20
    assert calibration["ece_after"] <= calibration["ece_before"] + 1e-9
    no_val = list(train(TrainConfig(epochs=1, **{**FAST, "val_size": 0}), *pattern_data))
    assert "calibration" not in no_val[-1].history


def test_exported_logits_are_divided_by_the_temperature(tmp_path):
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS
    from workbench.core.recognition.predictor import Predictor

    net = build_network(PRESETS["lenet5"], seed=0).eval()
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    report = export_onnx(net, tmp_path / "t.onnx", check_images=images, temperature=2.5)
    assert report.max_abs_difference < 1e-4 and report.argmax_agreement == 1.0
    predictor = Predictor(tmp_path / "t.onnx", device="cpu")
    with torch.inference_mode():
        raw = net(torch.from_numpy(images).unsqueeze(1)).numpy()
    np.testing.assert_allclose(predictor.run_raw(images)[0], raw / 2.5, rtol=1e-4, atol=1e-5)
    assert json.loads(predictor.metadata["temperature"]) == 2.5
    with pytest.raises(ValueError, match="temperature"):
        export_onnx(net, tmp_path / "bad.onnx", temperature=0.0)


def test_model_card_records_the_temperature_or_says_there_is_none(tmp_path, tiny_mnist_dir):
    from workbench.core.data.mnist import load_split
    from workbench.core.model.publish import write_model

    images, labels = load_split(tiny_mnist_dir, "train", verify=False)
    for val_size in (200, 0):
        config = TrainConfig(epochs=1, **{**FAST, "val_size": val_size})
        ended = list(train(config, images, labels))[-1]
        path = tmp_path / f"val{val_size}" / "m.onnx"
        card = write_model(ended.network, path, ended.history, tiny_mnist_dir, verify=False)
        calibration = card["calibration"]
        assert set(calibration["test"]) == {"ece_before", "ece_after"}
        if val_size:
            assert calibration["calibrated"] and calibration["temperature"] != 1.0
        else:
            assert not calibration["calibrated"] and calibration["temperature"] == 1.0
            assert "no validation split" in calibration["note"]
            assert calibration["test"]["ece_before"] == pytest.approx(
                calibration["test"]["ece_after"]
            )


def test_cli_strength_flags(tiny_mnist_dir, tmp_path, monkeypatch, capsys):
    from workbench.cli import main
    from workbench.core.training.runs import read_history

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    common = ["train", "--data-dir", str(tiny_mnist_dir), "--no-verify", "--epochs", "1"]
    common += ["--batch-size", "100", "--val-size", "200"]
    assert main([*common, "--lowres", "2.5", "--name", "bad"]) == 2
    assert "strength lowres" in capsys.readouterr().err
    assert main([*common, "--no-augment", "--stretch", "1", "--name", "flags"]) == 0
    config = read_history(tmp_path / "runs" / "flags")["config"]
    assert {k: config[k] for k in ("affine", "stretch", "elastic", "lowres")} == {
        "affine": 0.0, "stretch": 1.0, "elastic": 0.0, "lowres": 0.0
    }  # fmt: skip


def test_bench_times_the_command_to_its_first_batch(tiny_mnist_dir):
    from workbench.core import bench

    seconds = bench.first_batch_seconds(tiny_mnist_dir, threads=1, verify=False)
    assert seconds is not None and 0 < seconds < 120
    text = bench.format_report(
        bench.BenchReport(
            machine={
                "workbench": "x",
                "cores": 2,
                "cpu": "c",
                "onnxruntime": "o",
                "provider": "p",
                "threads": 2,
            },
            figures={
                "single_digit": {
                    "threads": 1,
                    "speedup_median": 1.0,
                    "onnxruntime": {"median_ms": 1.0, "p95_ms": 1.0},
                    "torch": {"median_ms": 1.0, "p95_ms": 1.0},
                },
                "draw_to_prediction": {"median_ms": 1.0, "p95_ms": 1.0},
                "training": {
                    "threads": 2,
                    "epochs": 6,
                    "seconds_to_99": 20.0,
                    "epoch_of_99": 5,
                    "epoch_seconds": 4.0,
                    "epoch_images_per_s": 13750.0,
                    "first_batch_seconds": seconds,
                },
            },
        )  # fmt: skip
    )
    assert "99 % validation accuracy: 20.0 s (epoch 5)" in text
    assert f"`workbench train` start to first batch: {seconds:.2f} s" in text


def test_weights_of_a_published_model_export_with_their_temperature(tmp_path):
    """`workbench export` (and loading a .safetensors) keep the temperature in the graph."""
    from workbench.core.model.checkpoint import load_network, save_checkpoint
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS
    from workbench.core.recognition.predictor import Predictor

    net = build_network(PRESETS["lenet5"], seed=1).eval()
    save_checkpoint(tmp_path / "w.safetensors", net, None, {"temperature": 1.7})
    loaded, meta = load_network(tmp_path / "w.safetensors")
    assert meta["temperature"] == 1.7
    export_onnx(loaded, tmp_path / "w.onnx", meta)
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 5:20, 12:15] = 1.0
    with torch.inference_mode():
        raw = net(torch.from_numpy(image).unsqueeze(1)).numpy()
    got = Predictor(tmp_path / "w.onnx", device="cpu").run_raw(image)[0]
    np.testing.assert_allclose(got, raw / 1.7, rtol=1e-4, atol=1e-5)


def test_extra_training_images_join_the_training_part_only(pattern_data):
    from workbench.core.data.nonmnist import stroked_training_set
    from workbench.core.training.events import RunStarted

    extra = stroked_training_set(100, seed=5)
    config = TrainConfig(epochs=1, augment=False, **FAST)
    plain = next(e for e in train(config, *pattern_data) if isinstance(e, RunStarted))
    events = list(train(config, *pattern_data, extra_training=extra))
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.n_train == plain.n_train + 100 and started.n_val == plain.n_val == 200
    assert events[-1].state == "finished"
    with pytest.raises(ValueError, match="cannot be resumed"):
        next(
            train(config, *pattern_data, run_dir=Path("unused"), resume=True, extra_training=extra)
        )
