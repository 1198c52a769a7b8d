"""Size limits a model spec must keep before any tensor is allocated: parameters, activations."""

from __future__ import annotations

import math

from workbench.core.model.spec import ModelSpec, SpecError, layer_shapes

MAX_PARAMETERS = 20_000_000
"""Weights and biases (80 MB of float32); LeNet-5 has 61,706, a wide course CNN about 1 M."""
MAX_ACTIVATIONS = 4_000_000
"""Values one image makes over all layers, input included (LeNet-5: about 9,000): a training
batch of 128 holds these, their gradients and the optimizer's state."""


def check_size(spec: ModelSpec) -> None:
    """Raise SpecError naming the layer that takes a spec past a limit (no tensor is built).

    Convolutions, pooling and fully connected layers (a pure MLP too) are counted from the
    spec's layer shapes: shapes are multiplied out as Python integers, so a spec asking for
    2,000,000,000 units is refused before torch is asked for a byte.
    """
    parameters = 0
    activations = math.prod(spec.input_shape)
    if activations > MAX_ACTIVATIONS:
        raise SpecError(
            f"input shape {spec.input_shape} has {activations:,} values, more than the "
            f"limit of {MAX_ACTIVATIONS:,}"
        )
    for index, shape in enumerate(layer_shapes(spec)):
        layer = shape.layer
        where = f"layer {index + 1} ({layer.name})"
        if layer.kind == "conv":
            parameters += layer.kernel**2 * shape.input_shape[0] * layer.channels + layer.channels
        elif layer.kind == "fc":
            parameters += math.prod(shape.input_shape) * layer.units + layer.units
        activations += math.prod(shape.output_shape)
        if parameters > MAX_PARAMETERS:
            raise SpecError(
                f"{where}: the model would have {parameters:,} parameters, more than the "
                f"limit of {MAX_PARAMETERS:,} (LeNet-5 has 61,706)"
            )
        if activations > MAX_ACTIVATIONS:
            raise SpecError(
                f"{where}: the model would compute {activations:,} values per image, more "
                f"than the limit of {MAX_ACTIVATIONS:,}"
            )
