"""Model choice: open another model, refuse what is not one (keeping the old), CPU/CUDA/auto."""

from __future__ import annotations

import shutil

import numpy as np
import onnxruntime
import pytest

from workbench.core.model.files import open_model
from workbench.core.recognition.predictor import ModelLoadError

HAS_CUDA = "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def assert_refused(window, before, label: str, name: str, says: str) -> None:
    assert window.predictor is before
    assert window.model_label.text() == label
    assert window.notice.kind == "error"
    assert name in window.notice.text() and says in window.notice.text()
    assert "Still using" in window.notice.text()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("broken.onnx", b"\x08\x07 this is not a model", "not a valid ONNX model"),
        ("notes.txt", b"hello", "not a workbench model"),
    ],
)
def test_a_bad_model_file_keeps_the_old_model_and_shows_the_error(
    window, tmp_path, name, content, says
):
    before, label = window.predictor, window.model_label.text()
    bad = tmp_path / name
    bad.write_bytes(content)
    assert not window.open_model(bad)
    assert_refused(window, before, label, name, says)


def test_a_bad_checkpoint_is_refused_from_the_background_job(window, qtbot, tmp_path):
    pytest.importorskip("torch")
    before, label = window.predictor, window.model_label.text()
    bad = tmp_path / "weights.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with qtbot.waitSignal(window._model_jobs.job_failed, timeout=60_000):
        assert window.open_model(bad)  # exported in the background: the answer comes later
    assert_refused(window, before, label, "weights.safetensors", "not a workbench")
    assert window.model_menu.open_action.isEnabled()


def test_opening_another_onnx_model_switches_and_updates_the_status(window, tmp_path, model_path):
    copy = tmp_path / "my-lenet.onnx"
    shutil.copyfile(model_path, copy)
    assert window.open_model(copy)
    assert window.predictor.path == copy
    assert "my-lenet.onnx" in window.model_label.text()
    assert "CPU" in window.model_label.text() or "CUDA" in window.model_label.text()
    assert window.settings.value("model/source") == str(copy)


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_cuda_without_cuda_falls_back_to_cpu_and_says_so(window):
    window.model_menu.device_actions["cuda"].trigger()
    assert window.device == "cuda"
    assert window.predictor.provider == "CPUExecutionProvider"
    assert "runs on CPU" in window.model_label.text()
    assert "CUDA" in window.notice.text() and "CPU" in window.notice.text()
    assert window.model_menu.device_actions["cuda"].isChecked()


def test_open_model_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(ModelLoadError, match="no such file"):
        open_model(tmp_path / "absent.onnx")
    picture = tmp_path / "digit.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ModelLoadError, match="digit.png: not a workbench model"):
        open_model(picture)


@pytest.mark.slow
def test_a_checkpoint_is_exported_once_and_opened(window, qtbot, tmp_path):
    pytest.importorskip("torch")
    from workbench.core.model.checkpoint import save_checkpoint
    from workbench.core.model.files import cache_dir
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    checkpoint = tmp_path / "epoch-001.safetensors"
    save_checkpoint(checkpoint, build_network(PRESETS["lenet5"], seed=0), None)
    with qtbot.waitSignal(window._model_jobs.job_finished, timeout=120_000):
        assert window.open_model(checkpoint)
    assert "epoch-001.safetensors" in window.model_label.text()
    assert window.feature_view.tile_count("conv2") == 16
    cached = list(cache_dir().glob("epoch-001-*.onnx"))
    assert len(cached) == 1
    assert open_model(checkpoint).path == cached[0]  # the second time comes from the cache


def test_the_int8_twin_is_offered_and_switches_both_ways(
    window, tmp_path, model_path, pattern_data
):
    from workbench.core.model.quantize import calibration_images, quantize_model
    from workbench.gui.widgets.model_choice import describe_model

    alone = tmp_path / "alone.onnx"
    shutil.copyfile(model_path, alone)
    assert window.open_model(alone)
    assert not window.model_menu.int8_action.isEnabled()  # no twin beside it: nothing to offer

    float_model = tmp_path / "net.onnx"
    shutil.copyfile(model_path, float_model)
    twin = quantize_model(float_model, calibration_images(pattern_data[0], 200)).path
    assert window.open_model(float_model)
    action = window.model_menu.int8_action
    assert action.isEnabled() and not action.isChecked()

    action.trigger()
    assert window.predictor.path == twin and action.isChecked()
    assert "net.int8.onnx" in window.model_label.text()
    assert "int8 twin of net.onnx" in describe_model(window.predictor)
    maps = window.predictor.predict(np.zeros((1, 28, 28), np.float32)).activations
    assert set(maps) == set(window.predictor.layer_names)  # feature maps still there

    action.trigger()
    assert window.predictor.path == float_model and not action.isChecked()
    assert action.isEnabled()


def test_about_the_shipped_model_names_its_training_data():
    from workbench.core.paths import SHIPPED_MODEL
    from workbench.core.recognition.predictor import Predictor
    from workbench.gui.widgets.model_choice import describe_model

    if not SHIPPED_MODEL.is_file():
        pytest.skip(f"no shipped model at {SHIPPED_MODEL}")
    card = Predictor(SHIPPED_MODEL, device="cpu").model_card()
    text = describe_model(Predictor(SHIPPED_MODEL, device="cpu"))
    mnist = card["n_train"] - card.get("extra_training", {}).get("count", 0)
    assert f"trained on {mnist:,} MNIST images" in text
    if card.get("extra_training"):
        assert f"+ {card['extra_training']['count']:,} digits stroked by code" in text
    assert f"{card['n_val']:,} held out" in text
