"""The course's worked examples, each as parameters for a Lab page and as a `workbench lab` line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

GRID_4X4 = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]
KERNEL_3X3 = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]
POOL_4X4 = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
GRID_6X6 = [[(3 * r + c) % 5 for c in range(6)] for r in range(6)]
EDGE_3X3 = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]


@dataclass(frozen=True)
class Example:
    title: str
    kind: str  # conv, pool, grad, size or net: the `workbench lab` command and the Lab page
    params: dict[str, Any] = field(default_factory=dict)

    def argv(self) -> list[str]:
        """The same computation from the command line: ['lab', kind, options...]."""
        args = ["lab", self.kind]
        for key, value in self.params.items():
            if key in ("n", "f"):
                args.append(str(value))
                continue
            option = "--" + key.replace("_", "-")
            if isinstance(value, list) and value and isinstance(value[0], list):
                args += [option, json.dumps(value, separators=(",", ":"))]
            elif isinstance(value, list):
                args += [option, *(str(v) for v in value)]
            else:
                args += [option, str(value)]
        return args


EXAMPLES: tuple[Example, ...] = (
    Example("Convolution: 4×4 input, 3×3 kernel, no padding", "conv",
            {"input": GRID_4X4, "kernel": KERNEL_3X3, "stride": 1, "padding": 0, "dilation": 1}),
    Example("Convolution: the same with \"same\" padding (P = 1)", "conv",
            {"input": GRID_4X4, "kernel": KERNEL_3X3, "stride": 1, "padding": 1, "dilation": 1}),
    Example("Convolution: 6×6, 3×3 kernel, stride 2 (the floor drops a row)", "conv",
            {"input": GRID_6X6, "kernel": EDGE_3X3, "stride": 2, "padding": 0, "dilation": 1}),
    Example("Max pooling: 2×2, stride 2 on a 4×4 map", "pool",
            {"input": POOL_4X4, "size": 2, "stride": 2, "mode": "max"}),
    Example("Average pooling: 2×2, stride 2 on a 4×4 map", "pool",
            {"input": POOL_4X4, "size": 2, "stride": 2, "mode": "avg"}),
    Example("AlexNet CONV1: 227×227, 11×11 kernel, stride 4 (output size only)", "size",
            {"n": 227, "f": 11, "stride": 4, "padding": 0, "dilation": 1, "channels": 3,
             "filters": 96}),
    Example("Conv gradients: 4×4 input, 3×3 kernel, 2×2 upstream gradient", "grad",
            {"input": GRID_4X4, "kernel": KERNEL_3X3, "upstream": [[1, 2], [-1, 0]],
             "stride": 1, "padding": 0, "dilation": 1, "lr": 0.01}),
    Example("Two-parameter sigmoid network: w = 0, x = (1, 0), y = 5, λ = 0.5", "net",
            {"x": [1, 0], "w": [0, 0], "y": 5, "lr": 0.5}),
)  # fmt: skip
