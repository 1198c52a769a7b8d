"""Anatomy numbers checked against hand computations from the standard formulas."""

from __future__ import annotations

import pytest

from workbench.core.model.anatomy import anatomy
from workbench.core.model.spec import PRESETS, LayerSpec, ModelSpec, SpecError, preset


def out_size(size: int, kernel: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def spec_of(*layers: LayerSpec, shape=(1, 28, 28), classes=10) -> ModelSpec:
    return ModelSpec("test", tuple(layers), input_shape=shape, classes=classes)


def test_lenet5_has_61706_parameters_and_classic_shapes():
    table = anatomy(PRESETS["lenet5"])
    assert table.parameters == 61_706
    shapes = {row.name: row.output_shape for row in table.layers}
    assert shapes == {
        "conv1": (6, 28, 28),
        "pool1": (6, 14, 14),
        "conv2": (16, 10, 10),
        "pool2": (16, 5, 5),
        "fc1": (120,),
        "fc2": (84,),
        "fc3": (10,),
    }
    # Receptive fields: 5, then +1 for pool 2, then +(5-1)*2, then +1*4.
    fields = [row.receptive_field for row in table.layers[:4]]
    assert fields == [5, 6, 14, 16]


def test_alexnet_conv1():
    row = anatomy(
        spec_of(
            LayerSpec("conv", "conv1", channels=96, kernel=11, stride=4),
            LayerSpec("fc", "fc", units=10),
            shape=(3, 227, 227),
        )
    ).layers[0]
    assert row.output_shape == (96, 55, 55)
    assert row.parameters == 11 * 11 * 3 * 96 + 96 == 34_944


def test_small_homework_network():
    table = anatomy(
        spec_of(
            LayerSpec("conv", "c1", channels=10, kernel=3, padding=1),
            LayerSpec("pool", "p1", kernel=2),
            LayerSpec("conv", "c2", channels=10, kernel=3, padding=1),
            LayerSpec("pool", "p2", kernel=2),
            LayerSpec("fc", "fc", units=3),
            classes=3,
        )
    )
    assert [r.output_shape for r in table.layers] == [
        (10, 28, 28),
        (10, 14, 14),
        (10, 14, 14),
        (10, 7, 7),
        (3,),
    ]
    assert [r.parameters for r in table.layers if r.parameters] == [100, 910, 1_473]
    assert 10 * 7 * 7 == 490


def test_dilated_kernel_on_16x16_gives_7x7():
    table = anatomy(
        spec_of(
            LayerSpec("conv", "c", channels=4, kernel=2, stride=2, padding=1, dilation=4),
            LayerSpec("fc", "fc", units=10),
            shape=(1, 16, 16),
        )
    )
    assert table.layers[0].output_shape[1:] == (7, 7) == (out_size(16, 2, 2, 1, 4),) * 2


@pytest.mark.parametrize(
    "size,kernel,stride,pad,dilation",
    [(28, 3, 1, 0, 1), (28, 5, 2, 2, 1), (32, 3, 3, 1, 2), (20, 4, 2, 0, 3), (9, 7, 1, 0, 1)],
)
def test_conv_shapes_macs_and_fields_follow_the_formulas(size, kernel, stride, pad, dilation):
    table = anatomy(
        spec_of(
            LayerSpec(
                "conv",
                "c",
                channels=8,
                kernel=kernel,
                stride=stride,
                padding=pad,
                dilation=dilation,
            ),
            LayerSpec("pool", "p", kernel=2, stride=1),
            LayerSpec("fc", "fc", units=10),
            shape=(3, size, size),
        )
    )
    conv, pool, fc = table.layers
    side = out_size(size, kernel, stride, pad, dilation)
    assert conv.output_shape == (8, side, side)
    assert conv.parameters == kernel * kernel * 3 * 8 + 8
    assert conv.macs == kernel * kernel * 3 * 8 * side * side
    assert conv.receptive_field == dilation * (kernel - 1) + 1
    assert pool.output_shape == (8, side - 1, side - 1)
    assert pool.receptive_field == conv.receptive_field + stride  # pool 2 at jump `stride`
    assert fc.parameters == 8 * (side - 1) ** 2 * 10 + 10


def test_presets_rebuild_from_json_and_take_options():
    for spec in PRESETS.values():
        assert ModelSpec.from_json(spec.to_json()) == spec
    tanh_avg = preset("lenet5", activation="tanh", pooling="avg")
    assert tanh_avg.activation == "tanh" and tanh_avg.pooling == "avg"
    assert anatomy(PRESETS["conv1"]).layers[2].parameters == 13 * 13 * 32 * 100 + 100


def test_impossible_spec_names_the_layer():
    bad = {
        "name": "x",
        "input_shape": [1, 28, 28],
        "layers": [
            {"kind": "conv", "name": "conv1", "channels": 6, "kernel": 5},
            {"kind": "pool", "name": "pool1", "kernel": 2},
            {"kind": "conv", "name": "conv2", "channels": 6, "kernel": 13},
            {"kind": "fc", "name": "fc", "units": 10},
        ],
    }
    with pytest.raises(SpecError, match="conv2"):
        ModelSpec.from_dict(bad)
    with pytest.raises(SpecError, match="last layer"):
        ModelSpec.from_dict(
            {**bad, "layers": bad["layers"][:2] + [{"kind": "fc", "name": "fc", "units": 7}]}
        )
    with pytest.raises(SpecError):
        ModelSpec.from_json("{not json")
