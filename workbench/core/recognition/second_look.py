"""The network's say in the split: where it cannot read a box, or a box hides a touching 1, or
two boxes read better as one digit, the boxes are cut or joined as it reads them best."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from workbench.core.recognition import imageops
from workbench.core.recognition.pieces import Group

Judge = Callable[[np.ndarray], np.ndarray]  # 28×28 crops [n, 28, 28] → probabilities [n, 10]
ImageOf = Callable[[Group], "np.ndarray | None"]  # a group → its 28×28 crop (None: no ink)
Found = list[tuple[Group, np.ndarray]]  # the boxes in reading order, each with its crop

LOOK_WIDE = 1.2  # a box this many typical widths wide may hold two digits …
SURE = 0.9  # … and is cut where the network reads the parts best if it reads it under this …
SURE_PARTS = 0.97  # … and each part with this (a whole box: the halves of a 0 read 6 and 1)
MAX_CUTS = 12  # the deepest valleys of a box's column profile where it may be cut
CUT_STEP = 1 / 5  # … and, in a box read under SURE, every such share of a typical width too
# (the coarsest step, the fewest crops, that kept every row of the page set's choice seed 16)
ONE_BOX = 0.9  # a box this many typical widths wide read surely may hide a touching 1 …
ONE_WIDTH = 0.6  # … at most this many typical widths wide, …
ONE_HEIGHT = 0.85  # … this share of its box's height or more (a 4's arm ends at the bar), …
ONE_STROKE = 0.9  # … ink in this share of its rows without a gap (one stroke), …
BRIDGE = 0.6  # … joined to its neighbour by less than this share of its own column: …
SURE_ONE = 0.8  # … cut off if it reads 1, and the rest as the whole did, each with this
UNSURE_ONE = 0.95  # … or, in a box read under SURE, the 1 and the rest as any digit with this
PART_HEIGHT = 0.6  # a part of a box cut in two is a digit this many typical heights tall
JOIN_OVERLAP = 0.2  # neighbours sharing this share of the narrower one's columns may be one digit
JOIN_GAP = 0.25  # … or, one of them read under SURE, this many typical widths apart at most


def look_again(labels: np.ndarray, found: Found, judge: Judge, image_of: ImageOf) -> Found:
    """The boxes of `found` (the pieces' `labels` given) cut or joined where the network says.

    Three looks, each taken only when the network reads the new boxes surely:
    - a box LOOK_WIDE typical widths wide read under SURE, or the parts of a blob the width rule cut
      when one reads under SURE (two digits run together, cut in the wrong place): cut afresh
      where the network reads the parts best (`_best_cuts`), at a valley of its column profile
      or anywhere (a 1 pressed against a 6, two 0s overlapping: no valley between them);
    - a wide box read surely may be two digits run together ("98" read 8): cut in two where
      the parts read surely and likelier than the whole (`_run_together`);
    - a box may hold a 1 touching its neighbour ("14" read 4, "61" read 2 unsurely): the 1 is
      cut off if it reads 1 and the rest reads as the whole did, or, when the whole was read
      unsurely, as any digit surely (`_one_cuts`, `_touching_ones`);
    - neighbours that share columns, or stand close with one read unsurely, together no wider
      than a digit, read as one (an open 4 in two strokes): joined (`_joins`).
    """
    ref = float(imageops.median([g.height for g, _ in found]))
    typical = float(imageops.median([g.width for g, _ in found if g.height >= 0.6 * ref]))
    probabilities = judge(np.stack([image for _, image in found]))
    sure, digits = probabilities.max(axis=1), probabilities.argmax(axis=1)
    looked: list[Found] = []
    ones: dict[int, tuple[int, list[Cut]]] = {}  # unit → (the digit read or -1, cuts to try)
    for whole, members in _units(found):
        wide = len(members) > 1 or whole.width >= LOOK_WIDE * typical
        unsure = min(sure[i] for i in members) < SURE
        cut = None
        if unsure and wide:
            count = max(2, len(members))  # the width rule's count; a wide box: two digits …
            floor = SURE if len(members) > 1 else SURE_PARTS  # … each read surely
            better = _best_cuts(
                labels, whole, typical, judge, image_of, count, floor, anywhere=True
            )
            before = float(np.sum(np.log([max(sure[i], 1e-6) for i in members])))
            if better is not None and better[0] > before:
                cut = better[1]
        elif wide:
            cut = _run_together(labels, whole, sure[members[0]], ref, typical, judge, image_of)
        if cut is None and len(members) == 1 and whole.width >= ONE_BOX * typical:
            ones[len(looked)] = (  # a 1 run into it? The rest reads as the whole, if it was sure
                -1 if unsure else int(digits[members[0]]),
                _one_cuts(labels, whole, typical, image_of),
            )
        looked.append(cut or [found[i] for i in members])
    for unit, parts in _touching_ones(ones, judge, image_of).items():
        looked[unit] = parts
    return _joins([box for unit in looked for box in unit], judge, image_of, ref, typical)


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
    anywhere: bool = False,
) -> tuple[float, Found] | None:
    """The best way to cut `group` in `count` parts at valleys of its column profile (or,
    `anywhere`, also every CUT_STEP typical widths), as the network reads them (the most likely
    reading of the parts together), with its log-probability; None when no cut gives parts it
    reads with at least `least` each."""
    members = group.members(labels)
    narrowest = max(2, int(0.15 * typical))  # a 1 is narrow
    widest = 1.5 * typical
    cuts = set(valleys(members, typical, narrowest))
    if anywhere:
        step = max(1, int(CUT_STEP * typical))
        cuts |= set(range(narrowest, group.width - narrowest + 1, step))
    ends = [0, *sorted(cuts), group.width]
    spans = [
        (i, j)
        for i in range(len(ends))
        for j in range(i + 1, len(ends))
        if narrowest <= ends[j] - ends[i] <= widest
        and (i, j) != (0, len(ends) - 1)
        and (count > 2 or i == 0 or j == len(ends) - 1)  # two parts: one at each edge
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


def _run_together(
    labels: np.ndarray,
    group: Group,
    sure: float,
    ref: float,
    typical: float,
    judge: Judge,
    image_of: ImageOf,
) -> Found | None:
    """A wide box read surely, perhaps two digits run together read as one ("98" read 8): its
    two parts, where each reads with SURE_PARTS, each is a digit's height (PART_HEIGHT), and
    the two together are likelier than the whole; else None."""
    better = _best_cuts(labels, group, typical, judge, image_of, 2, SURE_PARTS)
    if better is None or better[0] <= math.log(sure):
        return None
    if min(part.height for part, _ in better[1]) < PART_HEIGHT * ref:
        return None
    return better[1]


Cut = tuple[tuple[Group, Group], Group, np.ndarray]  # the two parts, the 1, the 1's crop


def _one_cuts(labels: np.ndarray, group: Group, typical: float, image_of: ImageOf) -> list[Cut]:
    """Where a 1 may touch its neighbour inside `group`: a narrow stroke the box's height at
    one edge, joined to the rest by a thin bridge; at most one cut per edge (the thinnest)."""
    members = group.members(labels)
    profile = members.sum(axis=0)
    width = group.width
    cuts: list[Cut] = []
    last = -2
    for c in valleys(members, typical, max(2, int(0.15 * typical))):
        on_left = c <= width - c
        if min(c, width - c) > ONE_WIDTH * typical or c == last + 1:  # a valley's next column
            continue
        own = members[:, :c] if on_left else members[:, c:]
        rows = np.flatnonzero(own.any(axis=1))
        tall = rows.size > 0 and rows[-1] + 1 - rows[0] >= ONE_HEIGHT * group.height
        if not (tall and _one_stroke(own)) or profile[c] > BRIDGE * own.sum(axis=0).max():
            continue
        left, right = group.columns(members, 0, c), group.columns(members, c, width)
        if left is None or right is None:
            continue
        one = left if on_left else right
        image = image_of(one)
        if image is not None:
            cuts.append(((left, right), one, image))
            last = c
    return cuts


def _touching_ones(
    ones: dict[int, tuple[int, list[Cut]]], judge: Judge, image_of: ImageOf
) -> dict[int, Found]:
    """For each box with its `_one_cuts`: the parts, where the network reads the 1 as 1 and
    the rest as the digit the box was read surely as, each with SURE_ONE (the rest has lost a
    little of its ink to the cut), or, for a box read unsurely (digit -1), the rest as any digit
    and both with UNSURE_ONE; the best such cut of each box. The 1s are read first, in
    one batch; the rests of those that read 1, in another."""
    flat = [(unit, digit, cut) for unit, (digit, cuts) in ones.items() for cut in cuts]
    if not flat:
        return {}
    p_ones = judge(np.stack([image for *_, (_, _, image) in flat]))[:, 1]
    tried = []  # (unit, digit, p of the 1, the parts with their crops, the rest's crop)
    for (unit, digit, (parts, one, image)), p_one in zip(flat, p_ones, strict=True):
        rest = parts[1] if parts[0] is one else parts[0]
        if p_one >= SURE_ONE and (rest_image := image_of(rest)) is not None:
            found = [(part, image if part is one else rest_image) for part in parts]
            tried.append((unit, digit, float(p_one), found, rest_image))
    if not tried:
        return {}
    p_rests = judge(np.stack([rest_image for *_, rest_image in tried]))
    best: dict[int, tuple[float, Found]] = {}
    for (unit, digit, p_one, found, _), p_rest in zip(tried, p_rests, strict=True):
        rest = float(p_rest[digit] if digit >= 0 else p_rest.max())
        least = SURE_ONE if digit >= 0 else UNSURE_ONE  # a box read unsurely: both parts surely
        score = p_one * rest
        if min(p_one, rest) >= least and score > best.get(unit, (0.0,))[0]:
            best[unit] = (score, found)
    return {unit: found for unit, (_, found) in best.items()}


def _joins(found: Found, judge: Judge, image_of: ImageOf, ref: float, typical: float) -> Found:
    """Neighbours in reading order that share JOIN_OVERLAP of the narrower one's columns, or
    stand JOIN_GAP typical widths apart at most with one of them read under SURE (an open 4's
    stroke beside the rest), together no wider than LOOK_WIDE typical digits: joined where the
    whole reads with SURE_PARTS and better than the two parts together (a digit written in two
    strokes)."""
    pairs, unions, overlapping = [], [], []
    for i in range(len(found) - 1):
        a, b = found[i][0], found[i + 1][0]
        shared = min(a.x1, b.x1) - max(a.x0, b.x0)
        union = a.joined(b)
        if (
            a.cut
            or b.cut
            or shared < -JOIN_GAP * typical
            or union.width > LOOK_WIDE * typical
            or union.height > 1.5 * ref
        ):
            continue
        image = image_of(union)
        if image is not None:
            pairs.append(i)
            unions.append((union, image))
            overlapping.append(shared >= JOIN_OVERLAP * min(a.width, b.width))
    if not pairs:
        return found
    parts = [found[j][1] for i in pairs for j in (i, i + 1)]
    sure = judge(np.stack([image for _, image in unions] + parts)).max(axis=1)
    whole, apart = sure[: len(pairs)], sure[len(pairs) :].reshape(-1, 2)
    out: list[tuple[Group, np.ndarray] | None] = list(found)
    taken: set[int] = set()
    for n in np.argsort(-whole, kind="stable"):
        i = pairs[n]
        if {i, i + 1} & taken or whole[n] < SURE_PARTS or whole[n] <= apart[n].prod():
            continue
        if not overlapping[n] and apart[n].min() >= SURE:
            continue  # two digits side by side, each read surely
        out[i], out[i + 1] = unions[n], None
        taken |= {i, i + 1}
    return [item for item in out if item is not None]


def _one_stroke(own: np.ndarray) -> bool:
    """Whether the mask of a part is one upright stroke: ink in ONE_STROKE of the rows from
    its top to its bottom without a gap."""
    edges = np.diff(np.r_[0, own.any(axis=1).astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) >= ONE_STROKE * (ends[-1] - starts[0])


def valleys(members: np.ndarray, typical: float, margin: int) -> list[int]:
    """Columns of a blob's member mask where its column profile has a valley, `margin` or more
    from either edge: the MAX_CUTS deepest local minima, left to right."""
    smooth = max(1, int(typical / 12)) | 1  # a small digit's valley is a column or two wide
    profile = np.convolve(members.sum(axis=0).astype(float), np.ones(smooth) / smooth, "same")
    reach = max(1, int(0.08 * typical))
    inner = range(margin, members.shape[1] - margin + 1)
    low = [c for c in inner if profile[c] <= profile[max(c - reach, 0) : c + reach + 1].min()]
    return sorted(sorted(low, key=lambda c: profile[c])[:MAX_CUTS])
