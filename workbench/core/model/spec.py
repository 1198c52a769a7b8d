"""Network specs: a JSON-able description of a CNN, its presets and its anatomy (no torch)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

ACTIVATIONS = ("relu", "tanh", "sigmoid", "none")
POOLINGS = ("max", "avg")
LAYER_KINDS = ("conv", "pool", "fc")


class SpecError(ValueError):
    """A spec that cannot be built; the message names the offending layer."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer. `conv` and `pool` use kernel/stride/padding/dilation; `fc` uses `units`.

    `activation` and `pooling` of None inherit the model-wide choice; the last `fc` layer has none.
    """

    kind: str
    name: str
    channels: int = 0
    units: int = 0
    kernel: int = 1
    stride: int | None = None
    padding: int = 0
    dilation: int = 1
    activation: str | None = None
    pooling: str | None = None

    def effective_stride(self) -> int:
        if self.stride is not None:
            return self.stride
        return self.kernel if self.kind == "pool" else 1


@dataclass(frozen=True)
class ModelSpec:
    """A whole network: input shape (C, H, W), layers, model-wide activation and pooling."""

    name: str
    layers: tuple[LayerSpec, ...]
    input_shape: tuple[int, int, int] = (1, 28, 28)
    activation: str = "relu"
    pooling: str = "max"
    normalize: tuple[float, float] = (0.1307, 0.3081)
    classes: int = 10

    def layer_activation(self, layer: LayerSpec) -> str:
        if layer.kind == "pool":
            return "none"
        if layer.kind == "fc" and layer is self.layers[-1]:
            return "none"
        return layer.activation or self.activation

    def layer_pooling(self, layer: LayerSpec) -> str:
        return layer.pooling or self.pooling

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; each layer lists only the fields that mean something for its kind."""
        data = dataclasses.asdict(self)
        data["layers"] = [_layer_dict(layer) for layer in self.layers]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        try:
            layers = tuple(LayerSpec(**layer) for layer in data["layers"])
            spec = cls(
                name=str(data.get("name", "custom")),
                layers=layers,
                input_shape=tuple(int(v) for v in data.get("input_shape", (1, 28, 28))),
                activation=data.get("activation", "relu"),
                pooling=data.get("pooling", "max"),
                normalize=tuple(float(v) for v in data.get("normalize", (0.1307, 0.3081))),
                classes=int(data.get("classes", 10)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"not a valid model spec: {exc}") from exc
        validate(spec)
        return spec

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise SpecError(f"model spec is not valid JSON: {exc}") from exc

    def with_options(self, activation: str | None = None, pooling: str | None = None) -> ModelSpec:
        changes = {k: v for k, v in (("activation", activation), ("pooling", pooling)) if v}
        spec = dataclasses.replace(self, **changes)
        validate(spec)
        return spec


_LAYER_FIELDS = {
    "conv": ("channels", "kernel", "stride", "padding", "dilation", "activation"),
    "pool": ("kernel", "stride", "padding", "dilation", "pooling"),
    "fc": ("units", "activation"),
}


def _layer_dict(layer: LayerSpec) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": layer.kind, "name": layer.name}
    for name in _LAYER_FIELDS.get(layer.kind, ()):
        value = getattr(layer, name)
        if value is not None and not (name == "dilation" and value == 1):
            row[name] = value
    return row


def _conv(name, channels, kernel, padding=0, stride=None, dilation=1) -> LayerSpec:
    return LayerSpec(
        "conv",
        name,
        channels=channels,
        kernel=kernel,
        padding=padding,
        stride=stride,
        dilation=dilation,
    )


def _pool(name, kernel=2) -> LayerSpec:
    return LayerSpec("pool", name, kernel=kernel)


def _fc(name, units) -> LayerSpec:
    return LayerSpec("fc", name, units=units)


PRESETS: dict[str, ModelSpec] = {
    "lenet5": ModelSpec(
        "lenet5",
        (
            _conv("conv1", 6, 5, padding=2),
            _pool("pool1"),
            _conv("conv2", 16, 5),
            _pool("pool2"),
            _fc("fc1", 120),
            _fc("fc2", 84),
            _fc("fc3", 10),
        ),
    ),
    "conv1": ModelSpec(
        "conv1",
        (
            _conv("conv1", 32, 3),
            _pool("pool1"),
            _fc("fc1", 100),
            _fc("fc2", 10),
        ),
    ),
    "conv2": ModelSpec(
        "conv2",
        (
            _conv("conv1", 32, 3),
            _pool("pool1"),
            _conv("conv2", 64, 3),
            _pool("pool2"),
            _fc("fc1", 100),
            _fc("fc2", 10),
        ),
    ),
}
DEFAULT_PRESET = "lenet5"


def preset(name: str, activation: str | None = None, pooling: str | None = None) -> ModelSpec:
    try:
        spec = PRESETS[name]
    except KeyError:
        raise SpecError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
    return spec.with_options(activation, pooling)


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


def _spatial(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def anatomy(spec: ModelSpec) -> Anatomy:
    """Output shapes, parameters, multiply-accumulates and receptive fields, layer by layer.

    Raises SpecError naming the first layer whose output would be empty or whose settings are bad.
    """
    channels, height, width = spec.input_shape
    flat: int | None = None
    receptive, jump = 1, 1
    rows: list[LayerAnatomy] = []
    for index, layer in enumerate(spec.layers):
        where = f"layer {index + 1} ({layer.name})"
        if layer.kind not in LAYER_KINDS:
            raise SpecError(f"{where}: unknown kind {layer.kind!r}; use conv, pool or fc")
        activation = spec.layer_activation(layer)
        if activation not in ACTIVATIONS:
            raise SpecError(f"{where}: unknown activation {activation!r}")
        if layer.kind in ("conv", "pool"):
            if flat is not None:
                raise SpecError(
                    f"{where}: a {layer.kind} layer cannot follow a fully connected one"
                )
            stride = layer.effective_stride()
            if layer.kernel < 1 or stride < 1 or layer.padding < 0 or layer.dilation < 1:
                raise SpecError(f"{where}: kernel, stride and dilation must be ≥ 1, padding ≥ 0")
            if layer.kind == "pool" and spec.layer_pooling(layer) not in POOLINGS:
                raise SpecError(f"{where}: unknown pooling {spec.layer_pooling(layer)!r}")
            if layer.kind == "pool" and layer.padding * 2 > layer.kernel:
                raise SpecError(f"{where}: pool padding must be at most half the kernel")
            new_h = _spatial(height, layer.kernel, stride, layer.padding, layer.dilation)
            new_w = _spatial(width, layer.kernel, stride, layer.padding, layer.dilation)
            if new_h < 1 or new_w < 1:
                raise SpecError(
                    f"{where}: a {layer.kernel}×{layer.kernel} kernel (dilation {layer.dilation}, "
                    f"padding {layer.padding}) does not fit its {height}×{width} input"
                )
            span = layer.dilation * (layer.kernel - 1) + 1
            receptive += (span - 1) * jump
            jump *= stride
            if layer.kind == "conv":
                if layer.channels < 1:
                    raise SpecError(f"{where}: a conv layer needs channels ≥ 1")
                weights = layer.kernel * layer.kernel * channels * layer.channels
                params = weights + layer.channels
                macs = weights * new_h * new_w
                channels = layer.channels
            else:
                params, macs = 0, layer.kernel * layer.kernel * channels * new_h * new_w
            height, width = new_h, new_w
            shape: tuple[int, ...] = (channels, height, width)
            rows.append(
                LayerAnatomy(
                    layer.name,
                    layer.kind,
                    layer.kernel,
                    stride,
                    layer.padding,
                    layer.dilation,
                    shape,
                    params,
                    macs,
                    receptive,
                    activation,
                    spec.layer_pooling(layer) if layer.kind == "pool" else None,
                )
            )
        else:
            if layer.units < 1:
                raise SpecError(f"{where}: a fully connected layer needs units ≥ 1")
            inputs = flat if flat is not None else channels * height * width
            params = inputs * layer.units + layer.units
            flat = layer.units
            receptive = max(spec.input_shape[1], spec.input_shape[2])
            rows.append(
                LayerAnatomy(
                    layer.name,
                    "fc",
                    None,
                    None,
                    None,
                    None,
                    (layer.units,),
                    params,
                    inputs * layer.units,
                    receptive,
                    activation,
                )
            )
    return Anatomy(
        tuple(rows), spec.input_shape, sum(r.parameters for r in rows), sum(r.macs for r in rows)
    )


def validate(spec: ModelSpec) -> None:
    """Raise SpecError unless the spec builds a classifier with `classes` outputs."""
    if len(spec.input_shape) != 3 or min(spec.input_shape) < 1:
        raise SpecError(f"input shape must be (channels, height, width), got {spec.input_shape}")
    if not spec.layers:
        raise SpecError("a model needs at least one layer")
    if spec.activation not in ACTIVATIONS or spec.pooling not in POOLINGS:
        raise SpecError(f"activation must be one of {ACTIVATIONS}, pooling one of {POOLINGS}")
    names = [layer.name for layer in spec.layers]
    if len(set(names)) != len(names) or "logits" in names or "image" in names:
        raise SpecError("layer names must be unique and not 'image' or 'logits'")
    anatomy(spec)
    last = spec.layers[-1]
    if last.kind != "fc" or last.units != spec.classes:
        raise SpecError(
            f"layer {len(spec.layers)} ({last.name}): the last layer must be fully connected "
            f"with {spec.classes} units"
        )


def anatomy_table(table: Anatomy) -> str:
    """The anatomy as a fixed-width text table, the way a student would write it down."""
    head = ("layer", "type", "kernel", "stride", "pad", "dil", "output", "params", "MACs", "RF")
    c, h, w = table.input_shape
    rows = [("input", "", "", "", "", "", f"{h}×{w}×{c}", "", "", "1")]
    for r in table.layers:
        shape = (f"{r.output_shape[1]}×{r.output_shape[2]}×{r.output_shape[0]}"
                 if len(r.output_shape) == 3 else str(r.output_shape[0]))
        kind = f"{r.pooling}pool" if r.kind == "pool" else r.kind
        rows.append((r.name, kind + ("" if r.activation == "none" else f"+{r.activation}"),
                     "" if r.kernel is None else f"{r.kernel}×{r.kernel}",
                     "" if r.stride is None else str(r.stride),
                     "" if r.padding is None else str(r.padding),
                     "" if r.dilation is None else str(r.dilation),
                     shape, f"{r.parameters:,}", f"{r.macs:,}", str(r.receptive_field)))
    rows.append(("total", "", "", "", "", "", "", f"{table.parameters:,}", f"{table.macs:,}", ""))
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(v).rjust(widths[i]) if i >= 6 else str(v).ljust(widths[i])
                       for i, v in enumerate(row)).rstrip() for row in [head, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)
