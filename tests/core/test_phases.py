"""The first layer by pool phases (int8's fast form): the same outputs as the layer it replaces,
every name kept; the logits-only session drops the nodes only the feature maps need."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from workbench.core import paths
from workbench.core.model.onnx_wire import keep_outputs
from workbench.core.model.phases import pool_by_phases


def _graph(kernel: int, pad: int, side: int = 28, channels: int = 6, seed: int = 0):
    """image → Conv(1 → channels, kernel, pad) → Relu → MaxPool 2×2 → Conv(→ 4, 3×3) → logits;
    every value but the conv's raw sum is an output, as in an exported model."""
    rng = np.random.default_rng(seed)
    out = side + 2 * pad - kernel + 1
    pooled = out // 2
    tensors = {
        "w1": rng.normal(size=(channels, 1, kernel, kernel)).astype(np.float32),
        "b1": rng.normal(size=channels).astype(np.float32),
        "w2": rng.normal(size=(4, channels, 3, 3)).astype(np.float32),
    }
    nodes = [
        helper.make_node(
            "Conv", ["image", "w1", "b1"], ["sum1"], kernel_shape=[kernel] * 2, pads=[pad] * 4
        ),
        helper.make_node("Relu", ["sum1"], ["conv1"]),
        helper.make_node("MaxPool", ["conv1"], ["pool1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "w2"], ["logits"], kernel_shape=[3, 3]),
    ]
    shapes = {
        "logits": [None, 4, pooled - 2, pooled - 2],
        "conv1": [None, channels, out, out],
        "pool1": [None, channels, pooled, pooled],
    }
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, [None, 1, side, side])],
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in shapes.items()],
        [numpy_helper.from_array(v, k) for k, v in tensors.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def _run(model: onnx.ModelProto | bytes, images: np.ndarray) -> dict[str, np.ndarray]:
    data = model if isinstance(model, bytes) else model.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {"image": images}), strict=True))


@pytest.mark.parametrize(("kernel", "pad"), [(5, 2), (5, 0), (3, 1), (3, 0), (7, 3)])
def test_the_phases_give_the_layer_its_maps_and_its_pool(kernel, pad):
    images = np.random.default_rng(1).random((8, 1, 28, 28), dtype=np.float32)
    model = _graph(kernel, pad)
    before = _run(model, images)
    assert pool_by_phases(model)
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert "MaxPool" not in ops and ops.count("Conv") == 2 and "SpaceToDepth" in ops
    first = next(t for t in model.graph.initializer if t.name.endswith("_phases_w"))
    assert list(first.dims[:2]) == [24, 4]  # 4 phases × 6 channels over 4 block channels
    after = _run(model, images)
    assert after.keys() == before.keys()
    for name, value in before.items():
        assert after[name].shape == value.shape
        np.testing.assert_allclose(after[name], value, rtol=1e-4, atol=1e-4, err_msg=name)


def test_a_pool_that_drops_a_row_or_a_layer_of_several_channels_stays_as_it_is():
    odd = _graph(4, 0)  # 25×25 before the pool: the maps need the row the pool drops
    assert not pool_by_phases(odd)
    assert [n.op_type for n in odd.graph.node] == ["Conv", "Relu", "MaxPool", "Conv"]
    wide = _graph(5, 2)
    wide.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 3
    assert not pool_by_phases(wide)


def test_the_logits_only_model_drops_the_maps_branch_and_keeps_the_logits():
    images = np.random.default_rng(2).random((4, 1, 28, 28), dtype=np.float32)
    model = _graph(5, 2)
    assert pool_by_phases(model)
    full = model.SerializeToString()
    lean = keep_outputs(full, {"logits"})
    kept = onnx.load_model_from_string(lean)
    assert [o.name for o in kept.graph.output] == ["logits"]
    assert "DepthToSpace" not in [n.op_type for n in kept.graph.node]  # conv1's maps: not needed
    np.testing.assert_allclose(_run(lean, images)["logits"], _run(full, images)["logits"])


@pytest.mark.skipif(not paths.SHIPPED_MODEL.is_file(), reason="no shipped model")
def test_the_shipped_int8_model_runs_its_first_layer_by_phases():
    from workbench.core.model.quantize import int8_info, int8_path
    from workbench.core.recognition.predictor import Predictor

    int8 = Predictor(int8_path(paths.SHIPPED_MODEL), "cpu")
    assert int8_info(int8.metadata)["first_layer"] == "by pool phases (SpaceToDepth)"
    ops = [n.op_type for n in onnx.load(str(int8.path)).graph.node]
    assert "SpaceToDepth" in ops and "MaxPool" in ops  # the second pool is an ordinary one
    assert ops.count("MaxPool") == 1
    # the window's feature maps of the first layer are still there, full size
    maps = int8.predict(np.zeros((1, 28, 28), np.float32)).activations
    assert maps["conv1"].shape == (1, 6, 28, 28) and maps["pool1"].shape == (1, 6, 14, 14)
