"""Single digits through the `predict` path: MNIST test PNGs and the non-MNIST set, read_digits.

Every MNIST test image is encoded as a PNG (as saved to a file) and read by `read_photo` with
the shipped model, exactly as `workbench predict` does. A digit counts as
right when exactly one digit comes back and it is the label. The non-MNIST set is the synthetic
corpus of `core.data.synth` (through `to_mnist(ink_from_grey(...))`, as test_non_mnist, and
through `read_digits`). Needs WORKBENCH_DATA (or --data-dir) pointing at MNIST.

    PYTHONPATH=. python scripts/single_digits_through_predict.py [--limit N] [--save DIR]
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from workbench.core import paths
from workbench.core.data import synth
from workbench.core.data.mnist import load_split
from workbench.core.recognition.predictor import Predictor
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist
from workbench.core.recognition.reading import read_digits, read_photo


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def mnist_figure(predictor, folder, limit: int | None, save: Path | None) -> dict:
    images, labels = load_split(folder, "test")
    if limit:
        images, labels = images[:limit], labels[:limit]
    right = counts_wrong = 0
    start = time.perf_counter()
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        data = _png(image)
        if save is not None:
            (save / f"{index:05d}_{label}.png").write_bytes(data)
        readings = read_photo(data, predictor, top=1)
        if len(readings) != 1:
            counts_wrong += 1
        elif readings[0].top[0][0] == int(label):
            right += 1
    return {
        "n": len(images),
        "accuracy": right / len(images),
        "not_one_digit": counts_wrong,
        "seconds": time.perf_counter() - start,
    }


def non_mnist_figure(predictor, count: int = 600, seed: int = 2024) -> dict:
    samples = synth.digit_corpus(count, seed=seed)
    labels = np.array([s.label for s in samples])
    images = []
    via_read = 0
    for sample in samples:
        grey = sample.grey.astype(np.float32) / 255.0
        image = to_mnist(ink_from_grey(grey))
        images.append(np.zeros((28, 28), np.float32) if image is None else image)
        readings = read_digits(grey, predictor, top=1)
        via_read += len(readings) == 1 and readings[0].top[0][0] == sample.label
    guesses = predictor.predict(np.stack(images)).probabilities.argmax(axis=1)
    return {
        "n": count,
        "to_mnist_accuracy": float((guesses == labels).mean()),
        "read_digits_accuracy": via_read / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--save", type=Path, default=None, help="also write the PNGs here")
    parser.add_argument("--skip-mnist", action="store_true")
    args = parser.parse_args()
    predictor = Predictor(paths.SHIPPED_MODEL, device="cpu")
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    print("non-MNIST:", non_mnist_figure(predictor))
    if not args.skip_mnist:
        print(
            "MNIST test:",
            mnist_figure(predictor, paths.data_dir(args.data_dir), args.limit, args.save),
        )


if __name__ == "__main__":
    main()
