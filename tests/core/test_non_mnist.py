"""The shipped model on digits that look nothing like MNIST: fonts, code-drawn pens, bad scans."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from workbench.core.data import nonmnist, strokes, synth
from workbench.core.paths import SHIPPED_MODEL
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist
from workbench.core.recognition.reading import read_digits

pytestmark = pytest.mark.skipif(
    not SHIPPED_MODEL.is_file(), reason=f"no shipped model at {SHIPPED_MODEL} yet"
)
CORPUS_SIZE = 600
REQUIRED_ACCURACY = 0.97
# Today's shipped model on the standard set (1000 digits, seed 14): 0.963 with the Debian
# handwriting and printed fonts installed here, 0.947 on a machine with none (code-drawn
# strokes and Pillow's font, whose 1 it reads as 7).
NON_MNIST_FLOOR = 0.92


@pytest.fixture(scope="module")
def predictor():
    from workbench.core.recognition.predictor import Predictor

    return Predictor(SHIPPED_MODEL, device="cpu")


def test_accuracy_on_synthetic_printed_digits(predictor):
    samples = synth.digit_corpus(CORPUS_SIZE, seed=2024)
    images = []
    for sample in samples:
        image = to_mnist(ink_from_grey(sample.grey.astype(np.float32) / 255.0))
        images.append(np.zeros((28, 28), np.float32) if image is None else image)
    guesses = predictor.predict(np.stack(images)).probabilities.argmax(axis=1)
    correct = guesses == np.array([s.label for s in samples])
    by_variation = collections.defaultdict(list)
    for sample, ok in zip(samples, correct, strict=True):
        by_variation[sample.variation].append(ok)
    report = ", ".join(f"{k} {np.mean(v):.3f}" for k, v in sorted(by_variation.items()))
    print(f"\nnon-MNIST accuracy {correct.mean():.4f} on {len(samples)} digits ({report})")
    assert correct.mean() >= REQUIRED_ACCURACY


@pytest.mark.parametrize("invert", [False, True])
def test_rows_read_back_complete_and_in_order(predictor, invert):
    rng = np.random.default_rng(10 + invert)
    fonts = [f for f in synth.available_fonts() if f is None or "Sans" in f]
    wrong = 0
    for index in range(8):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(3, 8)))]
        grey, _ = synth.render_row(
            digits,
            fonts[index % len(fonts)],
            int(rng.integers(24, 90)),
            rng,
            invert=invert,
            rotate=6.0,
            noise=0.02,
            uneven=bool(index % 2),
        )
        readings = read_digits(grey.astype(np.float32) / 255.0, predictor, top=2)
        assert len(readings) == len(digits)
        assert all(len(r.top) == 2 and r.top[0][1] >= r.top[1][1] for r in readings)
        wrong += sum(r.top[0][0] != d for r, d in zip(readings, digits, strict=True))
    assert wrong <= 1  # of about 40 digits


def test_blank_photo_reads_nothing(predictor):
    assert read_digits(np.ones((200, 300), np.float32), predictor) == []


def test_shipped_model_on_the_non_mnist_set(predictor):
    images, labels, styles = nonmnist.non_mnist_set()  # the standard set: 1000 digits
    correct = predictor.predict(images).probabilities.argmax(axis=1) == labels
    by_source = nonmnist.accuracy_by(styles, correct)
    pen = [i for i, style in enumerate(styles) if nonmnist.source_of(style) == "pen"]
    by_variant = nonmnist.accuracy_by([styles[i] for i in pen], correct[pen], nonmnist.detail_of)
    unusual = nonmnist.accuracy_by(
        styles, correct, lambda s: "unusual" if nonmnist.is_unusual(s) else "common"
    )
    lines = [f"non-MNIST set v{nonmnist.VERSION}: {correct.mean():.4f} on {len(labels)} digits"]
    lines += [
        f"  {name:12s} {acc:.3f} ({n})" for name, (acc, n) in {**by_source, **unusual}.items()
    ]
    lines += [f"  pen {name:14s} {acc:.3f} ({n})" for name, (acc, n) in by_variant.items()]
    print("\n" + "\n".join(lines))
    assert set(by_source) >= {"pen", "square", "lowres", "font-print"}
    assert correct.mean() >= NON_MNIST_FLOOR


def test_non_mnist_set_is_reproducible_balanced_and_in_mnist_form():
    images, labels, styles = nonmnist.non_mnist_set(200, seed=3)
    assert images.shape == (200, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [20] * 10
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert (images.reshape(200, -1).max(axis=1) > 0.99).all()  # every digit found and scaled
    # The same seed draws the same digits, and a longer set starts with them: figures on
    # 1000 digits include those on 200. Another seed draws others.
    longer = nonmnist.non_mnist_renders(210, seed=3)
    assert [r.style for r in longer[:200]] == styles
    for row in (0, 57, 199):
        grey = longer[row].grey.astype(np.float32) / 255.0
        assert np.array_equal(to_mnist(ink_from_grey(grey)), images[row])
    other = nonmnist.non_mnist_renders(40, seed=4)
    assert not all(np.array_equal(a.grey, b.grey) for a, b in zip(other, longer, strict=False))
    sources = collections.Counter(nonmnist.source_of(s) for s in styles)
    assert sources["pen"] >= 80 and sources["square"] >= 30 and sources["lowres"] >= 30
    # The stroked share covers every skeleton's digit, the unusual forms included.
    drawn = {nonmnist.detail_of(s) for s in styles if nonmnist.source_of(s) == "pen"}
    assert {strokes.variant_label(v) for v in drawn} == set(range(10))
    assert drawn & strokes.UNUSUAL


def test_square_box_digits_fill_the_box_and_low_res_ones_are_blurred():
    renders = nonmnist.non_mnist_renders(400, seed=5)
    sharpness = collections.defaultdict(list)
    for render in renders:
        assert render.grey.dtype == np.uint8 and render.grey.ndim == 2
        grey = render.grey.astype(np.float32) / 255.0
        edge = np.abs(np.diff(grey, axis=1)).max() / max(float(grey.max() - grey.min()), 1e-6)
        sharpness[nonmnist.source_of(render.style)].append(edge)
        if nonmnist.source_of(render.style) != "square" or render.style.endswith(":1-stick"):
            continue
        ink = to_mnist(ink_from_grey(grey))
        rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
        height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        assert min(height, width) >= 0.7 * max(height, width), render.style
    assert len(sharpness["square"]) == 60
    assert np.median(sharpness["lowres"]) < 0.6 * np.median(sharpness["pen"])


def test_both_polarities_read_the_same():
    dark = nonmnist.non_mnist_renders(30, seed=6, invert=1.0)
    light = nonmnist.non_mnist_renders(30, seed=6, invert=0.0)
    for a, b in zip(dark, light, strict=True):
        assert a.style == b.style + ":inverted" and a.label == b.label
        assert np.median(a.grey) < 128 < np.median(b.grey)  # a board, then paper


def test_set_builds_without_any_installed_font(monkeypatch, tmp_path):
    with_fonts = nonmnist.non_mnist_renders(80, seed=7)
    bare = nonmnist.identity(fonts=False)
    monkeypatch.setattr(synth, "SYSTEM_FONT_ROOTS", (tmp_path,))
    monkeypatch.setattr(synth.importlib.util, "find_spec", lambda name: None)
    assert nonmnist.fonts_used() == {"font-hand": [], "font-print": []}
    assert nonmnist.identity() == bare and bare["printed_fonts"] == 1
    assert bare["count"] == nonmnist.STANDARD_COUNT and bare["version"] == nonmnist.VERSION
    renders = nonmnist.non_mnist_renders(200, seed=7)
    styles = [r.style for r in renders]
    # The stroked digits are the same as on a machine with fonts.
    assert all(
        np.array_equal(a.grey, b.grey) for a, b in zip(renders[:80], with_fonts, strict=True)
    )
    sources = {nonmnist.source_of(s) for s in styles}
    assert "font-hand" not in sources and "pen" in sources
    assert {nonmnist.detail_of(s) for s in styles if s.startswith("font-print")} == {
        "pillow-default"
    }


@pytest.mark.parametrize("variant", sorted(strokes.SKELETONS))
def test_every_pen_skeleton_draws_a_digit(variant):
    first = strokes.pen_digit(variant, 48, np.random.default_rng(1))
    again = strokes.pen_digit(variant, 48, np.random.default_rng(1))
    assert np.array_equal(first, again)
    assert first.dtype == np.float32 and first.max() == pytest.approx(1.0, abs=0.02)
    assert 30 <= first.shape[0] <= 90 and first.shape[1] >= 3
    assert 0.0 < (first > 0.5).mean() < 0.6  # strokes, not a blob


def test_bad_requests_say_what_is_wrong():
    with pytest.raises(ValueError, match="no pen style"):
        strokes.pen_digit("4-backwards", 40, np.random.default_rng(0))
    with pytest.raises(ValueError, match="share"):
        nonmnist.non_mnist_renders(5, invert=1.5)
    with pytest.raises(ValueError, match="source"):
        nonmnist.glyph(3, "crayon", np.random.default_rng(0))
    assert nonmnist.non_mnist_set(0).images.shape == (0, 28, 28)


def test_stroked_training_digits_are_mnist_form_and_apart_from_the_validation_set():
    seed = 7  # the non-MNIST choice set's seed
    images, labels = nonmnist.stroked_training_set(60, seed=seed)
    again, _ = nonmnist.stroked_training_set(60, seed=seed)
    assert images.shape == (60, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, again)
    assert labels.tolist() == [i % 10 for i in range(60)]
    assert all(image.max() == 255 for image in images)  # every digit drawn, strongest stroke full
    for image in images:  # MNIST's 20-px box
        rows, cols = np.flatnonzero(image.max(axis=1)), np.flatnonzero(image.max(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 20
    # the same seed as a validation set never draws the same digit
    validation = nonmnist.non_mnist_set(60, seed, fonts=False).images
    assert not np.allclose(images / 255.0, validation, atol=0.1)
    with pytest.raises(ValueError, match="count"):
        nonmnist.stroked_training_set(-1, seed=1)
