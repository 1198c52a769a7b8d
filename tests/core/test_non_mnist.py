"""The shipped model on printed digits that look nothing like MNIST: preprocessing + network."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from workbench.core.data import synth
from workbench.core.paths import SHIPPED_MODEL
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist
from workbench.core.recognition.reading import read_digits

pytestmark = pytest.mark.skipif(
    not SHIPPED_MODEL.is_file(), reason=f"no shipped model at {SHIPPED_MODEL} yet"
)
CORPUS_SIZE = 600
REQUIRED_ACCURACY = 0.97


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
