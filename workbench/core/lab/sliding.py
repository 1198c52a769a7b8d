"""Convolution and pooling one window at a time, with the output-size formula, in numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.lab.matrices import LabError, fmt, term

MODES = ("conv", "max", "avg")


@dataclass(frozen=True)
class SizeReport:
    """One axis of ⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1, with the rows the floor leaves uncovered."""

    n: int
    f: int
    stride: int
    padding: int
    dilation: int = 1

    @property
    def numerator(self) -> int:
        return self.n + 2 * self.padding - self.dilation * (self.f - 1) - 1

    @property
    def extent(self) -> int:
        """How many input cells one dilated window spans."""
        return self.dilation * (self.f - 1) + 1

    @property
    def out(self) -> int:
        return self.numerator // self.stride + 1 if self.numerator >= 0 else 0

    @property
    def dropped(self) -> int:
        """Cells at the end of the padded input that no window reaches (what the floor drops)."""
        return self.numerator % self.stride if self.numerator >= 0 else 0

    def formula(self) -> str:
        n, f, s, p, d = self.n, self.f, self.stride, self.padding, self.dilation
        return (
            f"⌊({n} + 2·{p} − {d}·({f}−1) − 1)/{s}⌋ + 1 = ⌊{self.numerator}/{s}⌋ + 1 = {self.out}"
        )

    def remark(self, what: str = "row") -> str:
        """What the floor did, in words ('' when the division is exact)."""
        if self.numerator < 0:
            return (
                f"the window spans {self.extent} cells but the padded input has only "
                f"{self.n + 2 * self.padding}: no output {what}"
            )
        if not self.dropped:
            return ""
        k = self.dropped
        plural = "s" if k > 1 else ""
        return (
            f"{self.numerator}/{self.stride} is not whole: the floor drops the last {k} "
            f"{what}{plural} of the padded input, which no window reaches"
        )

    def check(self, what: str) -> None:
        if self.numerator < 0:
            raise LabError(
                f"the kernel is larger than the padded input ({what}): the window spans "
                f"{self.extent} cells, the padded input {self.n + 2 * self.padding}; "
                "the output would be empty"
            )


@dataclass(frozen=True)
class Step:
    """One output cell: where its window starts on the grid, the cells it reads, what they give."""

    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    products: np.ndarray | None  # None for pooling
    value: float


@dataclass(frozen=True)
class Sliding:
    """A window slid over a grid: the grid walked (padding included), the kernel, each step."""

    mode: str
    grid: np.ndarray
    filler: np.ndarray  # True where the grid holds a zero the method added (padding, stride gaps)
    kernel: np.ndarray | None
    kernel_shape: tuple[int, int]
    stride: int
    dilation: int
    rows: SizeReport
    cols: SizeReport
    output: np.ndarray
    steps: tuple[Step, ...]

    def cells(self, step: Step) -> list[tuple[int, int]]:
        """Grid coordinates the window of this step reads, row by row."""
        kh, kw = self.kernel_shape
        d = self.dilation
        return [(step.top + a * d, step.left + b * d) for a in range(kh) for b in range(kw)]

    def explain(self, step: Step, name: str = "out") -> str:
        """The sum of products (or the max, or the mean) written out for one cell."""
        cell = f"{name}[{step.row},{step.col}]"
        values = step.window.ravel()
        if self.mode == "conv":
            kernel = self.kernel.ravel()
            terms = " + ".join(f"{term(x)}·{term(k)}" for x, k in zip(values, kernel, strict=True))
            return f"{cell} = {terms} = {fmt(step.value)}"
        listed = ", ".join(fmt(v) for v in values)
        if self.mode == "max":
            return f"{cell} = max({listed}) = {fmt(step.value)}"
        summed = " + ".join(term(v) for v in values)
        return f"{cell} = ({summed}) / {values.size} = {fmt(step.value)}"

    def formulas(self) -> list[str]:
        """The output-size formula for the rows and (when they differ) the columns, with remarks."""
        lines = []
        if self.rows == self.cols:
            lines.append(f"output side = {self.rows.formula()}")
            remark = self.rows.remark("row and column")
            lines += [remark] if remark else []
        else:
            for report, axis in ((self.rows, "row"), (self.cols, "column")):
                lines.append(f"output {axis}s = {report.formula()}")
                remark = report.remark(axis)
                lines += [remark] if remark else []
        return lines


def _check_settings(stride: int, padding: int, dilation: int) -> None:
    if stride < 1:
        raise LabError(f"the stride must be 1 or more, not {stride}")
    if padding < 0:
        raise LabError(f"the padding must be 0 or more, not {padding}")
    if dilation < 1:
        raise LabError(f"the dilation must be 1 or more, not {dilation}")


def pad(matrix: np.ndarray, padding: int) -> tuple[np.ndarray, np.ndarray]:
    """The matrix with a border of zeros, and the mask of those zeros."""
    padded = np.pad(matrix, padding)
    filler = np.ones(padded.shape, bool)
    filler[padding : padding + matrix.shape[0], padding : padding + matrix.shape[1]] = False
    return padded, filler


def walk(
    mode: str,
    grid: np.ndarray,
    filler: np.ndarray,
    kernel_shape: tuple[int, int],
    kernel: np.ndarray | None = None,
    stride: int = 1,
    dilation: int = 1,
    padding: int | tuple[int, int] = 0,
) -> Sliding:
    """Slide a kernel over an already padded grid (the padding is only reported in the formula)."""
    kh, kw = kernel_shape
    pr, pc = (padding, padding) if isinstance(padding, int) else padding
    rows = SizeReport(grid.shape[0] - 2 * pr, kh, stride, pr, dilation)
    cols = SizeReport(grid.shape[1] - 2 * pc, kw, stride, pc, dilation)
    rows.check("rows")
    cols.check("columns")
    output = np.zeros((rows.out, cols.out))
    # Huge inputs may overflow to infinity: the callers check the results and say so.
    with np.errstate(over="ignore", invalid="ignore"):
        steps = _steps(mode, grid, kernel, stride, dilation, rows, cols, output)
    return Sliding(
        mode, grid, filler, kernel, (kh, kw), stride, dilation, rows, cols, output, tuple(steps)
    )


def _steps(mode, grid, kernel, stride, dilation, rows, cols, output) -> list[Step]:
    steps = []
    for i in range(rows.out):
        for j in range(cols.out):
            top, left = i * stride, j * stride
            window = grid[top : top + rows.extent : dilation, left : left + cols.extent : dilation]
            if mode == "conv":
                products = window * kernel
                value = float(products.sum())
            else:
                products = None
                value = float(window.max() if mode == "max" else window.mean())
            output[i, j] = value
            steps.append(Step(i, j, top, left, window.copy(), products, value))
    return steps


def conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1
) -> Sliding:
    """Cross-correlation as in every deep-learning framework: the kernel is not flipped."""
    _check_settings(stride, padding, dilation)
    grid, filler = pad(np.asarray(x, np.float64), padding)
    kernel = np.asarray(kernel, np.float64)
    return walk("conv", grid, filler, kernel.shape, kernel, stride, dilation, padding)


def pool2d(x: np.ndarray, size: int, stride: int | None = None, mode: str = "max") -> Sliding:
    """Max or average pooling over size×size windows (stride: the size by default, as in torch)."""
    if mode not in ("max", "avg"):
        raise LabError(f"the pooling mode is max or avg, not {mode!r}")
    if size < 1:
        raise LabError(f"the pooling size must be 1 or more, not {size}")
    stride = size if stride is None else stride
    _check_settings(stride, 0, 1)
    x = np.asarray(x, np.float64)
    return walk(mode, x, np.zeros(x.shape, bool), (size, size), None, stride)


def output_size(n: int, f: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> SizeReport:
    """The formula alone, for layers too large to step through (AlexNet's CONV1)."""
    _check_settings(stride, padding, dilation)
    if n < 1 or f < 1:
        raise LabError("the input and kernel sizes must be 1 or more")
    report = SizeReport(n, f, stride, padding, dilation)
    report.check("input side")
    return report


def layer_numbers(
    rows: SizeReport, cols: SizeReport, channels: int, filters: int
) -> dict[str, int]:
    """Output shape, parameters (weights and biases) and multiply-adds of a conv layer."""
    if channels < 1 or filters < 1:
        raise LabError("the input channels and the filters must be 1 or more")
    weights = rows.f * cols.f * channels * filters
    return {
        "height": rows.out,
        "width": cols.out,
        "channels": filters,
        "weights": weights,
        "biases": filters,
        "parameters": weights + filters,
        "macs": rows.out * cols.out * weights,
    }


def layer_lines(rows: SizeReport, cols: SizeReport, channels: int, filters: int) -> list[str]:
    """The layer's numbers written out: output shape, parameters, multiply-adds."""
    n = layer_numbers(rows, cols, channels, filters)
    return [
        f"output {filters}×{n['height']}×{n['width']} ({filters} filters, one map each)",
        f"weights {rows.f}·{cols.f}·{channels}·{filters} = {n['weights']:,}, biases {filters}: "
        f"{n['parameters']:,} parameters",
        f"multiply-adds {n['height']}·{n['width']}·{n['weights']:,} = {n['macs']:,}",
    ]
