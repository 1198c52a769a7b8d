"""The torch forward pass the epoch scrubber shows: probabilities, layer outputs, first filters."""

from __future__ import annotations

import numpy as np
import torch

from workbench.core.model.network import build_network, look_inside
from workbench.core.model.spec import PRESETS, layer_shapes


def test_look_inside_gives_every_hidden_layer_and_the_first_filters():
    spec = PRESETS["lenet5"]
    net = build_network(spec, seed=0).eval()
    images = np.random.default_rng(1).random((2, 28, 28), dtype=np.float32)
    probabilities, activations, weights = look_inside(net, images)
    expected = {s.layer.name: (2, *s.output_shape) for s in layer_shapes(spec)[:-1]}
    assert {name: a.shape for name, a in activations.items()} == expected
    assert probabilities.shape == (2, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    with torch.no_grad():
        logits = net(torch.from_numpy(images).unsqueeze(1))
    assert np.allclose(probabilities, torch.softmax(logits, 1).numpy(), atol=1e-6)
    assert np.array_equal(weights, net.blocks["conv1"][0].weight.detach().numpy())


def test_look_inside_a_network_without_convolutions_has_no_filters():
    from workbench.core.model.spec import LayerSpec, ModelSpec

    spec = ModelSpec("mlp", (LayerSpec("fc", "fc1", units=16), LayerSpec("fc", "fc2", units=10)))
    probabilities, activations, weights = look_inside(
        build_network(spec, seed=0), np.zeros((1, 28, 28))
    )
    assert weights is None and list(activations) == ["fc1"] and probabilities.shape == (1, 10)
