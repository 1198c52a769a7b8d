"""`workbench lab`: the hand computations: convolution, pooling, gradients, a small network."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import numpy as np

from workbench.cli.common import EXIT_OK, EXIT_UNUSABLE, emit, say
from workbench.core.lab.matrices import LabError, as_lists, fmt, matrix_text, parse_matrix
from workbench.core.lab.scalar_net import FUNCTION, HALF_NOTE, LOSS, scalar_net

if TYPE_CHECKING:
    from workbench.core.lab.sliding import Sliding

MATRIX_HELP = (
    "a matrix: JSON rows like '[[1,2],[3,4]]' or rows of numbers like '1 2; 3 4' "
    "(one that starts with a minus sign: --input='-1 2; 3 4')"
)
CROSS_NOTE = (
    "cross-correlation: the kernel is not flipped, as in every deep-learning framework "
    "(torch, TensorFlow, JAX)"
)
TEXT_STEPS = 60  # cells written out in text mode; --json lists every one


def add_parser(sub) -> None:
    p = sub.add_parser("lab", help="hand computations: convolution, pooling, gradients")
    lab = p.add_subparsers(dest="lab_command", metavar="COMPUTATION", required=True)

    conv = lab.add_parser("conv", help="a 2-D convolution (cross-correlation), cell by cell")
    conv.add_argument("--input", required=True, help=MATRIX_HELP)
    conv.add_argument("--kernel", required=True, help=MATRIX_HELP)
    _add_geometry(conv)
    conv.add_argument("--json", action="store_true", help="one JSON object")

    pool = lab.add_parser("pool", help="max or average pooling, cell by cell")
    pool.add_argument("--input", required=True, help=MATRIX_HELP)
    pool.add_argument("--size", type=int, required=True, help="window side K")
    pool.add_argument("--stride", type=int, default=None, help="default: the size")
    pool.add_argument("--mode", choices=("max", "avg"), default="max")
    pool.add_argument("--json", action="store_true", help="one JSON object")

    grad = lab.add_parser("grad", help="a conv layer's dW, dX and one SGD step, from dY")
    grad.add_argument("--input", required=True, help="X, " + MATRIX_HELP)
    grad.add_argument("--kernel", required=True, help="W, " + MATRIX_HELP)
    grad.add_argument("--upstream", required=True, help="dY = ∂L/∂Y, the output's shape")
    _add_geometry(grad)
    grad.add_argument("--lr", type=float, default=0.1, help="learning rate λ (default 0.1)")
    grad.add_argument("--json", action="store_true", help="one JSON object")

    size = lab.add_parser("size", help="the output-size formula alone (e.g. AlexNet's CONV1)")
    size.add_argument("n", type=int, help="input side N")
    size.add_argument("f", type=int, help="kernel side F")
    _add_geometry(size)
    size.add_argument("--channels", type=int, default=1, help="input channels (default 1)")
    size.add_argument("--filters", type=int, default=1, help="filters = output maps (default 1)")
    size.add_argument("--json", action="store_true", help="one JSON object")

    net = lab.add_parser("net", help=f"{FUNCTION}, {LOSS}: chain rule and one SGD step")
    net.add_argument("--x", type=float, nargs=2, default=[1.0, 0.0], metavar=("X1", "X2"))
    net.add_argument("--w", type=float, nargs=2, default=[0.0, 0.0], metavar=("W1", "W2"))
    net.add_argument("--y", type=float, default=5.0, help="target (default 5)")
    net.add_argument("--lr", type=float, default=0.5, help="learning rate λ (default 0.5)")
    net.add_argument("--json", action="store_true", help="one JSON object")

    lab.add_parser("examples", help="the worked examples as command lines")


def _add_geometry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stride", type=int, default=1, help="S (default 1)")
    p.add_argument("--padding", type=int, default=0, help="P zeros on each side (default 0)")
    p.add_argument("--dilation", type=int, default=1, help="D (default 1: no gaps)")


def command(args: argparse.Namespace) -> int:
    handler = {
        "conv": _conv,
        "pool": _pool,
        "grad": _grad,
        "size": _size,
        "net": _net,
        "examples": _examples,
    }[args.lab_command]
    try:
        return handler(args)
    except LabError as exc:
        say(f"error: {exc}")
        return EXIT_UNUSABLE


def _finite(*arrays) -> None:
    for array in arrays:
        if not np.isfinite(np.asarray(array, np.float64)).all():
            raise LabError("the result overflows (a value beyond ±1.8e308): use smaller numbers")


def _steps_json(result: Sliding) -> list[dict]:
    steps = []
    for step in result.steps:
        item = {"row": step.row, "col": step.col, "window": as_lists(step.window)}
        if step.products is not None:
            item["products"] = as_lists(step.products)
            item["sum"] = step.value + 0.0
        else:
            item["value"] = step.value + 0.0
        steps.append(item)
    return steps


def _print_walk(result: Sliding, name: str = "out") -> None:
    for line in result.formulas():
        print(line)
    print(f"\npadded input ({result.grid.shape[0]}×{result.grid.shape[1]}):")
    print(matrix_text(result.grid))
    print(f"\n{name} ({result.output.shape[0]}×{result.output.shape[1]}):")
    print(matrix_text(result.output))
    print()
    for step in result.steps[:TEXT_STEPS]:
        print(result.explain(step, name))
    if len(result.steps) > TEXT_STEPS:
        print(f"… {len(result.steps) - TEXT_STEPS} more cells (--json lists every one)")


def _conv(args: argparse.Namespace) -> int:
    from workbench.core.lab.sliding import conv2d

    x = parse_matrix(args.input, "--input")
    kernel = parse_matrix(args.kernel, "--kernel")
    result = conv2d(x, kernel, args.stride, args.padding, args.dilation)
    _finite(result.output)
    if args.json:
        emit(
            {
                "output": as_lists(result.output),
                "shape": list(result.output.shape),
                "formula": result.formulas(),
                "steps": _steps_json(result),
            }
        )
        return EXIT_OK
    print(CROSS_NOTE)
    _print_walk(result)
    return EXIT_OK


def _pool(args: argparse.Namespace) -> int:
    from workbench.core.lab.sliding import pool2d

    x = parse_matrix(args.input, "--input")
    result = pool2d(x, args.size, args.stride, args.mode)
    if args.json:
        emit(
            {
                "output": as_lists(result.output),
                "shape": list(result.output.shape),
                "formula": result.formulas(),
                "steps": _steps_json(result),
            }
        )
        return EXIT_OK
    print(f"{args.mode} pooling, {args.size}×{args.size} windows, stride {result.stride}")
    _print_walk(result)
    return EXIT_OK


def _grad(args: argparse.Namespace) -> int:
    from workbench.core.lab.gradients import conv_gradients

    x = parse_matrix(args.input, "--input")
    w = parse_matrix(args.kernel, "--kernel")
    dy = parse_matrix(args.upstream, "--upstream")
    g = conv_gradients(x, w, dy, args.stride, args.padding, args.dilation, args.lr)
    _finite(g.forward.output, g.dw, g.dx, g.w_new)
    if args.json:
        emit(
            {
                "output": as_lists(g.forward.output),
                "shape": list(g.forward.output.shape),
                "dW": as_lists(g.dw),
                "dX": as_lists(g.dx),
                "W_new": as_lists(g.w_new),
                "lr": args.lr,
                "notes": g.notes(),
            }
        )
        return EXIT_OK
    print(CROSS_NOTE)
    for line in g.notes():
        print(line)
    for title, matrix in (
        ("Y = X ⋆ W", g.forward.output),
        ("dW", g.dw),
        ("dX", g.dx),
        (f"W − {fmt(args.lr)}·dW", g.w_new),
    ):
        print(f"\n{title}:\n{matrix_text(matrix)}")
    print()
    for step in g.dw_walk.steps[:TEXT_STEPS]:
        print(g.dw_walk.explain(step, "dW"))
    for step in g.dx_walk.steps[:TEXT_STEPS]:
        print(g.dx_walk.explain(step, "dXpad"))
    return EXIT_OK


def _size(args: argparse.Namespace) -> int:
    from workbench.core.lab.sliding import layer_lines, layer_numbers, output_size

    report = output_size(args.n, args.f, args.stride, args.padding, args.dilation)
    layer = layer_numbers(report, report, args.channels, args.filters)
    if args.json:
        emit(
            {
                "output": report.out,
                "formula": report.formula(),
                "dropped": report.dropped,
                "remark": report.remark(),
                "layer": layer,
            }
        )
        return EXIT_OK
    print(f"output side = {report.formula()}")
    if report.remark():
        print(report.remark())
    for line in layer_lines(report, report, args.channels, args.filters):
        print(line)
    return EXIT_OK


def _net(args: argparse.Namespace) -> int:
    (x1, x2), (w1, w2) = args.x, args.w
    net = scalar_net(x1, x2, w1, w2, args.y, args.lr)
    values = net.as_dict()
    _finite(list(values.values()))
    if args.json:
        emit({"function": FUNCTION, "loss_function": LOSS, **values})
        return EXIT_OK
    print(f"{FUNCTION}, {LOSS}\n{HALF_NOTE}")
    for title, lines in (
        ("forward", net.forward_lines()),
        ("backward (chain rule)", net.backward_lines()),
        ("one SGD step", net.step_lines()),
        ("without the ½, L = (f − y)²", net.unhalved_lines()),
    ):
        print(f"\n{title}:")
        for line in lines:
            print(f"  {line.name} = {line.rule} = {line.numbers} = {fmt(line.value)}")
    return EXIT_OK


def _examples(args: argparse.Namespace) -> int:
    from workbench.core.lab.examples import EXAMPLES

    for example in EXAMPLES:
        quoted = " ".join(f"'{a}'" if a.startswith("[") else a for a in example.argv())
        print(f"{example.title}:\n  workbench {quoted}")
    return EXIT_OK
