"""The anatomy as data, rows and text; the spec's layer shapes and its editable JSON."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.model.anatomy import (
    EXAMPLES,
    anatomy,
    anatomy_table,
    describe_layer,
    shape_text,
    table_rows,
)
from workbench.core.model.spec import PRESETS, ModelSpec, SpecError, layer_shapes, spec_text


def test_table_rows_show_input_flatten_layers_and_totals():
    rows = table_rows(anatomy(PRESETS["lenet5"]))
    names = [row[0] for row in rows]
    assert names == [
        "input",
        "conv1",
        "pool1",
        "conv2",
        "pool2",
        "flatten",
        "fc1",
        "fc2",
        "fc3",
        "total",
    ]
    assert rows[0][6] == "1×28×28" and rows[1][6] == "6×28×28" and rows[5][6] == "400"
    assert (
        rows[1][1] == "conv + relu"
        and rows[2][1] == "max pool"
        and rows[-2][1] == "fully connected"
    )
    assert rows[-1][7] == "61,706"
    assert rows[3][9] == "14×14"  # conv1 sees 5, pool1 6 with a jump of 2, conv2 6 + 2·(5 − 1)


def test_anatomy_table_text_lists_every_layer():
    text = anatomy_table(anatomy(PRESETS["lenet5"]))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["layer", "type", "kernel"]
    conv2 = next(line for line in lines if line.startswith("conv2"))
    assert conv2.split()[1:3] == ["conv+relu", "5×5"] and "16×10×10" in conv2
    # Like the window's table: the flattening before the first fully connected layer.
    flatten = next(line for line in lines if line.startswith("flatten"))
    assert flatten.split()[:3] == ["flatten", "flatten", "400"]
    assert lines.index(flatten) == lines.index(conv2) + 2
    assert "61,706" in lines[-1]


def test_shape_text_writes_channels_height_width():
    assert shape_text((6, 28, 27)) == "6×28×27" and shape_text((84,)) == "84"


def test_describe_layer_names_kind_kernel_and_activation():
    spec = PRESETS["lenet5"].with_options(activation="tanh")
    assert describe_layer(spec, "conv1", (6, 28, 28)) == "6 maps of 28×28 · 5×5 convolution, tanh"
    assert describe_layer(spec, "pool1", (6, 14, 14)) == "6 maps of 14×14 · 2×2 max pooling"
    assert describe_layer(spec, "fc1", (120,)) == "120 units · fully connected, tanh"
    assert describe_layer(None, "fc1", (120,)) == "120 units"
    last = ModelSpec.from_dict(EXAMPLES["AlexNet's CONV1 on 3×227×227"])
    assert describe_layer(last, "conv1", (96, 55, 55)).endswith("convolution, relu")


def test_every_example_builds_and_round_trips_through_its_text():
    for title, data in EXAMPLES.items():
        spec = ModelSpec.from_dict(data)
        assert ModelSpec.from_json(spec_text(spec)) == spec, title
        assert anatomy(spec).parameters > 0


def test_spec_text_leaves_defaults_out():
    text = spec_text(PRESETS["lenet5"])
    assert "normalize" not in text and '"dilation"' not in text
    assert text.count("\n    {") == len(PRESETS["lenet5"].layers)


def test_layer_shapes_follow_the_network():
    shapes = layer_shapes(PRESETS["lenet5"])
    assert shapes[0].input_shape == (1, 28, 28) and shapes[0].output_shape == (6, 28, 28)
    assert shapes[4].input_shape == (16, 5, 5) and shapes[4].stride is None
    assert [s.output_shape for s in shapes][-1] == (10,)
    assert int(np.prod(shapes[4].input_shape)) == 400


def test_layer_shapes_name_the_layer_that_does_not_fit():
    data = dict(EXAMPLES["2×2 kernel, dilation 4, stride 2, pad 1 on 16×16"])
    data["input_shape"] = [1, 2, 2]  # a dilated 2×2 kernel spans 5 pixels
    with pytest.raises(SpecError, match=r"layer 1 \(conv1\)"):
        ModelSpec.from_dict(data)
