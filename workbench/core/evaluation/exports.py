"""Evaluation results as files (matrix CSV, wrong digits as PNGs); conv filters of an ONNX file."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from workbench.core.evaluation.calibration import ReliabilityBin
from workbench.core.evaluation.evaluation import EvalResult
from workbench.core.evaluation.metrics import ClassMetrics, ConfusedPair, row_normalised
from workbench.core.fileio import atomic_writer
from workbench.core.recognition.conversions import as_bytes


def confusion_csv(matrix: np.ndarray, normalised: bool = False) -> str:
    """The matrix as CSV text: a header of predicted digits, then one row per true digit."""
    matrix = np.asarray(matrix)
    values = row_normalised(matrix) if normalised else matrix
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["true\\predicted", *range(matrix.shape[1])])
    for digit, row in enumerate(values):
        cells = [f"{v:.6f}" for v in row] if normalised else [int(v) for v in row]
        writer.writerow([digit, *cells])
    return out.getvalue()


def write_confusion_csv(
    matrix: np.ndarray, path: str | os.PathLike, normalised: bool = False
) -> Path:
    """Write the counts (or row-normalised rates) to `path`; raises OSError when it cannot."""
    path = Path(path)
    with atomic_writer(path, "w") as handle:
        handle.write(confusion_csv(matrix, normalised))
    return path


def misclassified_name(index: int, true: int, pred: int, probability: float) -> str:
    """`00042_true7_pred2_p0.93.png`: test-set index, true and predicted digit, its probability."""
    return f"{index:05d}_true{true}_pred{pred}_p{probability:.2f}.png"


def write_misclassified(
    folder: str | os.PathLike, images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> list[Path]:
    """Write every wrongly read image as a greyscale PNG named by `misclassified_name`.

    `images` are the test images as stored (uint8, or floats in 0…1), [N, 28, 28];
    `probabilities` [N, classes] are the model's answers for them, in the same order.
    """
    folder = Path(folder)
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities)
    if not len(images) == len(labels) == len(probabilities):
        raise ValueError("images, labels and probabilities differ in length")
    predictions = probabilities.argmax(axis=1)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in np.flatnonzero(predictions != labels):
        pred = int(predictions[index])
        name = misclassified_name(
            int(index), int(labels[index]), pred, float(probabilities[index, pred])
        )
        written.append(folder / name)
        Image.fromarray(as_bytes(images[index])).save(folder / name, format="PNG")
    return written


def stored_result(test: dict[str, Any]) -> EvalResult:
    """The evaluation kept in a model card's "test" entry (the `eval --json` keys), as a result.

    It has no per-image answers: its `probabilities` and `labels` are empty. Cards written
    before calibration was measured have no "ece" (NaN here) and no reliability bins.
    """
    matrix = np.asarray(test["confusion"], dtype=np.int64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {matrix.shape}")
    return EvalResult(
        accuracy=float(test["accuracy"]),
        n=int(test.get("n", matrix.sum())),
        confusion=matrix,
        per_class=[ClassMetrics(**row) for row in test["per_class"]],
        top_confused=[ConfusedPair(**pair) for pair in test["top_confused"]],
        seconds=float(test.get("seconds", 0.0)),
        provider=str(test.get("provider", "")),
        probabilities=np.empty((0, matrix.shape[1]), dtype=np.float32),
        labels=np.empty(0, dtype=np.int64),
        ece=float(test["ece"]) if test.get("ece") is not None else math.nan,
        reliability=tuple(_stored_bin(row) for row in test.get("reliability") or ()),
    )


def _stored_bin(row: dict[str, Any]) -> ReliabilityBin:
    """A reliability bin from JSON, where an empty bin's means are null."""

    def number(key: str) -> float:
        return math.nan if row.get(key) is None else float(row[key])

    return ReliabilityBin(
        number("low"), number("high"), int(row["count"]), number("confidence"), number("accuracy")
    )


def conv_filters(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The weights of every convolution of an ONNX model, [out, in, kh, kw] float32, by layer.

    Read from the file's initializers with `onnx` (no torch). Layers are named from the
    workbench spec stored in the file when the convolutions match it one to one, else by
    the weight's name.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(os.fspath(path), load_external_data=False)
    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    for node in graph.node:  # some exporters keep weights as Constant nodes
        if node.op_type == "Constant" and node.output:
            for attribute in node.attribute:
                if attribute.name == "value":
                    tensors[node.output[0]] = attribute.t
    weights = []
    for node in graph.node:
        if node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in tensors:
            array = numpy_helper.to_array(tensors[node.input[1]]).astype(np.float32)
            if array.ndim == 4:
                weights.append((node.input[1], array))
    names = _spec_conv_names(model)
    if len(names) != len(weights):
        names = [_weight_layer_name(name) for name, _ in weights]
    return dict(zip(names, (array for _, array in weights), strict=True))


def _spec_conv_names(model) -> list[str]:
    props = {p.key: p.value for p in model.metadata_props}
    try:
        layers = json.loads(props["spec"])["layers"]
        return [layer["name"] for layer in layers if layer.get("kind") == "conv"]
    except (KeyError, TypeError, ValueError):
        return []


def _weight_layer_name(name: str) -> str:
    """`net.blocks.conv1.0.weight` → `conv1`; any other name without its `.weight`."""
    parts = name.split(".")
    if "blocks" in parts[:-1]:
        return parts[parts.index("blocks") + 1]
    return name.removesuffix(".weight")
