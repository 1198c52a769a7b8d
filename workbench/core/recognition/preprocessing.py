"""Grey photo or scan → clean ink map → the 28×28 MNIST-style input the network was trained on."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from workbench.core.recognition import imageops
from workbench.core.recognition.ruling import ruled_lines
from workbench.core.recognition.sheet import covered_by_sheet, sheet_on_table

MNIST_SIZE = 28
MNIST_BOX = 20  # MNIST digits were scaled to fit 20×20, then centred by mass in 28×28
MNIST_CENTRE = 14.0  # measured: the mean centre of mass of MNIST test digits is (14.0, 14.0)
MIN_CONTRAST = 0.08  # ink must differ from the paper by 8% of the paper's brightness
MIN_INK = 4.0  # to_mnist: less ink than four full pixels is no digit
_BBOX_LEVEL = 0.1  # faint anti-aliasing fringes do not widen the digit's box
_SEED_SIGMAS = 6.0  # a stroke must rise this far above the (smoothed) noise somewhere
_GROW_SIGMAS = 3.0
_SPECK_FRACTION = 0.05  # blobs smaller than this share of the largest blob are dirt …
_STROKE_REACH = 0.3  # … unless they span this share of a typical blob: a digit's thin stroke
_TREND_DEGREE = 2  # cubic: follows a vignette or a fall-off; far too stiff to follow a stroke
_LOCAL_SIGN_SIDE = 600  # photos this big (both sides) hold many digits: strokes are thin
_MIN_EXTENT = 6  # a digit spans at least this many pixels; smaller blobs alone are noise
_OVER_LINE = 2.0  # ink this many times a ruled line's contrast is a stroke along the line
_FINE_PAPER_SIDE = 256  # larger photos get a paper estimate that follows shadows (_paper)
_MIN_PAPER_SIDE = 64  # … made on an image at least this big
_MIN_BLOB = 25  # px (on a 512-px copy): smaller blobs are the noisy fringe of a stroke
_FINE_STROKES = 40  # strokes thinner than 1/40 of the photo's side: a page, not one digit
_EDGE_SPAN = 0.9  # a blob across this share of the photo's width or height …
_EDGE_FILL = 0.1  # … covering at most this share of its box is the sheet's edge (_sheet_edges)
_DIM_PAPER = 0.35  # paper this much darker than the page's is a table: no relative contrast
_SAMPLE_SIDE = 512  # the ink's side and the stroke width are judged on a copy this big


def ink_from_grey(grey: np.ndarray, *, covered: bool = False) -> np.ndarray:
    """Ink map in [0, 1] (1 = full ink, 0 = background) from grey luminance of either polarity.

    The paper (or board) is the majority of the image: its brightness is estimated at a coarse
    scale so uneven light cancels out, the ink is whatever departs from it on the minority side,
    and departures no bigger than the sensor noise are dropped. A uniform or pure-noise image
    gives all zeros.
    """
    grey = np.ascontiguousarray(grey, dtype=np.float32)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected a non-empty (H, W) grey image, got shape {grey.shape}")
    picture = Image.fromarray(grey)  # reduced three times: converted once
    tiny = imageops.median3(_downsample(grey, 64, picture))
    trend = _lighting_trend(tiny)
    # the ink's side and the stroke width are judged on a reduced copy
    sample = _downsample(grey, _SAMPLE_SIDE, picture)
    residual = sample - _upsample(trend, sample.shape)
    sign = _ink_sign(residual)
    if min(grey.shape) >= _LOCAL_SIGN_SIDE:
        # A shadow over most of a page leaves the lit part as the minority to a smooth trend:
        # against the local paper (the tiny image, no strokes left in it) the strokes decide.
        local = _ink_sign(sample - _upsample(tiny, sample.shape), decisive=3.0) if sign else 0
        # A sheet on a darker table that fills half the photo is "light ink" to the trend (or
        # the two balance), but in one piece, where chalk is many strokes: the table is
        # covered with the sheet's paper.
        if sign >= 0 and local == 0 and not covered:
            sheet = sheet_on_table(residual)
            if sheet is not None:
                return ink_from_grey(covered_by_sheet(grey, sheet), covered=True)
        sign = local or sign
    if sign == 0:
        return np.zeros_like(grey)
    # What the smooth trend misses (a shadow) is the envelope on the far side of the ink: a
    # closing fills dark strokes narrower than the window whatever share of it they cover. The
    # window (a quarter of the tiny image at most) is wider than any stroke, and narrow
    # enough to follow a shadow's edge.
    envelope = imageops.grey_closing if sign < 0 else imageops.grey_opening
    fine = max(grey.shape) > _FINE_PAPER_SIDE
    background = _paper(grey, picture, sample, trend, sign) if fine else None
    if background is None:
        window = max(3, min(max(tiny.shape) // 2, 15) | 1)
        background = trend + envelope(tiny - trend, window)
        background = _upsample(background, grey.shape)
    # Dark ink: relative to the local paper brightness, so a dim corner's ink counts as much as
    # a lit one's. Light ink: against the room above the board (1 - board); a division by a
    # dark board would give the darkest part four or five times the contrast of the rest.
    if sign < 0:
        raw = np.subtract(background, grey)
        # … but a black table beside the sheet is no dim paper: its grain is not magnified
        paper = float(imageops.median(background[:: _stride(background), :: _stride(background)]))
        raw /= np.maximum(background, max(0.05, _DIM_PAPER * paper))
    else:
        raw = np.subtract(grey, background)
        raw /= np.maximum(1.0 - background, 0.05)
    # the paper is the majority
    raw -= float(imageops.median(raw[:: _stride(raw), :: _stride(raw)]))
    mask, contrast, low = _ink_mask(raw)
    if mask is None:
        return np.zeros_like(grey)
    ink = (raw - 0.5 * low) / max(0.8 * contrast - 0.5 * low, 1e-6)
    keep = imageops.dilate(mask)  # keep anti-aliased edges of strokes
    return np.where(keep, np.clip(ink, 0.0, 1.0), 0.0).astype(np.float32)


def to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """28×28 float32 like an MNIST digit, or None when there is (almost) no ink.

    Crop to the ink, scale the longer side to 20 px with area averaging (MNIST is anti-aliased),
    scale the strongest stroke to full ink and put the centre of mass at (14, 14). Fast enough
    for the live drawing canvas. Stroke width is left alone: widening thin or thinning bold
    strokes towards MNIST's pen measured no better, or worse, on printed fonts.
    """
    ink = np.asarray(ink, dtype=np.float32)
    rows = np.flatnonzero(ink.max(axis=1) > _BBOX_LEVEL)
    if rows.size == 0:
        return None
    band = ink[rows[0] : rows[-1] + 1]
    cols = np.flatnonzero(band.max(axis=0) > _BBOX_LEVEL)
    crop = band[:, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = MNIST_BOX / max(height, width)
    new_h = max(1, min(MNIST_BOX, round(height * scale)))
    new_w = max(1, min(MNIST_BOX, round(width * scale)))
    if (new_h, new_w) != (height, width):
        filt = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
        image = Image.fromarray(np.ascontiguousarray(crop)).resize((new_w, new_h), filt)
        crop = np.asarray(image)
    peak = float(crop.max())
    if float(crop.sum()) * (height * width) / (new_h * new_w) < MIN_INK or peak <= 1e-3:
        return None  # area averaging keeps the mean: this is the ink of the full-size crop
    small = np.minimum(crop / peak, 1.0)  # hairlines averaged down to grey → full ink, like MNIST
    mass = float(small.sum())
    centre_y = float(small.sum(axis=1) @ np.arange(new_h)) / mass
    centre_x = float(small.sum(axis=0) @ np.arange(new_w)) / mass
    top = min(max(round(MNIST_CENTRE - centre_y), 0), MNIST_SIZE - new_h)
    left = min(max(round(MNIST_CENTRE - centre_x), 0), MNIST_SIZE - new_w)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    out[top : top + new_h, left : left + new_w] = small
    return out


def _paper(
    grey: np.ndarray, picture: Image.Image, sample: np.ndarray, trend: np.ndarray, sign: int
) -> np.ndarray | None:
    """The paper's brightness under the strokes, fine enough to follow a shadow's edge.

    The envelope on the far side of the ink (a closing for dark ink) with a window three
    stroke widths wide, taken where a stroke is about 1.5 px: strokes vanish, shadows wider
    than that stay (the stroke width is measured on `sample`, `grey` reduced; `picture` is
    `grey` as a PIL image). None when no stroke width can be measured, or when strokes are so
    wide (a digit filling the photo) that the coarse estimate already follows the light.
    """
    width = _stroke_width(sample, max(grey.shape) / max(sample.shape), trend, sign)
    if width is None or width > max(grey.shape) / _FINE_STROKES:
        return None
    scale = min(1.0, max(_MIN_PAPER_SIDE / max(grey.shape), 1.5 / width))
    medium = _downsample(grey, max(8, round(max(grey.shape) * scale)), picture)
    envelope = imageops.grey_closing if sign < 0 else imageops.grey_opening
    window = max(3, math.ceil(3.0 * width * medium.shape[0] / grey.shape[0]) | 1)
    lighting = _upsample(trend, medium.shape)
    enveloped = envelope(medium - lighting, window)
    # Smoothed, but never past the envelope: a blur carries a lit sheet's brightness over the
    # dark table beside it (or the lit paper over a hard shadow's edge), and the strip there
    # would read as ink.
    paper = (np.minimum if sign < 0 else np.maximum)(imageops.uniform(enveloped, window), enveloped)
    return _upsample(lighting + paper, grey.shape)


def _stroke_width(sample: np.ndarray, factor: float, trend: np.ndarray, sign: int) -> float | None:
    """Typical stroke width in pixels of an image `factor` times the `sample`: four times the
    mean distance to the paper inside each stroke blob of the sample, the median over blobs (a
    shadow is one blob, the strokes are many).

    Strokes stand four noise levels above the paper. A shadow over much of the page spreads the
    paper's values so far that its noise level hides the strokes: then the noise is the pixel
    to pixel noise alone."""
    ink = sign * (sample - _upsample(trend, sample.shape))
    ink -= float(imageops.median(ink))
    strong = 0.5 * float(imageops.percentile(ink, 99.5))
    width = _blob_width(ink > max(4.0 * _robust_sigma(ink), strong))
    if width is None:
        width = _blob_width(ink > max(4.0 * _pixel_noise(ink), strong))
    return None if width is None else max(1.0, width * factor)


def _blob_width(mask: np.ndarray) -> float | None:
    """Four times the median over blobs of the mask (a little closed) of their mean distance to
    the outside; None without blobs of _MIN_BLOB pixels."""
    mask = imageops.close(mask, iterations=2)  # a blocky or broken stroke stays whole
    parts = imageops.components(mask)
    if parts.count == 0 or mask.all():
        return None
    distance = imageops.distance_to_background(mask)
    sizes = np.bincount(parts.labels.ravel(), minlength=parts.count + 1)[1:]
    sums = np.bincount(parts.labels.ravel(), weights=distance.ravel(), minlength=parts.count + 1)
    means = (sums[1:] / np.maximum(sizes, 1))[sizes >= _MIN_BLOB]  # not the noisy fringe
    if means.size == 0:
        return None
    return 4.0 * float(imageops.percentile(means, 50))


def _lighting_trend(tiny: np.ndarray) -> np.ndarray:
    """A quadratic surface through the paper: light falling off across a page or a photo.

    Fitted with bisquare weights from the median outwards, so the ink (the minority, on
    whichever side) gets no say; image borders need no padding, unlike a filter.
    """
    height, width = tiny.shape
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    yy, xx = yy / max(height - 1, 1) - 0.5, xx / max(width - 1, 1) - 0.5
    powers = [(i, j) for i in range(_TREND_DEGREE + 1) for j in range(_TREND_DEGREE + 1 - i)]
    terms = np.stack([(xx**i * yy**j).ravel() for i, j in powers], axis=-1)
    values = tiny.ravel().astype(np.float64)
    fit = np.full_like(values, imageops.median(values))
    # Scale and outliers are set once, about the median: otherwise the surface creeps towards a
    # dark table around the sheet, bending a little more each round, and takes it for paper.
    scale = 2.5 * (1.4826 * imageops.median(np.abs(values - fit)) + 0.01)
    inliers = np.abs(values - fit) < scale
    for _ in range(6):
        weights = np.clip(1.0 - ((values - fit) / scale) ** 2, 0.0, None) * inliers  # √ bisquare
        weighted = terms * weights[:, None]  # normal equations: lstsq is slow on busy cores
        gram = weighted.T @ weighted + 1e-6 * np.eye(len(powers))
        coef = np.linalg.solve(gram, weighted.T @ (values * weights))
        fit = terms @ coef
    return fit.reshape(height, width).astype(np.float32)


def _ink_sign(sample: np.ndarray, decisive: float = 1.0) -> int:
    """+1 for light ink on a dark board, -1 for dark ink on paper, 0 for no ink at all, judged
    on the residual `sample` (the image less its paper, reduced).

    The ink side is the side with more mass beyond the noise: the paper is symmetric about zero.
    With `decisive` > 1, one side must outweigh the other that many times (else 0).
    """
    noise = _robust_sigma(sample)
    floor = 3.0 * noise + 0.5 * MIN_CONTRAST
    light = float(np.clip(sample - floor, 0, None).sum())
    dark = float(np.clip(-sample - floor, 0, None).sum())
    if max(light, dark) <= 1e-4 * sample.size * MIN_CONTRAST:
        return 0
    if max(light, dark) < decisive * min(light, dark):
        return 0
    return 1 if light > dark else -1


def _ink_mask(raw: np.ndarray) -> tuple[np.ndarray | None, float, float]:
    """Hysteresis mask of the strokes, the ink contrast, and the low (growing) threshold."""
    smooth = imageops.gaussian(raw, 1.0)  # averages sensor noise, keeps 2-px strokes
    noise = _robust_sigma(smooth[:: _stride(smooth), :: _stride(smooth)])
    seeds = smooth > max(_SEED_SIGMAS * noise, MIN_CONTRAST)
    if not seeds.any():
        return None, 0.0, 0.0
    contrast = float(imageops.percentile(smooth[seeds], 90))
    if contrast < MIN_CONTRAST:
        return None, 0.0, 0.0
    low = max(_GROW_SIGMAS * noise, 0.25 * contrast)
    high = max(_SEED_SIGMAS * noise, 0.5 * contrast)
    parts, sizes, seeded = _strokes(smooth, low, high)
    if sizes.max() == 0:
        return None, 0.0, 0.0
    edges = _sheet_edges(parts, sizes)
    if edges.any():  # the sheet's edge held on to the ends of its ruled lines: again without it
        parts, sizes, seeded = _strokes(np.where(edges[parts.labels], 0.0, smooth), low, high)
        edges = _sheet_edges(parts, sizes)
        if sizes.max() == 0:
            return None, 0.0, 0.0
    labels, count = parts.labels, parts.count
    # A dark table or a board's edge around the sheet must not make the digits look like dust.
    frames = ((imageops.border_touches(labels, count) >= 3) | edges) & seeded
    if frames.any() and (sizes[~frames] > 0).any():
        sizes[frames] = 0
    largest = int(sizes.argmax())
    if _extent(parts.boxes[largest - 1]) < _MIN_EXTENT:
        return None, 0.0, 0.0
    # Dirt is small and compact. A thin stroke broken off a digit (a 0's right side) can
    # weigh less than a twentieth of a bold digit on the same page, but it is long.
    extents = np.r_[0, np.maximum(*np.diff(parts.boxes.reshape(-1, 2, 2), axis=1)[:, 0].T)]
    big = sizes >= 0.15 * sizes[largest]  # the digits (or the one digit), not a touching pair
    long = extents >= _STROKE_REACH * float(imageops.median(extents[big]))
    keep = (sizes >= max(_SPECK_FRACTION * sizes[largest], 2)) | (long & (sizes >= 2))
    mask = keep[labels]
    contrast = float(imageops.percentile(raw[mask], 90))
    return mask, max(contrast, MIN_CONTRAST), low


def _strokes(
    smooth: np.ndarray, low: float, high: float
) -> tuple[imageops.Components, np.ndarray, np.ndarray]:
    """The blobs over `low` once ruled lines are gone, their sizes (0 unless some part of
    them is over `high`) and which are seeded so."""
    lines = ruled_lines(smooth > low)  # ruled or squared paper: lines are paper, not digits
    if lines is not None and lines.any():  # … unless far darker: a stroke along a line
        level = float(imageops.median(smooth[lines]))
        smooth = np.where(lines & (smooth < _OVER_LINE * level), 0.0, smooth)
    parts = imageops.components(smooth > low, diagonal=True)
    seeded = np.zeros(parts.count + 1, dtype=bool)
    seeded[parts.labels[smooth > high]] = True
    seeded[0] = False
    sizes = np.bincount(parts.labels.ravel(), minlength=parts.count + 1)
    sizes[~seeded] = 0
    return parts, sizes, seeded


def _sheet_edges(parts: imageops.Components, sizes: np.ndarray) -> np.ndarray:
    """Per label: the edge of the sheet against a darker table (what is left of it in the ink
    map: a thin band just inside the photo's border). It spans nearly all the photo's width or
    height, covers little of its box, and holds digits: three or more blobs of a fiftieth of
    its weight. A digit filling the photo has no such company."""
    height, width = parts.labels.shape
    boxes = parts.boxes  # y0, x0, y1, x1 per label 1..count
    spans = np.maximum((boxes[:, 3] - boxes[:, 1]) / width, (boxes[:, 2] - boxes[:, 0]) / height)
    fill = sizes[1:] / np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1)
    edges = np.zeros(len(sizes), dtype=bool)
    for label in np.flatnonzero((spans >= _EDGE_SPAN) & (fill <= _EDGE_FILL)) + 1:
        company = np.count_nonzero(sizes >= 0.02 * sizes[label]) - 1
        edges[label] = company >= 3
    return edges


def _extent(box: np.ndarray) -> int:
    y0, x0, y1, x1 = (int(v) for v in box)
    return max(y1 - y0, x1 - x0)


def _robust_sigma(values: np.ndarray) -> float:
    values = values.ravel()
    return float(1.4826 * imageops.median(np.abs(values - imageops.median(values)))) + 1e-4


def _pixel_noise(values: np.ndarray) -> float:
    """The noise of neighbouring pixels alone (from their differences): smooth light and
    shadows add nothing to it."""
    return _robust_sigma(np.diff(values, axis=1)) / math.sqrt(2.0)


def _stride(values: np.ndarray) -> int:
    return max(1, math.ceil(math.sqrt(values.size / 250_000)))  # samples of 250,000 at most


def _downsample(values: np.ndarray, longest: int, picture: Image.Image | None = None) -> np.ndarray:
    """`values` reduced to `longest` pixels on its longer side (`picture`: the same values as a
    PIL image, converted once for several reductions)."""
    height, width = values.shape
    factor = max(height, width) / longest
    if factor <= 1:
        return values
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    if picture is None:
        picture = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(picture.resize(size, Image.Resampling.BOX))


def _upsample(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if values.shape == shape:
        return values
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR))
