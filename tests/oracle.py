"""A workbench ONNX model whose answers are known, for exact tests of evaluation and its views."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto, helper

ORACLE_SPEC = {"name": "oracle", "layers": [{"kind": "fc", "name": "fc", "units": 10}]}


def write_oracle_model(path, card: dict | None = None):
    """A workbench ONNX model whose answer is known: logit k = 10 × pixel (row 0, column k)."""
    select = np.zeros((784, 10), np.float32)
    select[np.arange(10), np.arange(10)] = 10.0
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["image"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "select"], ["logits"]),
        ],
        "oracle",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [helper.make_tensor("select", TensorProto.FLOAT, [784, 10], select.ravel())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    props = {"format": "workbench-onnx-1", "spec": json.dumps(ORACLE_SPEC)}
    if card is not None:
        props["card"] = json.dumps(card)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save_model(model, str(path))
    return path


def oracle_images(predictions: np.ndarray, brightness: np.ndarray | None = None) -> np.ndarray:
    """uint8 images the oracle reads as `predictions`: one lit pixel at (0, prediction)."""
    brightness = np.full(len(predictions), 255) if brightness is None else brightness
    images = np.zeros((len(predictions), 28, 28), np.uint8)
    images[np.arange(len(predictions)), 0, predictions] = brightness
    return images
