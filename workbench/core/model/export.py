"""Export a network to one ONNX file that also outputs every layer's activations.

A calibration temperature T is part of the graph: the `logits` output is the network's logits
divided by T, so everything that reads the file (the Predictor, `predict --json`, an int8 model
made from it) gives calibrated probabilities with no other change. The layers' outputs are
the network's own.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench import __version__
from workbench.core.fileio import write_onnx_atomic
from workbench.core.model.network import SpecNet

INPUT_NAME = "image"
LOGITS_NAME = "logits"


@dataclass(frozen=True)
class ExportReport:
    path: Path
    max_abs_difference: float  # largest |onnxruntime - torch| over logits and all layer outputs
    argmax_agreement: float  # fraction of inputs whose top-1 digit is the same in both
    n_checked: int


class _AllLayers(torch.nn.Module):
    def __init__(self, net: SpecNet, temperature: float = 1.0):
        super().__init__()
        self.net = net
        self.temperature = float(temperature)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, hidden = self.net.forward_layers(image)
        if self.temperature != 1.0:
            logits = logits / self.temperature
        return (logits, *hidden)


def _checked_temperature(temperature: float) -> float:
    value = float(temperature)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"the calibration temperature must be a positive number, not {value}")
    return value


def export_onnx(
    net: SpecNet,
    path: str | Path,
    metadata: dict[str, Any] | None = None,
    check_images: np.ndarray | None = None,
    temperature: float | None = None,
) -> ExportReport:
    """Write `path` atomically; compare it with torch on `check_images` (float [N, 28, 28]).

    `temperature` divides the logits in the graph; without it, the `temperature` in
    `metadata` (a published model's weights carry theirs), else 1: the network's own logits.
    """

    path = Path(path)
    if temperature is None:
        temperature = (metadata or {}).get("temperature", 1.0)
    temperature = _checked_temperature(temperature)
    net = net.eval()
    wrapper = _AllLayers(net, temperature).eval()
    example = torch.rand(2, *net.spec.input_shape)
    output_names = [LOGITS_NAME, *net.hidden_layer_names()]
    batch = torch.export.Dim("batch", min=1, max=65536)
    # The exporter warns about torchvision ops it cannot register; the workbench uses none.
    registry_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry_log.level
    registry_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                wrapper,
                (example,),
                input_names=[INPUT_NAME],
                output_names=output_names,
                dynamic_shapes={"image": {0: batch}},
                external_data=False,
                dynamo=True,
                verbose=False,
                optimize=True,
            )
    finally:
        registry_log.setLevel(level)
    model = program.model_proto
    props = {
        "workbench_version": __version__,
        "spec": net.spec.to_json(),
        "layers": json.dumps(output_names[1:]),
        "format": "workbench-onnx-1",
    }
    props.update(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in (metadata or {}).items()}
    )
    props["temperature"] = json.dumps(temperature)  # what the graph divides by, whatever was given
    write_onnx_atomic(model, path, {**{p.key: p.value for p in model.metadata_props}, **props})
    if check_images is None:
        check_images = np.random.default_rng(0).random(
            (16, *net.spec.input_shape[1:]), dtype=np.float32
        )
    return _compare(net, path, check_images, temperature)


def _compare(net: SpecNet, path: Path, images: np.ndarray, temperature: float) -> ExportReport:
    from workbench.core.recognition.predictor import Predictor

    images = np.asarray(images, dtype=np.float32)
    predictor = Predictor(path, device="cpu")
    worst, agree = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(images), 1000):
            chunk = images[start : start + 1000]
            logits, hidden = net.forward_layers(torch.from_numpy(chunk).unsqueeze(1))
            logits = logits / temperature
            outputs = predictor.run_raw(chunk)
            expected = [logits, *hidden]
            for got, want in zip(outputs, expected, strict=True):
                worst = max(worst, float(np.abs(got - want.numpy()).max()))
            agree += int((outputs[0].argmax(1) == logits.numpy().argmax(1)).sum())
    return ExportReport(path, worst, agree / len(images), len(images))
