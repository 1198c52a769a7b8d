"""Network specs: a JSON-able description of a CNN, its presets and its layer shapes (no torch)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

ACTIVATIONS = ("relu", "tanh", "sigmoid", "none")
POOLINGS = ("max", "avg")
LAYER_KINDS = ("conv", "pool", "fc", "dropout")
INITS = ("default", "zeros", "constant")  # how weights start: see network.initialise


class SpecError(ValueError):
    """A spec that cannot be built; the message names the offending layer."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer. `conv` and `pool` use kernel/stride/padding/dilation; `fc` uses `units`;
    `dropout` uses `rate` (the share of values zeroed while training; none at inference).

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
    rate: float = 0.0

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
        if layer.kind in ("pool", "dropout"):
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
    "dropout": ("rate",),
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


def with_dropout(spec: ModelSpec, rate: float = 0.5) -> ModelSpec:
    """The spec with a dropout layer after each hidden fully connected layer (the classic place)."""
    layers: list[LayerSpec] = []
    for layer in spec.layers:
        layers.append(layer)
        if layer.kind == "fc" and layer is not spec.layers[-1]:
            layers.append(LayerSpec("dropout", f"drop-{layer.name}", rate=rate))
    changed = dataclasses.replace(spec, name=f"{spec.name}-dropout", layers=tuple(layers))
    validate(changed)
    return changed


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
    # The fully connected baseline of the CNN-vs-MLP experiment: 784-300-100-10 (LeCun 1998).
    "mlp": ModelSpec("mlp", (_fc("fc1", 300), _fc("fc2", 100), _fc("fc3", 10))),
}
DEFAULT_PRESET = "lenet5"


def preset(name: str, activation: str | None = None, pooling: str | None = None) -> ModelSpec:
    try:
        spec = PRESETS[name]
    except KeyError:
        raise SpecError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
    return spec.with_options(activation, pooling)


@dataclass(frozen=True)
class LayerShape:
    """One layer as built: its effective activation and stride, the shape it takes and gives."""

    layer: LayerSpec
    activation: str
    stride: int | None  # None for a fully connected layer
    input_shape: tuple[int, ...]  # (C, H, W) of maps, or (units,) after a fully connected layer
    output_shape: tuple[int, ...]


def _spatial(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def layer_shapes(spec: ModelSpec) -> list[LayerShape]:
    """Every layer's input and output shape, in order.

    Raises SpecError naming the first layer whose output would be empty or whose settings are bad.
    """
    shape: tuple[int, ...] = tuple(spec.input_shape)
    shapes: list[LayerShape] = []
    for index, layer in enumerate(spec.layers):
        where = f"layer {index + 1} ({layer.name})"
        if layer.kind not in LAYER_KINDS:
            raise SpecError(f"{where}: unknown kind {layer.kind!r}; use conv, pool, fc or dropout")
        activation = spec.layer_activation(layer)
        if activation not in ACTIVATIONS:
            raise SpecError(f"{where}: unknown activation {activation!r}")
        stride: int | None = None
        if layer.kind == "dropout":
            if not 0.0 <= layer.rate < 1.0:
                raise SpecError(f"{where}: a dropout rate must be at least 0 and below 1")
            shapes.append(LayerShape(layer, activation, None, shape, shape))
            continue
        if layer.kind in ("conv", "pool"):
            if len(shape) != 3:
                raise SpecError(
                    f"{where}: a {layer.kind} layer cannot follow a fully connected one"
                )
            channels, height, width = shape
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
            if layer.kind == "conv":
                if layer.channels < 1:
                    raise SpecError(f"{where}: a conv layer needs channels ≥ 1")
                channels = layer.channels
            output: tuple[int, ...] = (channels, new_h, new_w)
        else:
            if layer.units < 1:
                raise SpecError(f"{where}: a fully connected layer needs units ≥ 1")
            output = (layer.units,)
        shapes.append(LayerShape(layer, activation, stride, shape, output))
        shape = output
    return shapes


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
    layer_shapes(spec)
    last = spec.layers[-1]
    if last.kind != "fc" or last.units != spec.classes:
        raise SpecError(
            f"layer {len(spec.layers)} ({last.name}): the last layer must be fully connected "
            f"with {spec.classes} units"
        )


def spec_text(spec: ModelSpec) -> str:
    """The spec as JSON for editing: one line per layer, the defaults left out."""
    data = spec.to_dict()
    if tuple(data["normalize"]) == ModelSpec.__dataclass_fields__["normalize"].default:
        del data["normalize"]
    layers = [_brief(layer) for layer in data.pop("layers")]
    head = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items()]
    body = [f"    {json.dumps(layer)}" for layer in layers]
    return "{\n" + ",\n".join(head) + ',\n  "layers": [\n' + ",\n".join(body) + "\n  ]\n}\n"


def _brief(layer: dict[str, Any]) -> dict[str, Any]:
    """A layer without the settings that do not apply to it or that are at their default."""
    unused = (
        {"kernel": 1, "padding": 0, "dilation": 1} if layer["kind"] == "fc" else {"dilation": 1}
    )
    return {k: v for k, v in layer.items() if k not in unused or unused[k] != v}
