"""The network's say in the split: where it cannot read a box, or a box hides a touching 1, or
two boxes read better as one digit, the boxes are cut or joined as it reads them best."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from workbench.core.recognition.pieces import Group

Judge = Callable[[np.ndarray], np.ndarray]  # 28×28 crops [n, 28, 28] → probabilities [n, 10]
ImageOf = Callable[[Group], "np.ndarray | None"]  # a group → its 28×28 crop (None: no ink)
Found = list[tuple[Group, np.ndarray]]  # the boxes in reading order, each with its crop

WIDE = 1.2  # a box this many typical widths wide may hold two digits …
SURE = 0.9  # … and is cut where the network reads the parts best if it reads it under this …
SURE_PARTS = 0.97  # … and each part with this (a whole box: the halves of a 0 read 6 and 1)
MAX_CUTS = 12  # the deepest valleys of a box's column profile where it may be cut
ONE_WIDTH = 0.6  # a touching 1 is at most this many typical widths wide, …
ONE_HEIGHT = 0.7  # … this share of its box's height or more, …
ONE_STROKE = 0.9  # … ink in this share of its rows (one stroke), …
BRIDGE = 0.6  # … and joined to its neighbour by less than this share of its own column
JOIN_OVERLAP = 0.2  # neighbours sharing this share of the narrower one's columns may be one digit


def look_again(labels: np.ndarray, found: Found, judge: Judge, image_of: ImageOf) -> Found:
    """The boxes of `found` (the pieces' `labels` given) cut or joined where the network says.

    Three looks, each taken only when the network reads the new boxes surely:
    - a box WIDE typical widths wide read under SURE, or the parts of a blob the width rule cut
      when one reads under SURE (two digits run together, cut in the wrong place): cut afresh
      where the network reads the parts best (`_best_cuts`);
    - a wide box read surely may hold a 1 touching its neighbour ("14" read 4): the 1 is cut
      off if it reads 1 and the rest reads as the whole did (`_touching_one`);
    - neighbours that share columns, together no wider than a digit, read as one (an open 4
      in two strokes): joined (`_joins`).
    """
    ref = float(np.median([g.height for g, _ in found]))
    typical = float(np.median([g.width for g, _ in found if g.height >= 0.6 * ref]))
    probabilities = judge(np.stack([image for _, image in found]))
    sure, digits = probabilities.max(axis=1), probabilities.argmax(axis=1)
    out: Found = []
    for whole, members in _units(found):
        now = [found[i] for i in members]
        wide = len(members) > 1 or whole.width >= WIDE * typical
        if min(sure[i] for i in members) < SURE and wide:
            count = max(2, len(members))  # the width rule's count; a wide box: two digits …
            floor = SURE if len(members) > 1 else SURE_PARTS  # … each read surely
            better = _best_cuts(labels, whole, typical, judge, image_of, count, floor)
            before = float(np.sum(np.log([max(sure[i], 1e-6) for i in members])))
            if better is not None and better[0] > before:
                now = better[1]
        elif wide and len(members) == 1:
            digit = int(digits[members[0]])
            now = _touching_one(labels, whole, typical, judge, image_of, digit) or now
        out += now
    return _joins(out, judge, image_of, ref, typical)


def _units(found: Found) -> list[tuple[Group, list[int]]]:
    """The boxes as the blobs they came from: the parts the width rule cut from one blob
    (neighbours with the same pieces) come back together as that blob."""
    units: list[tuple[Group, list[int]]] = []
    for i, (group, _) in enumerate(found):
        if units and group.cut and found[units[-1][1][-1]][0].labels == group.labels:
            whole, members = units[-1]
            units[-1] = (replace(whole.joined(group), cut=False), [*members, i])
        else:
            units.append((replace(group, cut=False), [i]))
    return units


def _best_cuts(
    labels: np.ndarray,
    group: Group,
    typical: float,
    judge: Judge,
    image_of: ImageOf,
    count: int,
    least: float,
) -> tuple[float, Found] | None:
    """The best way to cut `group` in `count` parts at valleys of its column profile, as the
    network reads them (the most likely reading of the parts together), with its
    log-probability; None when no cut gives parts it reads with at least `least` each."""
    members = group.members(labels)
    narrowest = max(2, int(0.15 * typical))  # a 1 is narrow
    widest = 1.5 * typical
    ends = [0, *valleys(members, typical, narrowest), group.width]
    spans = [
        (i, j)
        for i in range(len(ends))
        for j in range(i + 1, len(ends))
        if narrowest <= ends[j] - ends[i] <= widest and (i, j) != (0, len(ends) - 1)
    ]
    parts = {span: group.columns(members, ends[span[0]], ends[span[1]]) for span in spans}
    images = {span: image_of(part) for span, part in parts.items() if part}
    readable = [span for span in spans if images.get(span) is not None]
    if not readable:
        return None
    sure = judge(np.stack([images[span] for span in readable])).max(axis=1)
    gain = {span: float(p) for span, p in zip(readable, sure, strict=True) if p >= least}
    # the best chain of `count` parts from the left edge to the right, valley by valley
    best: dict[tuple[int, int], tuple[float, list[tuple[int, int]]]] = {(0, 0): (0.0, [])}
    for j in range(1, len(ends)):
        for k in range(1, count + 1):
            options = [
                (best[(i, k - 1)][0] + math.log(gain[(i, j)]), [*best[(i, k - 1)][1], (i, j)])
                for i in range(j)
                if (i, k - 1) in best and (i, j) in gain
            ]
            if options:
                best[(j, k)] = max(options, key=lambda option: option[0])
    if (len(ends) - 1, count) not in best:
        return None
    score, chain = best[(len(ends) - 1, count)]
    return score, [(parts[span], images[span]) for span in chain]


def _touching_one(
    labels: np.ndarray,
    group: Group,
    typical: float,
    judge: Judge,
    image_of: ImageOf,
    digit: int,
) -> Found | None:
    """A 1 touching its neighbour inside a box the network reads surely as that neighbour
    (`digit`): a narrow stroke the box's height at one edge, joined by a thin bridge, that
    reads 1 with SURE while the rest reads `digit` with SURE. None when no cut is such."""
    members = group.members(labels)
    profile = members.sum(axis=0)
    width = group.width
    options = []
    for c in valleys(members, typical, max(2, int(0.15 * typical))):
        if min(c, width - c) > ONE_WIDTH * typical:
            continue
        left, right = group.columns(members, 0, c), group.columns(members, c, width)
        if left is None or right is None:
            continue
        one, rest = (left, right) if c <= width - c else (right, left)
        own = members[:, :c] if one is left else members[:, c:]
        stroke = own.any(axis=1)[one.y0 - group.y0 : one.y1 - group.y0].mean() >= ONE_STROKE
        tall = one.height >= ONE_HEIGHT * group.height
        if not (tall and stroke) or profile[c] > BRIDGE * own.sum(axis=0).max():
            continue
        images = (image_of(one), image_of(rest))
        if images[0] is not None and images[1] is not None:
            options.append(((left, right), one, images))
    if not options:
        return None
    read = judge(np.stack([image for *_, pair in options for image in pair])).reshape(-1, 2, 10)
    best, best_score = None, 0.0
    for (ordered, one, (one_image, rest_image)), (p_one, p_rest) in zip(options, read, strict=True):
        score = float(p_one[1] * p_rest[digit])
        if min(p_one[1], p_rest[digit]) >= SURE and score > best_score:
            image = {id(one): one_image}
            best = [(part, image.get(id(part), rest_image)) for part in ordered]
            best_score = score
    return best


def _joins(found: Found, judge: Judge, image_of: ImageOf, ref: float, typical: float) -> Found:
    """Neighbours in reading order that share JOIN_OVERLAP of the narrower one's columns,
    together no wider than WIDE typical digits: joined where the whole reads with SURE_PARTS
    and better than the two parts together (a digit written in two strokes)."""
    pairs, unions = [], []
    for i in range(len(found) - 1):
        a, b = found[i][0], found[i + 1][0]
        shared = min(a.x1, b.x1) - max(a.x0, b.x0)
        union = a.joined(b)
        if (
            a.cut
            or b.cut
            or shared < JOIN_OVERLAP * min(a.width, b.width)
            or union.width > WIDE * typical
            or union.height > 1.5 * ref
        ):
            continue
        image = image_of(union)
        if image is not None:
            pairs.append(i)
            unions.append((union, image))
    if not pairs:
        return found
    parts = [found[j][1] for i in pairs for j in (i, i + 1)]
    sure = judge(np.stack([image for _, image in unions] + parts)).max(axis=1)
    whole, apart = sure[: len(pairs)], sure[len(pairs) :].reshape(-1, 2).prod(axis=1)
    out: list[tuple[Group, np.ndarray] | None] = list(found)
    taken: set[int] = set()
    for n in np.argsort(-whole, kind="stable"):
        i = pairs[n]
        if {i, i + 1} & taken or whole[n] < SURE_PARTS or whole[n] <= apart[n]:
            continue
        out[i], out[i + 1] = unions[n], None
        taken |= {i, i + 1}
    return [item for item in out if item is not None]


def valleys(members: np.ndarray, typical: float, margin: int) -> list[int]:
    """Columns of a blob's member mask where its column profile has a valley, `margin` or more
    from either edge: the MAX_CUTS deepest local minima, left to right."""
    smooth = max(1, int(typical / 12)) | 1  # a small digit's valley is a column or two wide
    profile = np.convolve(members.sum(axis=0).astype(float), np.ones(smooth) / smooth, "same")
    reach = max(1, int(0.08 * typical))
    inner = range(margin, members.shape[1] - margin + 1)
    low = [c for c in inner if profile[c] <= profile[max(c - reach, 0) : c + reach + 1].min()]
    return sorted(sorted(low, key=lambda c: profile[c])[:MAX_CUTS])
