"""A spec's anatomy: per layer the numbers students compute by hand, as data, rows and text."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from workbench.core.model.spec import LayerSpec, ModelSpec, layer_shapes

INPUT_DESCRIPTION = "28×28 pixels, ink 1 on paper 0"
OUTPUT_DESCRIPTION = "softmax probability of each digit"


@dataclass(frozen=True)
class LayerAnatomy:
    """What a student computes by hand for one layer."""

    name: str
    kind: str
    kernel: int | None
    stride: int | None
    padding: int | None
    dilation: int | None
    output_shape: tuple[int, ...]
    parameters: int
    macs: int
    receptive_field: int
    activation: str
    pooling: str | None = None


@dataclass(frozen=True)
class Anatomy:
    layers: tuple[LayerAnatomy, ...]
    input_shape: tuple[int, int, int]
    parameters: int = field(default=0)
    macs: int = field(default=0)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def anatomy(spec: ModelSpec) -> Anatomy:
    """Output shapes, parameters, multiply-accumulates and receptive fields, layer by layer.

    Raises SpecError naming the first layer whose output would be empty or whose settings are bad.
    """
    receptive, jump = 1, 1
    rows: list[LayerAnatomy] = []
    for shape in layer_shapes(spec):
        layer = shape.layer
        if layer.kind == "dropout":
            rows.append(
                LayerAnatomy(
                    layer.name,
                    "dropout",
                    None,
                    None,
                    None,
                    None,
                    shape.output_shape,
                    0,
                    0,
                    receptive,
                    "none",
                )
            )
            continue
        if layer.kind in ("conv", "pool"):
            span = layer.dilation * (layer.kernel - 1) + 1
            receptive += (span - 1) * jump
            jump *= shape.stride
            channels_in = shape.input_shape[0]
            channels, height, width = shape.output_shape
            if layer.kind == "conv":
                weights = layer.kernel * layer.kernel * channels_in * channels
                params, macs = weights + channels, weights * height * width
            else:
                params, macs = 0, layer.kernel * layer.kernel * channels * height * width
            pooling = spec.layer_pooling(layer) if layer.kind == "pool" else None
            rows.append(
                LayerAnatomy(
                    layer.name,
                    layer.kind,
                    layer.kernel,
                    shape.stride,
                    layer.padding,
                    layer.dilation,
                    shape.output_shape,
                    params,
                    macs,
                    receptive,
                    shape.activation,
                    pooling,
                )
            )
        else:
            inputs = math.prod(shape.input_shape)
            receptive = max(spec.input_shape[1], spec.input_shape[2])
            rows.append(
                LayerAnatomy(
                    layer.name,
                    "fc",
                    None,
                    None,
                    None,
                    None,
                    shape.output_shape,
                    inputs * layer.units + layer.units,
                    inputs * layer.units,
                    receptive,
                    shape.activation,
                )
            )
    return Anatomy(
        tuple(rows), spec.input_shape, sum(r.parameters for r in rows), sum(r.macs for r in rows)
    )


def shape_text(shape: tuple[int, ...]) -> str:
    """(C, H, W) → `H×W×C` (as a student writes it); (units,) → `units`."""
    return f"{shape[1]}×{shape[2]}×{shape[0]}" if len(shape) == 3 else f"{shape[0]}"


def type_text(row: LayerAnatomy) -> str:
    kind = {
        "conv": "conv",
        "pool": f"{row.pooling or 'max'} pool",
        "fc": "fully connected",
        "dropout": "dropout (training only)",
    }
    activation = "" if row.activation == "none" else f" + {row.activation}"
    return kind.get(row.kind, row.kind) + activation


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def table_rows(table: Anatomy) -> list[tuple[str, ...]]:
    """The rows the Anatomy view shows: the input, one per layer (and the flattening), totals."""
    c, h, w = table.input_shape
    rows = [("input", "", "", "", "", "", f"{h}×{w}×{c}", "", "", "1×1")]
    previous: tuple[int, ...] = (c, h, w)
    for r in table.layers:
        if r.kind == "fc" and len(previous) == 3:
            flat = f"{previous[0] * previous[1] * previous[2]:,}"
            rows.append(("flatten", "flatten", "", "", "", "", flat, "0", "0", ""))
        previous = r.output_shape
        rows.append(
            (
                r.name,
                type_text(r),
                "" if r.kernel is None else f"{r.kernel}×{r.kernel}",
                _optional(r.stride),
                _optional(r.padding),
                _optional(r.dilation),
                shape_text(r.output_shape),
                f"{r.parameters:,}",
                f"{r.macs:,}",
                f"{r.receptive_field}×{r.receptive_field}",
            )
        )
    rows.append(("total", "", "", "", "", "", "", f"{table.parameters:,}", f"{table.macs:,}", ""))
    return rows


def anatomy_table(table: Anatomy) -> str:
    """The anatomy as a fixed-width text table, the way a student would write it down."""
    head = ("layer", "type", "kernel", "stride", "pad", "dil", "output", "params", "MACs", "RF")
    c, h, w = table.input_shape
    rows = [("input", "", "", "", "", "", f"{h}×{w}×{c}", "", "", "1")]
    for r in table.layers:
        kind = f"{r.pooling}pool" if r.kind == "pool" else r.kind
        rows.append(
            (
                r.name,
                kind + ("" if r.activation == "none" else f"+{r.activation}"),
                "" if r.kernel is None else f"{r.kernel}×{r.kernel}",
                _optional(r.stride),
                _optional(r.padding),
                _optional(r.dilation),
                shape_text(r.output_shape),
                f"{r.parameters:,}",
                f"{r.macs:,}",
                str(r.receptive_field),
            )
        )
    rows.append(("total", "", "", "", "", "", "", f"{table.parameters:,}", f"{table.macs:,}", ""))
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(
            str(v).rjust(widths[i]) if i >= 6 else str(v).ljust(widths[i])
            for i, v in enumerate(row)
        ).rstrip()
        for row in [head, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def describe_layer(spec: ModelSpec | None, name: str, shape: tuple[int, ...]) -> str:
    """One line for a layer's output: `6 maps of 28×28 · 5×5 convolution, relu`."""
    size = f"{shape[0]} maps of {shape[1]}×{shape[2]}" if len(shape) == 3 else f"{shape[0]} units"
    layer: LayerSpec | None = None
    if spec is not None:
        layer = next((la for la in spec.layers if la.name == name), None)
    if layer is None:
        return size
    activation = spec.layer_activation(layer)
    after = "" if activation == "none" else f", {activation}"
    if layer.kind == "conv":
        return f"{size} · {layer.kernel}×{layer.kernel} convolution{after}"
    if layer.kind == "pool":
        return f"{size} · {layer.kernel}×{layer.kernel} {spec.layer_pooling(layer)} pooling"
    if layer.kind == "dropout":
        return f"{size} · dropout {layer.rate:g} (training only)"
    return f"{size} · fully connected{after}"


# Homework-style specs: each one is a model the builder accepts (it ends in a classifier).
EXAMPLES: dict[str, dict[str, Any]] = {
    "LeNet-5 as in 1998 (32×32, tanh, average pooling)": {
        "name": "lenet5-1998",
        "input_shape": [1, 32, 32],
        "activation": "tanh",
        "pooling": "avg",
        "layers": [
            {"kind": "conv", "name": "C1", "channels": 6, "kernel": 5},
            {"kind": "pool", "name": "S2", "kernel": 2},
            {"kind": "conv", "name": "C3", "channels": 16, "kernel": 5},
            {"kind": "pool", "name": "S4", "kernel": 2},
            {"kind": "fc", "name": "C5", "units": 120},
            {"kind": "fc", "name": "F6", "units": 84},
            {"kind": "fc", "name": "output", "units": 10},
        ],
    },
    "AlexNet's CONV1 on 227×227×3": {
        "name": "alexnet-conv1",
        "input_shape": [3, 227, 227],
        "layers": [
            {
                "kind": "conv",
                "name": "conv1",
                "channels": 96,
                "kernel": 11,
                "stride": 4,
                "padding": 0,
            },
            {"kind": "fc", "name": "fc", "units": 10},
        ],
    },
    "Conv3-10, Pool2, Conv3-10, Pool2, FC-3 on 28×28×1": {
        "name": "small-cnn",
        "input_shape": [1, 28, 28],
        "classes": 3,
        "layers": [
            {"kind": "conv", "name": "conv1", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "pool1", "kernel": 2},
            {"kind": "conv", "name": "conv2", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "pool2", "kernel": 2},
            {"kind": "fc", "name": "fc", "units": 3},
        ],
    },
    "2×2 kernel, dilation 4, stride 2, pad 1 on 16×16": {
        "name": "dilated",
        "input_shape": [1, 16, 16],
        "layers": [
            {
                "kind": "conv",
                "name": "conv1",
                "channels": 1,
                "kernel": 2,
                "dilation": 4,
                "stride": 2,
                "padding": 1,
            },
            {"kind": "fc", "name": "fc", "units": 10},
        ],
    },
}
