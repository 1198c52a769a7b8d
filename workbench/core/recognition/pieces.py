"""The pieces of ink that make up one digit: their boxes, and how a broken digit's pieces join."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.recognition import imageops


@dataclass
class Group:
    """One digit: the union box of its pieces (in label pixels) and their labels."""

    x0: int
    y0: int
    x1: int
    y1: int
    labels: list[int]
    cut: bool = False  # split from touching neighbours: its pixels end at its own columns

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    def members(self, labels: np.ndarray) -> np.ndarray:
        """Its own pieces' pixels within its box, as a mask."""
        return imageops.any_of(labels[self.y0 : self.y1, self.x0 : self.x1], self.labels)

    def columns(self, members: np.ndarray, left: int, right: int) -> Group | None:
        """Its columns `left`..`right` (its `members` mask given), cut from the rest; None
        when they hold no ink."""
        rows = np.flatnonzero(members[:, left:right].any(axis=1))
        if rows.size == 0:
            return None
        top, bottom = self.y0 + int(rows[0]), self.y0 + int(rows[-1]) + 1
        return Group(self.x0 + left, top, self.x0 + right, bottom, self.labels, cut=True)

    def joined(self, other: Group) -> Group:
        """The union of two groups: both boxes, both sets of pieces."""
        return Group(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
            self.labels + [label for label in other.labels if label not in self.labels],
        )


def reference_height(heights: list[int]) -> float:
    """A digit's height from the tallest pieces, so that fragments cannot pull it down."""
    values = np.asarray(heights, dtype=np.float64)
    tall = values[values >= 0.5 * imageops.percentile(values, 75)]
    return float(imageops.median(tall))


def merge_pieces(pieces: list[Group], ref_height: float) -> list[Group]:
    """Join the pieces of one broken digit, the closest pair first.

    Stacked: above one another and together digit-sized (a 5's detached bar), or nested.
    Beside: a short piece within a small gap of another, the two no bigger than one digit (a 4
    written in two strokes). Two full-height neighbours never merge.
    """
    if len(pieces) < 2:
        return list(pieces)
    # Only pieces within reach of one another can merge: merge each such cluster on its own,
    # so a page of many specks costs one pass, not a pass per merge.
    x0, y0, x1, y1 = np.array([(g.x0, g.y0, g.x1, g.y1) for g in pieces], float).T
    reach = 0.15 * ref_height
    near = (np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0) > -reach) & (
        np.maximum(y1[:, None], y1) - np.minimum(y0[:, None], y0) <= 1.35 * ref_height
    )
    parent = np.arange(len(pieces))
    for i, j in np.argwhere(np.triu(near, 1)):
        root_i, root_j = _root(parent, i), _root(parent, j)
        parent[max(root_i, root_j)] = min(root_i, root_j)
    roots = [_root(parent, i) for i in range(len(pieces))]
    clusters: dict[int, list[Group]] = {}
    for piece, root in zip(pieces, roots, strict=True):
        clusters.setdefault(root, []).append(piece)
    return [g for cluster in clusters.values() for g in _merge_cluster(cluster, ref_height)]


def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return int(i)


def _merge_cluster(groups: list[Group], ref_height: float) -> list[Group]:
    while len(groups) > 1:
        x0, y0, x1, y1 = np.array([(g.x0, g.y0, g.x1, g.y1) for g in groups], float).T
        h, w = y1 - y0, x1 - x0
        overlap_x = np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0)
        overlap_y = np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0)
        union_h = np.maximum(y1[:, None], y1) - np.minimum(y0[:, None], y0)
        union_w = np.maximum(x1[:, None], x1) - np.minimum(x0[:, None], x0)
        short = np.minimum(h[:, None], h) < 0.75 * ref_height
        nested = union_h <= 1.1 * np.maximum(h[:, None], h)
        above = overlap_x >= 0.5 * np.minimum(w[:, None], w)
        stacked = above & (union_h <= 1.35 * ref_height) & (short | nested)
        gap = np.hypot(np.maximum(-overlap_x, 0), np.maximum(-overlap_y, 0))
        beside = (
            short
            & (gap <= 0.12 * ref_height)
            & (union_h <= 1.2 * ref_height)
            & (union_w <= 0.9 * ref_height)
        )
        ok = (stacked | beside) & ~np.eye(len(groups), dtype=bool)
        if not ok.any():
            break
        i, j = np.unravel_index(np.argmin(np.where(ok, gap, np.inf)), ok.shape)
        groups[min(i, j)] = groups[i].joined(groups[j])
        del groups[max(i, j)]
    return groups
