"""Conv-layer gradients and the scalar sigmoid network by hand, checked against torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.core.lab.examples import GRID_4X4, KERNEL_3X3
from workbench.core.lab.gradients import conv_gradients
from workbench.core.lab.matrices import LabError
from workbench.core.lab.scalar_net import scalar_net

SMALL = st.floats(-5, 5, allow_nan=False, width=32)


def matrices(max_side: int):
    return st.tuples(st.integers(1, max_side), st.integers(1, max_side)).flatmap(
        lambda shape: arrays(np.float64, shape, elements=SMALL)
    )


def autograd(x, w, dy, stride, padding, dilation):
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    y = F.conv2d(tx[None, None], tw[None, None], stride=stride, padding=padding, dilation=dilation)
    y[0, 0].backward(torch.tensor(dy))
    return y[0, 0].detach().numpy(), tw.grad.numpy(), tx.grad.numpy()


@settings(max_examples=120, deadline=None)
@given(
    x=matrices(9),
    w=matrices(4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
    lr=st.floats(0.001, 1.0),
    seed=st.integers(0, 2**31),
)
def test_gradients_match_autograd(x, w, stride, padding, dilation, lr, seed):
    rows = x.shape[0] + 2 * padding - dilation * (w.shape[0] - 1) - 1
    cols = x.shape[1] + 2 * padding - dilation * (w.shape[1] - 1) - 1
    assume(rows >= 0 and cols >= 0)
    out_shape = (rows // stride + 1, cols // stride + 1)
    dy = np.random.default_rng(seed).uniform(-3, 3, out_shape)
    g = conv_gradients(x, w, dy, stride, padding, dilation, lr)
    y, dw, dx = autograd(x, w, dy, stride, padding, dilation)
    np.testing.assert_allclose(g.forward.output, y, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(g.dw, dw, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(g.dx, dx, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(g.w_new, w - lr * dw, rtol=1e-9, atol=1e-9)
    # The two walks are what the notes say: dW has the kernel's shape, dX's walk covers the input.
    assert g.dw_walk.output.shape == w.shape
    np.testing.assert_array_equal(g.dx_walk.kernel, w[::-1, ::-1])


def test_stride_one_no_padding_is_the_textbook_rule():
    """dW = X ⋆ dY (valid), dX = full cross-correlation of dY and rot180(W), in plain numpy."""
    x, w = np.array(GRID_4X4, float), np.array(KERNEL_3X3, float)
    dy = np.array([[1.0, 2.0], [-1.0, 0.0]])
    g = conv_gradients(x, w, dy, lr=0.01)
    valid = np.array([[(x[a : a + 2, b : b + 2] * dy).sum() for b in range(3)] for a in range(3)])
    np.testing.assert_array_equal(g.dw, valid)
    full = np.pad(dy, 2)
    rot = w[::-1, ::-1]
    expected_dx = np.array([[(full[i : i + 3, j : j + 3] * rot).sum() for j in range(4)]
                            for i in range(4)])  # fmt: skip
    np.testing.assert_array_equal(g.dx, expected_dx)
    np.testing.assert_allclose(g.w_new, w - 0.01 * valid)
    assert g.dw.tolist() == [[5, 7, 1], [-1, 5, 7], [1, -1, 5]]
    assert "rotated by 180°" in " ".join(g.notes())


def test_dropped_rows_get_no_gradient_and_are_said():
    g = conv_gradients(np.ones((6, 6)), np.ones((3, 3)), np.ones((2, 2)), stride=2)
    assert g.dx[-1].tolist() == [0] * 6 and g.dx[:, -1].tolist() == [0] * 6
    assert any("unread: their gradient is 0" in line for line in g.notes())


def test_upstream_of_the_wrong_shape_is_refused():
    with pytest.raises(LabError, match="dY must have the output's shape, 2×2"):
        conv_gradients(np.ones((4, 4)), np.ones((3, 3)), np.ones((3, 3)))


def autograd_net(x1, x2, w1, w2, y):
    w = torch.tensor([w1, w2], dtype=torch.float64, requires_grad=True)
    f = torch.sigmoid(torch.sigmoid(x1 + w[0]) * w[1] + x2)
    loss = 0.5 * (f - y) ** 2
    loss.backward()
    return f.item(), loss.item(), w.grad.numpy()


@settings(max_examples=100, deadline=None)
@given(
    values=st.tuples(*[st.floats(-6, 6, allow_nan=False)] * 5),
    lr=st.floats(0.01, 2.0),
)
def test_scalar_network_matches_autograd(values, lr):
    x1, x2, w1, w2, y = values
    net = scalar_net(x1, x2, w1, w2, y, lr)
    f, loss, grad = autograd_net(x1, x2, w1, w2, y)
    assert net.f == pytest.approx(f, rel=1e-12, abs=1e-15)
    assert net.loss == pytest.approx(loss, rel=1e-12, abs=1e-15)
    assert net.dl_dw1 == pytest.approx(grad[0], rel=1e-9, abs=1e-15)
    assert net.dl_dw2 == pytest.approx(grad[1], rel=1e-9, abs=1e-15)
    assert net.w1_new == pytest.approx(w1 - lr * grad[0], rel=1e-9, abs=1e-12)
    assert net.w2_new == pytest.approx(w2 - lr * grad[1], rel=1e-9, abs=1e-12)


def test_worked_network_example():
    net = scalar_net(1, 0, 0, 0, 5, 0.5)
    s1 = 1 / (1 + math.exp(-1))
    assert net.f == 0.5 and net.loss == pytest.approx(10.125)
    assert net.dl_dz == pytest.approx(-1.125)
    assert net.dl_dw2 == pytest.approx(-1.125 * s1)
    assert net.dl_dw1 == 0  # w₂ = 0 blocks the gradient to w₁
    assert net.w2_new == pytest.approx(0.5625 * s1) and net.w1_new == 0
    f, loss, grad = autograd_net(1.0, 0.0, 0.0, 0.0, 5.0)
    assert grad.tolist() == pytest.approx([net.dl_dw1, net.dl_dw2])
    rules = [line.rule for line in net.backward_lines()]
    assert "σ′(z) = f(1 − f)" in rules and "σ′(a) = h(1 − h)" in rules


def test_the_network_refuses_non_finite_numbers():
    with pytest.raises(LabError, match="finite"):
        scalar_net(float("nan"), 0, 0, 0, 5)
