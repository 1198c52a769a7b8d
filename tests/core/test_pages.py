"""Whole pages: the generated page set read row by row, reading order, ruling, touching digits."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.core.data import pages, pen_digits
from workbench.core.paths import SHIPPED_MODEL
from workbench.core.recognition.images import load_grey, load_photo
from workbench.core.recognition.preprocessing import ink_from_grey
from workbench.core.recognition.reading import read_digits, read_photo
from workbench.core.recognition.rows import rows_of
from workbench.core.recognition.ruling import ruled_lines
from workbench.core.recognition.segmentation import WORK_PIXELS, split_digits

# Measured 133 of 135 (0.985) with the shipped model trained with stroked digits and the
# segmentation of this commit (113 of 135 before both, 126 before the network chose the cuts,
# 129 before it cut off touching 1s and joined strokes, 132 before broken strokes were closed).
# The target is 0.975; the floor sits below it (131 of 135) so that a change of one row's luck
# does not fail the suite.
REQUIRED_ROWS_EXACT = 0.97

# The set's pages (their digits, glyphs and layout) are the ones these tests were measured on
# only where its fonts are found; elsewhere the tests that read particular pages skip.
drawn_as_measured = pytest.mark.skipif(
    bool(pages.missing_fonts()),
    reason=f"page set fonts {pages.missing_fonts()} missing (Debian: {pages.FONT_PACKAGES})",
)


@pytest.fixture(scope="module")
def predictor():
    if not SHIPPED_MODEL.is_file():
        pytest.skip(f"no shipped model at {SHIPPED_MODEL}")
    from workbench.core.recognition.predictor import Predictor

    return Predictor(SHIPPED_MODEL, device="cpu")


@pytest.fixture(scope="module")
def sample():
    if pages.missing_fonts():
        pytest.skip(
            f"page set fonts {pages.missing_fonts()} missing (Debian: {pages.FONT_PACKAGES})"
        )
    return pages.page_set()


def _score(page: pages.PageSample, readings) -> list[bool]:
    return pages.score_rows(page, [r.box for r in readings], [r.top[0][0] for r in readings])


def _rows_read(page: pages.PageSample, predictor) -> list[bool]:
    """Which of the page's rows `workbench predict` reads exactly."""
    return _score(page, read_photo(page.jpeg, predictor, top=1))


def test_page_set_reads_row_by_row(predictor, sample):
    """Boards, ruled and squared paper, shadows, tilt, JPEG; 12 MP pages of 100 digits."""
    assert sum(p.size == (4000, 3000) for p in sample) == 3
    assert {p.kind for p in sample} == set(pages.KINDS)
    exact = total = 0
    for page in sample:
        rows = _rows_read(page, predictor)
        exact += sum(rows)
        total += len(rows)
    print(f"\npages: {exact} of {total} rows exact ({exact / total:.1%})")
    assert total >= 120
    assert exact / total >= REQUIRED_ROWS_EXACT


ROWS = Path(__file__).resolve().parents[1] / "data" / "rows"


@pytest.mark.parametrize("digits", ["2284590470", "7206129369"])
def test_digits_pressed_together_without_a_valley_are_cut(predictor, digits):
    """A row of a 12 MP board of the set (seed 18 page 23, seed 19 page 35), cut out and
    reduced as the split reduces that photo: "45" and "61" pressed together leave no valley in
    the column profile (read 8 unsurely); the second look cuts such a box at any column where
    the network reads both parts surely."""
    readings = read_photo(ROWS / f"board-{digits}.png", predictor, top=1)
    assert "".join(str(r.top[0][0]) for r in readings) == digits


def test_the_network_chooses_where_touching_digits_are_cut(predictor, sample):
    """Squared paper, an 8 run into a 0: the width rule cuts the pair through the 0 (read 8, 3);
    the second look tries the profile's other valleys and keeps the cut read best (8, 0)."""
    page = sample[34]
    assert page.rows[2] == (8, 0, 9, 0, 0)
    photo = load_photo(page.jpeg, at_most=WORK_PIXELS)
    without = split_digits(photo.grey, size=photo.size)
    guesses = predictor.predict(np.stack([c.image for c in without])).top(1)
    rows = pages.score_rows(page, [c.box for c in without], [g[0][0] for g in guesses])
    assert rows[2] is False
    assert _rows_read(page, predictor) == [True] * len(page.rows)


def test_page_set_is_reproducible_and_truthful():
    first = pages.page_set(3, seed=4, big_every=0)
    again = pages.page_set(3, seed=4, big_every=0)
    assert [p.jpeg for p in first] == [p.jpeg for p in again]
    for page in first:
        width, height = page.size
        assert load_grey(page.jpeg).shape == (height, width)
        assert [len(r) for r in page.rows] == [len(b) for b in page.boxes]
        for x, y, w, h in (b for row in page.boxes for b in row):
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height


def test_score_rows_counts_only_whole_rows():
    page = pages.PageSample(
        b"",
        ((1, 2), (3, 4)),
        (((0, 0, 10, 20), (20, 0, 10, 20)), ((0, 50, 10, 20), (20, 50, 10, 20))),
        "paper",
        (),
        (40, 80),
    )
    boxes = [(0, 0, 10, 20), (20, 0, 10, 20), (0, 50, 10, 20), (20, 50, 10, 20)]
    assert pages.score_rows(page, boxes, [1, 2, 3, 4]) == [True, True]
    assert pages.score_rows(page, boxes, [1, 7, 3, 4]) == [False, True]  # a misread digit
    assert pages.score_rows(page, boxes[1:], [2, 3, 4]) == [False, True]  # a missed digit
    fragment = [*boxes[:1], (2, 14, 4, 4), *boxes[1:]]
    assert pages.score_rows(page, fragment, [1, 1, 2, 3, 4]) == [False, True]
    interleaved = [boxes[0], boxes[2], boxes[1], boxes[3]]  # rows read out of order
    assert pages.score_rows(page, interleaved, [1, 3, 2, 4]) == [False, False]


def test_a_row_whose_heights_wander_stays_one_row():
    """Centres wander by half a digit: the old 'centre within the median band' split it."""
    boxes = [(x * 60, int(30 * np.sin(x)) + 100, 40, 60) for x in range(8)]
    assert rows_of(boxes) == [list(range(8))]


def test_rows_of_a_tilted_page_stay_apart_and_in_order():
    slope = np.tan(np.radians(10))
    boxes = []
    for row in range(3):
        for col in range(12):
            x = 60 * col
            boxes.append((x, int(400 + 130 * row - slope * x), 40, 60))  # rising to the right
    order = rows_of(boxes[::-1])  # any input order
    assert [sorted(len(boxes) - 1 - i for i in row) for row in order] == [
        list(range(r * 12, r * 12 + 12)) for r in range(3)
    ]


def test_ruled_lines_go_and_a_crossing_stroke_stays():
    mask = np.zeros((400, 600), dtype=bool)
    for y in range(40, 400, 60):  # ruled lines, 2 px thick
        mask[y : y + 2] = True
    mask[90:200, 300:306] = True  # a stroke crossing two lines
    lines = ruled_lines(mask)
    assert lines is not None
    assert lines[40:42, :250].all() and lines[340:342, 350:].all()
    assert not lines[90:200, 300:306].any()  # the stroke keeps every pixel
    single = np.zeros((28, 28), dtype=bool)
    single[4:24, 12:15] = True  # a '1' filling a small image is no ruling
    assert ruled_lines(single) is None


def test_where_grid_lines_cross_is_paper_and_a_stroke_through_a_cell_stays():
    """Squared paper: each line is beyond the other's edges where they cross; that is no stroke."""
    mask = np.zeros((400, 600), dtype=bool)
    for y in range(30, 400, 50):
        mask[y : y + 2] = True
    for x in range(25, 600, 50):
        mask[:, x : x + 2] = True
    mask[140:260, 240:246] = True  # a stroke crossing two horizontal lines inside one column
    lines = ruled_lines(mask)
    assert lines is not None
    assert lines[30:32, 25:27].all() and lines[330:332, 525:527].all()  # crossings
    assert (lines == (mask & ~np.pad(np.ones((120, 6), bool), ((140, 140), (240, 354))))).all()


def test_a_stroke_along_a_ruled_line_stays():
    """A 7 whose bar lies on a rule, drawn with a pen no wider than the rule but far darker."""
    rng = np.random.default_rng(1)
    grey = np.full((600, 900), 0.85, np.float32)
    for y in range(40, 600, 60):  # ruled lines, 2 px, light grey
        grey[y : y + 2] -= 0.3
    ink = np.zeros_like(grey)
    for left in range(120, 800, 110):
        ink[280:282, left : left + 50] = 1.0  # the bar, on the rule at y = 280
        for y in range(282, 360):  # the stem, down to the left
            x = left + 49 - (y - 282) // 3
            ink[y, x : x + 2] = 1.0
    grey = grey * (1.0 - 0.85 * ink) + rng.normal(0, 0.01, grey.shape).astype(np.float32)
    crops = split_digits(np.clip(grey, 0, 1))
    assert len(crops) == 7
    lefts = [crop.box[0] for crop in crops]
    assert lefts == [pytest.approx(x, abs=3) for x in range(120, 800, 110)]  # bars kept whole


def test_touching_digits_are_two_and_a_broken_digit_is_one():
    rng = np.random.default_rng(8)
    height = 80
    glyphs = [pen_digits.pen_digit(d, height, rng, pen=7) for d in (3, 0, 6, 5)]
    broken = pen_digits.pen_digit(5, height, rng, pen=7, pieces=2)
    canvas = np.zeros((160, 700), np.float32)
    x = 30
    for index, glyph in enumerate([*glyphs, broken]):
        h, w = glyph.shape
        view = canvas[40 : 40 + h, x : x + w]
        np.maximum(view, glyph, out=view)
        x += w - 4 if index == 0 else w + 40  # the 3 runs into the 0
    crops = split_digits(1.0 - 0.8 * canvas)
    assert len(crops) == 5


def test_a_wide_two_stays_one_digit_beside_touching_neighbours():
    """A 2 wider than tall is one digit; a pair that touches at a thin neck is still cut."""
    rng = np.random.default_rng(5)
    height = 80

    def drawn(digit: int, width: float) -> np.ndarray:
        glyph = Image.fromarray(pen_digits.pen_digit(digit, height, rng, pen=7))
        return np.asarray(glyph.resize((int(width), glyph.height), Image.Resampling.BILINEAR))

    digits = [drawn(d, 0.55 * height) for d in (4, 3, 0, 6, 8, 4)]  # writers' usual width
    wide = drawn(2, 1.1 * height)
    canvas = np.zeros((160, 1100), np.float32)
    x = 30
    for index, glyph in enumerate([digits[0], wide, *digits[1:]]):
        h, w = glyph.shape
        view = canvas[40 : 40 + h, x : x + w]
        np.maximum(view, glyph, out=view)
        x += w - 3 if index == 5 else w + 40  # the 8 runs into the last 4
    crops = split_digits(1.0 - 0.8 * canvas)
    assert len(crops) == 7
    assert crops[1].box[2] >= 0.9 * wide.shape[1]  # the 2, whole


def test_digits_under_a_narrow_shadow_are_found():
    """A shadow band a few digits wide across a page: the paper under it is still paper."""
    rng = np.random.default_rng(11)
    height, width = 900, 1200
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    band = np.clip(1.0 - np.abs(yy - 0.3 * xx - 250) / 160.0, 0.0, 1.0) ** 0.7
    paper = 0.85 * (1.0 - 0.5 * band)
    coverage = np.zeros((height, width), np.float32)
    truth = []
    for index, digit in enumerate((0, 4, 1, 7, 6, 9, 2, 5)):
        glyph = pen_digits.pen_digit(digit, 70, rng, pen=6)
        h, w = glyph.shape
        left, top = 150 + index * 110, 330 + (index % 2) * 150
        view = coverage[top : top + h, left : left + w]
        np.maximum(view, glyph, out=view)
        truth.append(digit)
    grey = paper * (1.0 - 0.8 * coverage) + rng.normal(0, 0.01, coverage.shape)
    crops = split_digits(np.clip(grey, 0, 1).astype(np.float32))
    assert len(crops) == len(truth)


def test_a_lone_line_far_taller_than_the_digits_is_no_one():
    """A margin rule or the sheet's edge, two and a half digits tall: not read as a 1."""
    rng = np.random.default_rng(4)
    canvas = np.zeros((500, 900), np.float32)
    for index, digit in enumerate((3, 1, 4, 1, 5)):
        glyph = pen_digits.pen_digit(digit, 80, rng, pen=7)
        h, w = glyph.shape
        view = canvas[200 : 200 + h, 150 + index * 120 : 150 + index * 120 + w]
        np.maximum(view, glyph, out=view)
    canvas[20:420, 60:66] = 1.0  # a straight line 400 px tall
    crops = split_digits(1.0 - 0.8 * canvas)
    assert [c.box[0] >= 140 for c in crops] == [True] * 5


@drawn_as_measured
@pytest.mark.parametrize("seed", [19, 22])
def test_grid_lines_cut_short_by_the_photo_edges_are_not_digits(seed):
    """Tilted squared paper: the lines through the photo's corners are short pieces, not 1s."""
    rng = np.random.default_rng(seed)
    page = pages.make_page(rng, "squared", pages.page_fonts(), (1700, 1170), 1, (8, 8))
    crops = split_digits(load_grey(page.jpeg))
    assert len(crops) == 8
    for x, y, w, h in (c.box for c in crops):  # none at the photo's edges
        assert x > 0 and y > 0 and x + w < 1700 and y + h < 1170


@pytest.mark.parametrize(
    "name",
    ["blank", "ruled-only", "all-ink", "specks", "strip", "column", "cut-by-edge"],
)
def test_bad_pages_give_a_clear_answer_quickly(name):
    rng = np.random.default_rng(3)
    if name == "blank":
        grey = np.full((1500, 2000), 0.9, np.float32)
    elif name == "ruled-only":
        grey = np.full((1500, 2000), 0.9, np.float32)
        grey[::45] = 0.5
        grey[1::45] = 0.5
    elif name == "all-ink":
        grey = np.zeros((800, 800), np.float32)
    elif name == "specks":
        grey = np.full((1200, 1600), 0.9, np.float32)
        for y, x in rng.integers(0, (1196, 1596), (300, 2)):
            grey[y : y + 3, x : x + 3] = 0.1
    elif name == "strip":
        grey = rng.random((1, 500)).astype(np.float32)
    elif name == "column":
        grey = rng.random((500, 1)).astype(np.float32)
    else:  # a row of digits, the last cut in half by the right edge
        canvas = np.zeros((120, 400), np.float32)
        for index, digit in enumerate((2, 7, 4)):
            glyph = pen_digits.pen_digit(digit, 70, rng, pen=6)
            h, w = glyph.shape
            left = 40 + 150 * index
            visible = canvas[25 : 25 + h, left : min(left + w, 400)]
            np.maximum(visible, glyph[:, : visible.shape[1]], out=visible)
        grey = 1.0 - 0.8 * canvas
    start = time.perf_counter()
    crops = split_digits(grey)
    assert time.perf_counter() - start < 10.0
    if name == "cut-by-edge":
        assert 2 <= len(crops) <= 3
    elif name in ("blank", "ruled-only", "all-ink", "strip", "column"):
        assert crops == []
    else:
        assert len(crops) <= 10  # dust is not a page of digits
    for crop in crops:
        assert crop.image.shape == (28, 28) and np.isfinite(crop.image).all()


def test_predict_reads_a_page_without_importing_scipy_or_torch(tmp_path):
    """`workbench predict` starts fast: scipy's import alone cost it a fifth of a second."""
    import json
    import subprocess
    import sys

    page = pages.page_set(3, seed=15)[2]
    path = tmp_path / "page.jpg"
    path.write_bytes(page.jpeg)
    script = (
        "import json, sys\nfrom workbench.cli import main\n"
        f"code = main(['predict', '--json', {str(path)!r}])\n"
        "print(json.dumps({'code': code, 'loaded': sorted(n for n in ('scipy', 'torch') "
        "if n in sys.modules)}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    *result, status = done.stdout.strip().splitlines()
    assert json.loads(status) == {"code": 0, "loaded": []}
    digits = "".join(str(d["top"][0]["digit"]) for d in json.loads(result[0])["digits"])
    assert digits == "".join("".join(map(str, row)) for row in page.rows)


def test_a_thin_stroke_is_ink_where_a_speck_of_its_weight_is_dirt():
    """On a page of bold digits a thin stroke broken off a digit (a 0's right side) weighs less
    than a twentieth of the largest blob, like a speck of dirt; but it is long."""
    rng = np.random.default_rng(0)
    grey = np.full((400, 600), 0.9, np.float32)
    for left in (50, 150, 250, 350):  # bold rings, 2,300 px each
        grey[100:170, left : left + 45] = 0.15
        grey[115:155, left + 12 : left + 33] = 0.9
    grey[300:330, 100:102] = 0.3  # a thin stroke, 60 px
    grey[300:308, 300:308] = 0.3  # a speck, 64 px
    ink = ink_from_grey(grey + rng.normal(0, 0.01, grey.shape).astype(np.float32))
    assert ink[300:330, 100:102].min() > 0.5
    assert ink[296:312, 296:312].max() == 0.0
    assert ink[100:170, 50:95].max() == 1.0


@pytest.mark.parametrize(
    ("seed", "pair"), [(0, (1, 4)), (0, (8, 1)), (0, (1, 3)), (2, (1, 4)), (4, (1, 4))]
)
def test_a_one_touching_its_neighbour_is_cut_off(predictor, seed, pair):
    """A 1 run into a 4 (or an 8 into a 1) makes one box that the network reads surely as the
    4: the split alone gives five boxes for six digits; the second look finds the 1."""
    rng = np.random.default_rng(seed)
    row = (2, 5, *pair, 7, 0)
    canvas = np.zeros((160, 900), np.float32)
    x = 30
    for index, digit in enumerate(row):
        glyph = pen_digits.pen_digit(digit, 80, rng, pen=7)
        h, w = glyph.shape
        view = canvas[40 : 40 + h, x : x + w]
        np.maximum(view, glyph, out=view)
        x += w - 2 if index == 2 else w + 40  # the pair touches
    grey = 1.0 - 0.8 * canvas
    assert len(split_digits(grey)) == 5
    readings = read_digits(grey, predictor, top=1)
    assert [r.top[0][0] for r in readings] == list(row)


@pytest.mark.parametrize(
    ("index", "row", "what"),
    [
        (17, 0, "an open 4 in two strokes, its pieces too tall to merge: joined"),
        (29, 0, "a 1 run into a 6, read surely as one 6: cut off"),
        (35, 2, "a 0 whose thin right side weighs less than a twentieth of a bold digit"),
    ],
)
def test_page_set_rows_that_the_second_look_and_the_ink_map_mend(
    predictor, sample, index, row, what
):
    page = sample[index]
    assert _rows_read(page, predictor)[row], what


@pytest.mark.parametrize(
    ("index", "share", "digits"),
    [
        (5, 0.9, [8, 5, 7, 2, 1]),
        (13, 0.9, [4, 9, 8, 7, 7, 9, 3, 6, 8, 4, 8, 1, 0, 0]),
        (0, 0.6, [9, 6, 9, 4, 5, 2, 5, 4]),
    ],
)
@drawn_as_measured
def test_a_sheet_on_a_darker_table_is_read_inside_its_edge(predictor, index, share, digits):
    """Sheets photographed on a grainy wooden table, the sheet `share` of each side.
    The paper's brightness was blurred over the table beside the sheet, whose grain then read
    as ink: a band along the edge. Whole (page 5), taken for the weight of a digit, it set
    what counts as dust, its pieces read as more digits; in grains (page 13), a row of junk
    digits. The paper is now never brighter than its envelope, and the band is no digit.
    Where the table is most of the photo (page 0), the sheet was read as chalk on a board,
    "light ink" in one piece: the table is now covered with the sheet's paper first."""
    page = pages.page_set(index + 1, 20, big_every=1000)[index]
    assert [d for row in page.rows for d in row] == digits
    sheet = Image.open(io.BytesIO(page.jpeg)).convert("RGB")
    width, height = sheet.size
    outer = (int(width / share), int(height / share))
    grain = np.random.default_rng(0).normal(0, 12, (outer[1], outer[0], 1))
    photo = Image.fromarray((np.array([120, 85, 50]) + grain).clip(0, 255).astype(np.uint8))
    photo.paste(sheet, ((outer[0] - width) // 2, (outer[1] - height) // 2))
    data = io.BytesIO()
    photo.save(data, "JPEG", quality=85)
    readings = read_photo(data.getvalue(), predictor, top=1)
    assert [r.top[0][0] for r in readings] == digits


@drawn_as_measured
def test_two_digits_run_together_read_surely_as_one_are_cut(predictor, monkeypatch):
    """Plain paper (seed 17, page 16): a 4 run into a 9, one box the network reads as a 4 with
    0.95. Cut in two, each part reads with 0.97 or more and the pair is likelier than the whole."""
    from workbench.core.recognition import second_look

    page = pages.page_set(17, 17)[16]
    assert page.rows[1] == (8, 4, 9, 4, 9, 5, 9, 2)

    def rows_read() -> list[bool]:
        return _rows_read(page, predictor)

    assert rows_read() == [True, True]
    monkeypatch.setattr(second_look, "_run_together", lambda *args: None)
    assert rows_read() == [True, False]


@drawn_as_measured
def test_a_one_run_into_a_digit_read_unsurely_is_cut_off(predictor, monkeypatch):
    """Squared paper (seed 18, page 22): a 6 run into a 1, one box read as 2 with 0.6. The 1
    cut off reads 1 and the rest 6, both surely: the box is two digits though the whole was
    read as no digit in particular."""
    from workbench.core.recognition import second_look

    page = pages.page_set(23, 18)[22]
    assert page.rows[1] == (6, 1, 7)

    def row_read() -> bool:
        return _rows_read(page, predictor)[1]

    assert row_read()
    monkeypatch.setattr(second_look, "UNSURE_ONE", 1.01)  # only a surely read box: as before
    assert not row_read()


@drawn_as_measured
def test_a_shadow_over_half_a_lined_page_leaves_no_ink_at_its_edge(predictor, monkeypatch):
    """Lined paper (seed 18, page 33) half in a soft shadow: against a page-wide light trend the
    shadow spreads the paper's values so far that no stroke stands four noise levels above it.
    The pixel-to-pixel noise measures the strokes, the paper follows the shadow's edge, and the
    page reads as its 14 digits, not 30 with the edge's speckle."""
    from workbench.core.recognition import preprocessing

    page = pages.page_set(34, 18)[33]
    assert page.rows == ((5, 5, 9, 7, 7, 2, 5, 0), (6, 6, 3, 3, 1, 3))

    def read() -> tuple[int, list[bool]]:
        readings = read_photo(page.jpeg, predictor, top=1)
        return len(readings), _score(page, readings)

    assert read() == (14, [True, True])
    monkeypatch.setattr(preprocessing, "_pixel_noise", lambda values: float("inf"))
    count, rows = read()
    assert count > 20 and not any(rows)


@drawn_as_measured
def test_an_open_four_whose_stroke_stands_apart_is_joined(predictor, monkeypatch):
    """Lined paper (seed 17, page 21): an open 4 whose left stroke stands a little apart, read
    as 1 and as 4 with 0.73. The two are close and one was read unsurely: together they read
    4 surely, so they are one digit."""
    from workbench.core.recognition import second_look

    page = pages.page_set(22, 17)[21]
    assert page.rows[2] == (7, 2, 5, 4, 4, 2, 5, 2)

    def row_read() -> bool:
        return _rows_read(page, predictor)[2]

    assert row_read()
    monkeypatch.setattr(second_look, "JOIN_GAP", 0.0)  # only neighbours that touch: as before
    assert not row_read()
