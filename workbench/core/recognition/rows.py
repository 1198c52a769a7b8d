"""Reading order: rows as chains of boxes that overlap vertically, top to bottom, left to right."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.core.recognition import imageops

Box = tuple[int, int, int, int]  # x, y, w, h

ROW_OVERLAP = 1 / 3  # two boxes share a row when they overlap by this share of the smaller one
MAX_GAP = 4.0  # a chain links boxes at most this many digit heights apart (then rows join)


def rows_of(boxes: Sequence[Box]) -> list[list[int]]:
    """Indices of `boxes` row by row, top to bottom, each row left to right.

    Every box links to its nearest neighbour on the right among the boxes it overlaps
    vertically by a third of the smaller height; the chains so formed are the rows. A line whose
    heights wander (or that is tilted) stays one row, because neighbours still overlap where the
    row's first and last digits do not. Chains at the same height with a wide gap join up.
    """
    n = len(boxes)
    if n == 0:
        return []
    b = np.asarray(boxes, dtype=np.float64).reshape(n, 4)
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    heights = np.maximum(b[:, 3], 1.0)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    overlap = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    shares = overlap >= ROW_OVERLAP * np.minimum(heights[:, None], heights[None, :])
    centre_x = (x0 + x1) / 2
    right_of = centre_x[None, :] > centre_x[:, None]  # [i, j]: j lies to the right of i
    gap = x0[None, :] - x1[:, None]
    near = gap <= MAX_GAP * np.maximum(heights[:, None], heights[None, :])
    candidates = shares & right_of & near
    distance = np.where(candidates, centre_x[None, :] - centre_x[:, None], np.inf)
    nearest = distance.argmin(axis=1)
    for i in range(n):
        if np.isfinite(distance[i, nearest[i]]):
            parent[find(i)] = find(int(nearest[i]))
    chains: dict[int, list[int]] = {}
    for i in range(n):
        chains.setdefault(find(i), []).append(i)
    rows = [sorted(c, key=lambda i: centre_x[i]) for c in chains.values()]
    rows = _join_far_chains(rows, x0, y0, x1, y1, heights)
    slope = _slope(rows, centre_x, (y0 + y1) / 2)
    # Rows top to bottom where they would cross x = 0: a tilted page keeps its row order.
    return sorted(rows, key=lambda r: float(np.mean((y0[r] + y1[r]) / 2 - slope * centre_x[r])))


def _join_far_chains(
    rows: list[list[int]],
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    heights: np.ndarray,
) -> list[list[int]]:
    """Join a chain to one that continues it further right at the same height (a wide gap)."""
    joined = True
    while joined:
        joined = False
        rows.sort(key=lambda r: x0[r[0]])
        for a in range(len(rows)):
            last = rows[a][-1]
            for c in range(len(rows)):
                first = rows[c][0]
                if c == a or x0[first] < x1[last]:
                    continue
                overlap = min(y1[last], y1[first]) - max(y0[last], y0[first])
                if overlap >= ROW_OVERLAP * min(heights[last], heights[first]):
                    rows[a] = rows[a] + rows[c]
                    del rows[c]
                    joined = True
                    break
            if joined:
                break
    return rows


def _slope(rows: list[list[int]], cx: np.ndarray, cy: np.ndarray) -> float:
    """The page's tilt (dy/dx) as the median slope between neighbours in a row; 0 without."""
    slopes = [
        (cy[j] - cy[i]) / (cx[j] - cx[i])
        for row in rows
        for i, j in zip(row, row[1:], strict=False)
        if cx[j] - cx[i] > 0
    ]
    if len(slopes) < 2:
        return 0.0
    return float(np.clip(imageops.median(slopes), -0.3, 0.3))
