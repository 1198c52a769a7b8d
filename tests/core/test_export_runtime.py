"""ONNX export against torch (the reference); Predictor on good and bad files."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from workbench.core.model.checkpoint import load_network, save_checkpoint
from workbench.core.model.export import export_onnx
from workbench.core.model.network import ModelFileError, build_network
from workbench.core.model.spec import PRESETS
from workbench.core.recognition.predictor import ModelLoadError, Predictor


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    net = build_network(PRESETS["lenet5"], seed=0).eval()
    images = np.random.default_rng(0).random((64, 28, 28), dtype=np.float32)
    report = export_onnx(net, folder / "model.onnx", {"note": "test"}, check_images=images)
    return net, folder / "model.onnx", report


def test_export_is_one_file_matching_torch_at_batch_1_and_5(exported):
    net, path, report = exported
    assert report.max_abs_difference < 1e-4 and report.argmax_agreement == 1.0
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no external .data file
    predictor = Predictor(path, device="cpu")
    assert predictor.layer_names == ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2"]
    assert predictor.metadata["note"] == "test"
    for batch in (1, 5):
        images = np.random.default_rng(batch).random((batch, 28, 28), dtype=np.float32)
        prediction = predictor.predict(images)
        with torch.inference_mode():
            logits, hidden = net.forward_layers(torch.from_numpy(images).unsqueeze(1))
        expected = torch.softmax(logits, 1).numpy()
        np.testing.assert_allclose(prediction.probabilities, expected, atol=1e-5)
        assert prediction.activations["conv1"].shape == (batch, 6, 28, 28)
        assert prediction.activations["pool2"].shape == (batch, 16, 5, 5)
        np.testing.assert_allclose(prediction.activations["fc2"], hidden[-1].numpy(), atol=1e-4)
        top = prediction.top(2)
        assert len(top) == batch and all(len(row) == 2 for row in top)
        assert top[0][0][1] >= top[0][1][1]
        assert top[0][0][0] == int(expected[0].argmax())


def test_cuda_request_without_cuda_falls_back_with_a_notice(exported):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has CUDA")
    predictor = Predictor(exported[1], device="cuda")
    assert predictor.provider == "CPUExecutionProvider"
    assert "CPU" in predictor.notice
    assert Predictor(exported[1], device="auto").notice is None


def _tiny_onnx(path, input_shape, classes=10, metadata=True):
    node = helper.make_node("Flatten", ["image"], ["flat"], axis=1)
    weights = helper.make_tensor(
        "w",
        TensorProto.FLOAT,
        [int(np.prod(input_shape[1:])), classes],
        np.zeros(int(np.prod(input_shape[1:])) * classes, np.float32),
    )
    matmul = helper.make_node("MatMul", ["flat", "w"], ["logits"])
    graph = helper.make_graph(
        [node, matmul],
        "g",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", *input_shape[1:]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if metadata:
        entry = model.metadata_props.add()
        entry.key, entry.value = "format", "workbench-onnx-1"
    onnx.save_model(model, str(path))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(os.urandom(3000)), "not a valid ONNX"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: _tiny_onnx(p, (1, 1, 32, 32)), "input 'image'"),
        (lambda p: _tiny_onnx(p, (1, 1, 28, 28), classes=7), "10 classes"),
        (lambda p: _tiny_onnx(p, (1, 1, 28, 28), metadata=False), "not one exported"),
    ],
)
def test_bad_model_files_are_refused_with_a_clear_message(tmp_path, make, message):
    path = tmp_path / "bad.onnx"
    make(path)
    with pytest.raises(ModelLoadError, match=message) as info:
        Predictor(path)
    assert "bad.onnx" in str(info.value)


def test_onnx_with_external_data_is_refused(tmp_path, exported):
    model = onnx.load_model(str(exported[1]))
    onnx.save_model(
        model,
        str(tmp_path / "ext.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="ext.onnx.data",
        size_threshold=0,
    )
    with pytest.raises(ModelLoadError):
        Predictor(tmp_path / "ext.onnx")


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_pickle_checkpoint_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"weights": _Payload()}))
    torch_file = tmp_path / "evil.pt"
    torch.save({"weights": _Payload()}, torch_file)
    for candidate in (path, torch_file):
        with pytest.raises(ModelFileError, match=candidate.name):
            load_network(candidate)
    assert not (tmp_path / "PWNED").exists()


def test_checkpoint_round_trip(tmp_path):
    net = build_network(PRESETS["conv2"], seed=1)
    save_checkpoint(tmp_path / "c.safetensors", net, None, {"epoch": 4})
    again, meta = load_network(tmp_path / "c.safetensors")
    assert meta == {"epoch": 4} and again.spec == net.spec
    for key, value in net.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])


def test_inference_path_imports_no_torch(exported):
    code = (
        "import sys, numpy as np\n"
        "from workbench.core.recognition.predictor import Predictor\n"
        "import workbench.core.evaluation.evaluation, workbench.core.evaluation.metrics\n"
        f"p = Predictor({str(exported[1])!r})\n"
        "p.predict(np.zeros((1, 28, 28), np.float32))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
