"""A conv layer's backward pass by hand: dW = X ⋆ dY, dX = dY ⋆ rot180(W) in full, then W − λ·dW."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.lab.matrices import LabError, fmt
from workbench.core.lab.sliding import Sliding, conv2d, walk


@dataclass(frozen=True)
class ConvGradients:
    """Both gradients, the SGD step, and the two cross-correlations that give them, step by step."""

    forward: Sliding  # Y = X ⋆ W
    dy: np.ndarray
    lr: float
    dw: np.ndarray
    dx: np.ndarray
    w_new: np.ndarray
    dw_walk: Sliding  # padded X ⋆ dY: stride and dilation swap roles
    dx_walk: Sliding  # (dY with stride gaps, padded in full) ⋆ rot180(W)
    padding: int

    def notes(self) -> list[str]:
        """How each result was obtained, in the user's numbers."""
        s, d, p = self.forward.stride, self.forward.dilation, self.padding
        kh, kw = self.forward.kernel_shape
        lines = [
            f"dW[a,b] = Σ over i,j of dY[i,j] · Xpad[{s}·i + {d}·a, {s}·j + {d}·b]: "
            "the valid cross-correlation X ⋆ dY"
            + (f" (dY's entries {s} apart, the windows {d} apart)" if (s, d) != (1, 1) else ""),
            "dX = the full cross-correlation of dY with the kernel rotated by 180° "
            + f"(dY padded by {_border(self.dx_walk.rows.padding, self.dx_walk.cols.padding)}"
            + (f", {s - 1} zero(s) between its entries for stride {s}" if s > 1 else "")
            + (f", the kernel's taps {d} apart" if d > 1 else "")
            + ")",
        ]
        if p:
            lines.append(f"that gives the gradient of the padded input; its {p}-cell border is cut")
        for report, axis in ((self.forward.rows, "row"), (self.forward.cols, "column")):
            if report.dropped:
                lines.append(
                    f"the floor left the last {report.dropped} {axis}(s) of the padded input "
                    "unread: their gradient is 0"
                )
        lines.append(f"SGD step: W − λ·dW with λ = {fmt(self.lr)} (the kernel is {kh}×{kw})")
        return lines


def _border(rows: int, cols: int) -> str:
    if rows == cols:
        return f"{rows} zero(s) on each side"
    return f"{rows} row(s) of zeros above and below, {cols} column(s) left and right"


def dilate(matrix: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """The matrix with gap−1 zeros between neighbouring entries, and the mask of those zeros."""
    rows, cols = matrix.shape
    out = np.zeros(((rows - 1) * gap + 1, (cols - 1) * gap + 1))
    out[::gap, ::gap] = matrix
    filler = np.ones(out.shape, bool)
    filler[::gap, ::gap] = False
    return out, filler


def conv_gradients(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    lr: float = 0.1,
) -> ConvGradients:
    """dW, dX and the SGD step for Y = X ⋆ W (cross-correlation) given the upstream gradient dY."""
    x, w, dy = (np.asarray(m, np.float64) for m in (x, w, dy))
    forward = conv2d(x, w, stride, padding, dilation)
    if dy.shape != forward.output.shape:
        h, wd = forward.output.shape
        raise LabError(
            f"dY must have the output's shape, {h}×{wd} for these numbers; "
            f"it is {dy.shape[0]}×{dy.shape[1]}"
        )
    if not np.isfinite(lr):
        raise LabError("the learning rate must be a finite number")
    s, d = stride, dilation
    # Rows and columns of the padded input that some window reads; the floor may leave some out.
    covered = (
        forward.grid.shape[0] - forward.rows.dropped,
        forward.grid.shape[1] - forward.cols.dropped,
    )
    dw_grid = forward.grid[: covered[0], : covered[1]]
    dw_walk = walk("conv", dw_grid, forward.filler[: covered[0], : covered[1]], dy.shape, dy, d, s)
    spread, gaps = dilate(dy, s)
    reach = (forward.rows.extent - 1, forward.cols.extent - 1)
    border = [(reach[0],) * 2, (reach[1],) * 2]
    dx_grid = np.pad(spread, border)
    dx_filler = np.pad(gaps, border, constant_values=True)
    rotated = w[::-1, ::-1]
    dx_walk = walk("conv", dx_grid, dx_filler, w.shape, rotated, 1, d, reach)
    dx_padded = np.zeros(forward.grid.shape)
    dx_padded[: covered[0], : covered[1]] = dx_walk.output
    dx = dx_padded[padding : padding + x.shape[0], padding : padding + x.shape[1]]
    dw = dw_walk.output
    with np.errstate(over="ignore", invalid="ignore"):  # callers check for infinities
        w_new = w - lr * dw
    return ConvGradients(forward, dy, lr, dw, dx, w_new, dw_walk, dx_walk, padding)
