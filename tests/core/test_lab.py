"""Convolution and pooling against torch over random shapes, strides, paddings, dilations."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.core.lab.examples import EXAMPLES, GRID_4X4, KERNEL_3X3, POOL_4X4
from workbench.core.lab.matrices import LabError, fmt, parse_matrix
from workbench.core.lab.sliding import conv2d, output_size, pool2d

SMALL = st.floats(-10, 10, allow_nan=False, width=32)


def matrices(max_side: int = 8):
    return st.tuples(st.integers(1, max_side), st.integers(1, max_side)).flatmap(
        lambda shape: arrays(np.float64, shape, elements=SMALL)
    )


def torch_conv(x, k, stride, padding, dilation) -> np.ndarray:
    t = F.conv2d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(k)[None, None],
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    return t[0, 0].numpy()


@settings(max_examples=120, deadline=None)
@given(
    x=matrices(9),
    k=matrices(4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)
def test_conv_matches_torch(x, k, stride, padding, dilation):
    rows = x.shape[0] + 2 * padding - dilation * (k.shape[0] - 1)
    cols = x.shape[1] + 2 * padding - dilation * (k.shape[1] - 1)
    if rows < 1 or cols < 1:
        with pytest.raises(LabError, match="larger than the padded input"):
            conv2d(x, k, stride, padding, dilation)
        return
    result = conv2d(x, k, stride, padding, dilation)
    expected = torch_conv(x, k, stride, padding, dilation)
    assert result.output.shape == expected.shape
    assert result.output.shape == (result.rows.out, result.cols.out)
    np.testing.assert_allclose(result.output, expected, rtol=1e-9, atol=1e-9)
    # Every step reads exactly the padded cells its window covers, and its sum is the output cell.
    padded = np.pad(x, padding)
    for step in result.steps:
        cells = result.cells(step)
        window = np.array([padded[r, c] for r, c in cells]).reshape(k.shape)
        np.testing.assert_array_equal(step.window, window)
        np.testing.assert_allclose(step.products, window * k)
        assert step.value == pytest.approx(result.output[step.row, step.col])
    assert len(result.steps) == result.output.size
    # What the floor drops: the last window ends exactly `dropped` cells before the padded end.
    last = result.steps[-1]
    assert padded.shape[0] - 1 - (last.top + dilation * (k.shape[0] - 1)) == result.rows.dropped
    assert padded.shape[1] - 1 - (last.left + dilation * (k.shape[1] - 1)) == result.cols.dropped


@settings(max_examples=80, deadline=None)
@given(
    x=matrices(9),
    size=st.integers(1, 4),
    stride=st.one_of(st.none(), st.integers(1, 3)),
    mode=st.sampled_from(["max", "avg"]),
)
def test_pool_matches_torch(x, size, stride, mode):
    assume(min(x.shape) >= size)
    result = pool2d(x, size, stride, mode)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(torch.from_numpy(x)[None, None], size, stride=stride)[0, 0].numpy()
    np.testing.assert_allclose(result.output, expected, rtol=1e-9, atol=1e-9)
    assert result.stride == (stride or size)


def test_worked_examples_give_the_textbook_answers():
    x, k = np.array(GRID_4X4, float), np.array(KERNEL_3X3, float)
    valid = conv2d(x, k)
    assert valid.output.tolist() == [[15, 16], [6, 15]]
    assert valid.explain(valid.steps[0]) == (
        "out[0,0] = 1·2 + 2·0 + 3·1 + 0·0 + 1·1 + 2·2 + 3·1 + 0·0 + 1·2 = 15"
    )
    same = conv2d(x, k, padding=1)
    assert same.output.shape == (4, 4)
    assert same.filler.sum() == 6 * 6 - 16  # the border of zeros is marked as padding
    assert same.formulas() == ["output side = ⌊(4 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = ⌊3/1⌋ + 1 = 4"]
    pooled = np.array(POOL_4X4, float)
    assert pool2d(pooled, 2, 2, "max").output.tolist() == [[6, 8], [3, 4]]
    avg = pool2d(pooled, 2, 2, "avg")
    assert avg.output.tolist() == [[3.25, 5.25], [2, 2]]
    assert avg.explain(avg.steps[0]) == "out[0,0] = (1 + 1 + 5 + 6) / 4 = 3.25"
    alexnet = output_size(227, 11, stride=4)
    assert alexnet.out == 55 and alexnet.dropped == 0
    assert alexnet.formula() == "⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = ⌊216/4⌋ + 1 = 55"


def test_the_floor_is_named_when_it_drops_a_row():
    strided = conv2d(np.ones((6, 6)), np.ones((3, 3)), stride=2)
    assert strided.output.shape == (2, 2)
    assert strided.rows.dropped == 1
    assert "floor drops the last 1 row and column" in " ".join(strided.formulas())
    wide = conv2d(np.ones((5, 6)), np.ones((3, 3)), stride=2)
    lines = wide.formulas()
    assert lines[0].startswith("output rows = ") and lines[1].startswith("output columns = ")
    assert "drops the last 1 column" in lines[2]
    assert not conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=2).formulas()[1:]


def test_negative_numbers_are_bracketed_in_sums():
    result = conv2d(np.array([[-1.0, 2.0]]), np.array([[3.0, -0.5]]))
    assert result.explain(result.steps[0]) == "out[0,0] = (-1)·3 + 2·(-0.5) = -4"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("1 2\n3 4", [[1, 2], [3, 4]]),
        ("1, 2; 3, 4", [[1, 2], [3, 4]]),
        ("  1.5 -2e1 \n\n 0 3 \n", [[1.5, -20], [0, 3]]),
        ("[1, 2, 3]", [[1, 2, 3]]),
    ],
)
def test_matrices_parse_from_json_or_rows(text, expected):
    assert parse_matrix(text).tolist() == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("[[1, 2], [3]]", "different lengths"),
        ("1 2\n3", "different lengths"),
        ("1 x", "'x', which is not a number"),
        ('[[1, "a"]]', '"a", which is not a number'),
        ("[[1, true]]", "true, which is not a number"),
        ("[[1, 2]", "not valid JSON"),
        ("[[NaN]]", "finite"),
        ("1 inf", "finite"),
        ("[[]]", "empty row"),
        ('{"a": 1}', "list of rows"),
        ('[{"a": 1}]', "list of rows"),
    ],
)
def test_bad_matrices_are_refused_with_a_reason(text, message):
    with pytest.raises(LabError, match=message):
        parse_matrix(text, "input")


def test_bad_settings_are_refused():
    x = np.ones((4, 4))
    for kwargs, message in (
        ({"stride": 0}, "stride"),
        ({"padding": -1}, "padding"),
        ({"dilation": 0}, "dilation"),
    ):
        with pytest.raises(LabError, match=message):
            conv2d(x, np.ones((2, 2)), **kwargs)
    with pytest.raises(LabError, match="larger than the padded input"):
        conv2d(x, np.ones((5, 2)))
    with pytest.raises(LabError, match="larger than the padded input"):
        pool2d(x, 5)
    with pytest.raises(LabError, match="max or avg"):
        pool2d(x, 2, mode="sum")


def test_numbers_read_as_written_by_hand():
    assert [fmt(v) for v in (3.0, -0.0, 0.5, 1 / 3, -2.25, 1e-7, 123456789.0)] == [
        "3", "0", "0.5", "0.3333", "-2.25", "1e-07", "123456789",
    ]  # fmt: skip


def test_every_example_names_a_known_computation():
    assert {e.kind for e in EXAMPLES} == {"conv", "pool", "size", "grad", "net"}
    assert len({e.title for e in EXAMPLES}) == len(EXAMPLES)


def test_the_lab_core_loads_neither_torch_nor_qt():
    """The Lab must open instantly: plain numpy, no torch import, and no Qt in the core."""
    code = (
        "import sys, workbench.cli.lab, workbench.core.lab.gradients, "
        "workbench.core.lab.scalar_net, workbench.core.lab.examples\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'torch', 'PySide6', 'pyqtgraph'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
