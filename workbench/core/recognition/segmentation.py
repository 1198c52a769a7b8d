"""Split a photo or scan of several digits into one MNIST-style crop per digit, in reading order."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.core.recognition import imageops
from workbench.core.recognition.images import area_reduced
from workbench.core.recognition.pieces import Group, merge_pieces, reference_height
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist
from workbench.core.recognition.rows import rows_of
from workbench.core.recognition.second_look import Judge, look_again

Box = tuple[int, int, int, int]  # x, y, w, h in image pixels

INK_LEVEL = 0.25  # ink map value that counts as a stroke when finding the pieces
LABEL_PIXELS = 2_000_000  # larger ink maps are labelled on a block-reduced copy (speed)
WORK_PIXELS = 2_000_000  # larger photos are reduced before the ink is extracted (speed)
MAX_PIECES = 4000  # beyond this many blobs, only the largest are considered
MIN_DIGIT_PIXELS = 8  # no digit is shorter than this: a page of dust has no digits
WIDE = 1.6  # a box this many times wider than the typical digit holds touching digits
LINE_HEIGHT = 2.2  # a thin stroke this many digit heights tall is a line on the paper
SQUAT = 1.15  # … but one less wide than this many digit heights may be one wide digit (a 2) …
VALLEY = 0.7  # … unless its column profile dips under this share of its typical column


@dataclass(frozen=True)
class DigitCrop:
    box: Box  # x, y, w, h in image pixels
    image: np.ndarray  # 28×28 float32, ink 1.0 on 0.0


def split_digits(
    grey: np.ndarray, judge: Judge | None = None, size: tuple[int, int] | None = None
) -> list[DigitCrop]:
    """Every digit in a grey image (any polarity and light) as a 28×28 crop, in reading order.

    With `judge` (28×28 crops → the network's probability of each digit), the network has its
    say where boxes are cut or joined (`second_look.look_again`).
    Boxes are in the pixels of an image of `size` (width, height; default: `grey`'s own), for
    a grey decoded smaller than the image (`images.load_photo`). A grey over WORK_PIXELS is
    averaged down to it first.
    """
    grey = np.asarray(grey, dtype=np.float32)
    height, width = grey.shape
    if size is not None:
        width, height = size
    ink = ink_from_grey(area_reduced(grey, WORK_PIXELS))
    labels, factor, groups = _find_groups(ink)

    def image_of(group: Group) -> np.ndarray | None:
        region, mask = _member_region(labels, group, factor, ink.shape)
        image = crop_to_mnist(ink, region, mask)
        if image is not None and len(group.labels) > 1:  # a digit of several pieces
            image = _bridged(image)
        return image

    found = [(g, image) for g in groups if (image := image_of(g)) is not None]
    if judge is not None and len(found) > 1:
        found = look_again(labels, found, judge, image_of)
    return [
        DigitCrop(_rescale(_to_pixels(g, factor, ink.shape), ink.shape, (height, width)), im)
        for g, im in found
    ]


def find_digit_boxes(ink: np.ndarray) -> list[Box]:
    """Boxes (x, y, w, h) of the digits in an ink map, in reading order; specks are ignored."""
    ink = np.asarray(ink, dtype=np.float32)
    _, factor, groups = _find_groups(ink)
    return [_to_pixels(group, factor, ink.shape) for group in groups]


def crop_to_mnist(ink: np.ndarray, box: Box, mask: np.ndarray | None = None) -> np.ndarray | None:
    """The 28×28 input for the ink inside `box` (e.g. a box a user drew), or None if it is empty.

    `mask` (the box's shape) keeps only the digit's own strokes when a neighbour reaches in.
    """
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(x, 0), max(y, 0)
    crop = np.asarray(ink, dtype=np.float32)[y0 : max(y + h, y0), x0 : max(x + w, x0)]
    if mask is not None:
        crop = crop * mask[y0 - y : y0 - y + crop.shape[0], x0 - x : x0 - x + crop.shape[1]]
    if crop.size == 0:
        return None
    return to_mnist(crop)


def _find_groups(ink: np.ndarray) -> tuple[np.ndarray, int, list[Group]]:
    """Label the strokes, merge broken pieces, drop specks, sort into reading order."""
    factor = max(1, math.ceil(math.sqrt(ink.size / LABEL_PIXELS)))
    strokes = ink > INK_LEVEL
    if factor > 1:  # block "any": keeps hairlines that an average would lose
        height, width = strokes.shape
        padded = np.pad(strokes, ((0, -height % factor), (0, -width % factor)))
        strokes = padded.reshape(padded.shape[0] // factor, factor, -1, factor).any(axis=(1, 3))
    parts = imageops.components(strokes, diagonal=True)
    labels, count = parts.labels, parts.count
    if count == 0:
        return labels, factor, []
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    frames = imageops.border_touches(labels, count) >= 3  # a table or a board edge around the sheet
    if frames[1:].any() and not frames[1:].all():
        areas[frames] = 0
    areas = areas[1:]
    order = np.argsort(-areas, kind="stable")[: min(MAX_PIECES, np.count_nonzero(areas))]
    boxes = parts.boxes.tolist()
    pieces = [Group(boxes[i][1], boxes[i][0], boxes[i][3], boxes[i][2], [i + 1]) for i in order]
    areas = areas[order]
    big = areas >= 0.15 * areas[0]
    ref_area = float(imageops.median(areas[big]))
    ref_height = reference_height([p.height for p, b in zip(pieces, big, strict=True) if b])
    pieces = [
        p
        for p, area in zip(pieces, areas, strict=True)
        if area >= 0.03 * ref_area or p.height >= 0.3 * ref_height  # dust
    ]
    groups = merge_pieces(pieces, ref_height)
    least = max(0.4 * ref_height, MIN_DIGIT_PIXELS / factor)  # dashes, dots, stray marks
    groups = [g for g in groups if g.height >= least and not _line_like(g, ref_height)]
    groups = split_touching(labels, groups, ref_height)
    return labels, factor, _reading_order(groups)


def _line_like(group: Group, ref_height: float) -> bool:
    """A thin stroke far taller than the digits: a rule or a grid line, not a 1."""
    return group.height > LINE_HEIGHT * ref_height and group.width < 0.25 * group.height


def split_touching(labels: np.ndarray, groups: list[Group], ref_height: float) -> list[Group]:
    """Cut a box much wider than the others (digits that touch) at its column profile's valleys.

    One part per typical digit width it spans; each cut at the column with the least ink near
    where it would fall, so two digits that touch, or nearly so, stay two.
    """
    digits = [g for g in groups if g.height >= 0.6 * ref_height]
    if len(digits) < 2:
        return groups
    typical = float(imageops.median([g.width for g in digits]))
    out = []
    for group in groups:
        parts = round(group.width / typical) if typical > 0 else 1
        if group.width < WIDE * typical or group.width < 0.9 * ref_height or parts < 2:
            out.append(group)
            continue
        out += _cut(labels, group, min(parts, 4), group.width < SQUAT * ref_height)
    return out


def _cut(labels: np.ndarray, group: Group, parts: int, squat: bool) -> list[Group]:
    """`group` in `parts` at its profile's valleys; a `squat` box (one wide digit, perhaps)
    only where each valley is clear: under VALLEY of the typical column's ink."""
    members = group.members(labels)
    profile = np.convolve(members.sum(axis=0).astype(float), np.ones(3) / 3, mode="same")
    typical = float(imageops.median(profile[profile > 0])) if profile.any() else 0.0
    width = group.width
    cuts = []
    for k in range(1, parts):
        centre = k * width / parts
        lo, hi = int(centre - 0.2 * width / parts), int(centre + 0.2 * width / parts) + 1
        lo, hi = max(lo, 1), min(hi, width - 1)
        if hi <= lo:
            return [group]
        cuts.append(lo + int(np.argmin(profile[lo:hi])))
    if squat and any(profile[c] > VALLEY * typical for c in cuts):
        return [group]
    pieces = [group.columns(members, a, b) for a, b in zip([0, *cuts], [*cuts, width], strict=True)]
    return [piece for piece in pieces if piece is not None]


def _reading_order(groups: list[Group]) -> list[Group]:
    """Rows as chains of vertically overlapping boxes, top to bottom, each left to right."""
    boxes = [(g.x0, g.y0, g.width, g.height) for g in groups]
    return [groups[i] for row in rows_of(boxes) for i in row]


def _to_pixels(group: Group, factor: int, shape: tuple[int, int]) -> Box:
    x0, y0 = group.x0 * factor, group.y0 * factor
    x1, y1 = min(group.x1 * factor, shape[1]), min(group.y1 * factor, shape[0])
    return (x0, y0, x1 - x0, y1 - y0)


def _member_region(
    labels: np.ndarray, group: Group, factor: int, shape: tuple[int, int]
) -> tuple[Box, np.ndarray]:
    """The group's box grown a little (for anti-aliased edges) and a mask of its own pieces."""
    pad = 2 if factor == 1 else 1
    y0, x0 = max(group.y0 - pad, 0), max(group.x0 - pad, 0)
    region = labels[y0 : group.y1 + pad, x0 : group.x1 + pad]
    mask = imageops.dilate(imageops.any_of(region, group.labels), pad, diagonal=True)
    if group.cut:  # the neighbour it touched begins right beside it
        mask[:, : group.x0 - x0] = False
        mask[:, group.x1 - x0 :] = False
    if factor > 1:
        mask = mask.repeat(factor, axis=0).repeat(factor, axis=1)
    grown = Group(x0, y0, x0 + region.shape[1], y0 + region.shape[0], group.labels)
    box = _to_pixels(grown, factor, shape)
    return box, mask[: box[3], : box[2]].astype(np.float32)


def _rescale(box: Box, shape: tuple[int, int], image: tuple[int, int]) -> Box:
    """A box in the pixels of an array of `shape` (h, w) → in those of the `image` (h, w)."""
    if shape == image:
        return box
    sy, sx = image[0] / shape[0], image[1] / shape[1]
    x0, y0 = int(box[0] * sx), int(box[1] * sy)
    x1 = min(math.ceil((box[0] + box[2]) * sx), image[1])
    y1 = min(math.ceil((box[1] + box[3]) * sy), image[0])
    return (x0, y0, x1 - x0, y1 - y0)


def _bridged(image: np.ndarray) -> np.ndarray:
    """A 28×28 crop with breaks of a pixel across its strokes closed (a closing by three rows):
    the crop of a digit whose pieces were joined, a stroke broken by a pen skip or rough chalk,
    reads as the stroke it was (broken 6s on the generated pages were read 5 before)."""
    padded = np.pad(image, ((1, 1), (0, 0)))
    grown = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    padded = np.pad(grown, ((1, 1), (0, 0)), constant_values=1.0)
    return np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
