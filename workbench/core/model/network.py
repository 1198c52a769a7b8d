"""Build a torch network from a ModelSpec: the one place where a spec becomes layers."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workbench.core.model.limits import check_size
from workbench.core.model.spec import INITS, ModelSpec, validate

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "none": nn.Identity}


class ModelFileError(ValueError):
    """A file that is not a workbench model (or is damaged); the message names the file."""


class SpecNet(nn.Module):
    """A CNN built from a spec; `forward_layers` also returns each named layer's output."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        validate(spec)
        check_size(spec)  # a spec asking for gigabytes is a SpecError, not an allocator failure
        self.spec = spec
        mean, std = spec.normalize
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32), persistent=False)
        self.blocks = nn.ModuleDict()
        self.flatten_before: str | None = None
        channels, height, width = spec.input_shape
        features = None
        for layer in spec.layers:
            act = _ACTIVATIONS[spec.layer_activation(layer)]()
            if layer.kind == "dropout":
                core: nn.Module = nn.Dropout(layer.rate)  # identity in eval mode, so in ONNX
            elif layer.kind == "conv":
                core = nn.Conv2d(
                    channels,
                    layer.channels,
                    layer.kernel,
                    stride=layer.effective_stride(),
                    padding=layer.padding,
                    dilation=layer.dilation,
                )
                channels = layer.channels
            elif layer.kind == "pool":
                pool = nn.MaxPool2d if spec.layer_pooling(layer) == "max" else nn.AvgPool2d
                kwargs = {"dilation": layer.dilation} if pool is nn.MaxPool2d else {}
                core = pool(
                    layer.kernel, stride=layer.effective_stride(), padding=layer.padding, **kwargs
                )
            else:
                if features is None:
                    self.flatten_before = layer.name
                    features = _flat_features(self.blocks, spec.input_shape)
                core = nn.Linear(features, layer.units)
                features = layer.units
            self.blocks[layer.name] = nn.Sequential(core, act)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward_layers(image)[0]

    def forward_layers(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the output of every layer but the last (after activation and pooling)."""
        x = (image - self.mean) / self.std
        outputs = []
        for name, block in self.blocks.items():
            if name == self.flatten_before:
                x = torch.flatten(x, 1)
            x = block(x)
            outputs.append(x)
        return outputs[-1], outputs[:-1]

    def hidden_layer_names(self) -> list[str]:
        return [layer.name for layer in self.spec.layers[:-1]]


def _flat_features(blocks: nn.ModuleDict, input_shape: tuple[int, int, int]) -> int:
    with torch.no_grad():
        x = torch.zeros(1, *input_shape)
        for block in blocks.values():
            x = block(x)
    return int(x.numel())


def build_network(
    spec: ModelSpec, seed: int | None = None, init: str = "default", constant: float = 0.1
) -> SpecNet:
    """The network of `spec`, its weights drawn from `seed`, then set by `init` (see initialise)."""
    if seed is not None:
        torch.manual_seed(seed)
    net = SpecNet(spec)
    initialise(net, init, constant)
    return net


@torch.no_grad()
def initialise(net: SpecNet, init: str = "default", constant: float = 0.1) -> None:
    """`default` keeps torch's random (Kaiming-uniform) weights; `zeros` sets every weight and
    bias to 0; `constant` every weight to `constant` and every bias to 0. With the last two every
    unit of a layer computes the same thing and gets the same gradient: symmetry is never broken.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    if init == "default":
        return
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.weight.fill_(0.0 if init == "zeros" else constant)
            if module.bias is not None:
                module.bias.zero_()


@torch.inference_mode()
def look_inside(
    net: SpecNet, images: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """The torch twin of `Predictor.predict` for a checkpoint: softmax probabilities
    [N, classes] and each hidden layer's output of float images [N, H, W] (ink 1 on paper 0),
    and the first conv layer's weights [out, in, k, k] (None without one), all as numpy."""
    x = torch.from_numpy(np.asarray(images, np.float32)).reshape(len(images), *net.spec.input_shape)
    logits, hidden = net.forward_layers(x)
    names = net.hidden_layer_names()
    activations = {name: out.numpy() for name, out in zip(names, hidden, strict=True)}
    first = next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)
    weights = None if first is None else first.weight.detach().numpy().copy()
    return torch.softmax(logits, dim=1).numpy(), activations, weights
