"""A model's accuracy on the non-MNIST digits: the figure next to MNIST in bench, card and view."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench import __version__
from workbench.core.data import nonmnist
from workbench.core.data.nonmnist import STANDARD_COUNT, STANDARD_SEED, NonMnistSet

log = logging.getLogger(__name__)
_lock = threading.Lock()  # the view's job, an export and the main thread may all ask at once

DESCRIPTION = (
    "Digits that are not from MNIST: stroked by code in styles MNIST rarely has (European 1s, "
    "open 4s and 9s, crossed 7s), handwriting-style and printed fonts, digits stretched to fill "
    "a square box and blurred low-resolution scans, all read through the app's preprocessing."
)


@dataclass(frozen=True)
class NonMnistScore:
    accuracy: float
    n: int
    correct: int
    identity: dict[str, Any]  # nonmnist.identity(): what the figure was measured on
    by_source: dict[str, tuple[float, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The model card's and bench's "non_mnist" entry."""
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "identity": self.identity,
            "by_source": {name: {"accuracy": a, "n": n} for name, (a, n) in self.by_source.items()},
        }

    def describe(self) -> str:
        """`accuracy 96.30 % of 1,000 (non-mnist v1, seed 14, fonts 8c6805d4d27e)`."""
        return f"accuracy {self.accuracy:.2%} of {self.n:,} ({describe_identity(self.identity)})"


def describe_identity(identity: dict[str, Any]) -> str:
    return (
        f"{identity.get('name', 'non-mnist')} v{identity.get('version', '?')}, "
        f"seed {identity.get('seed', '?')}, fonts {identity.get('fonts_digest', '?')}"
    )


def stored_score(entry: dict[str, Any]) -> NonMnistScore:
    """The score kept in a model card's "non_mnist" entry; KeyError/TypeError/ValueError if bad."""
    accuracy, n = float(entry["accuracy"]), int(entry["n"])
    by_source = {
        str(name): (float(row["accuracy"]), int(row["n"]))
        for name, row in dict(entry.get("by_source") or {}).items()
    }
    return NonMnistScore(accuracy, n, round(accuracy * n), dict(entry["identity"]), by_source)


def score(predictor, count: int = STANDARD_COUNT, seed: int = STANDARD_SEED) -> NonMnistScore:
    """The predictor's accuracy on the set of `count` digits drawn with `seed` (the standard
    one by default: 1,000 digits, seed 14)."""
    return score_with(predictor, standard_set(count, seed), nonmnist.identity(count, seed))


def score_with(predictor, digits: NonMnistSet, identity: dict[str, Any]) -> NonMnistScore:
    """The predictor's accuracy on `digits`, reported as measured on `identity`."""
    if len(digits.labels) == 0:
        raise ValueError("no non-MNIST digits to score")
    probabilities = predictor.predict(digits.images, activations=False).probabilities
    correct = probabilities.argmax(axis=1) == digits.labels
    return NonMnistScore(
        float(correct.mean()),
        len(correct),
        int(correct.sum()),
        identity,
        nonmnist.accuracy_by(digits.styles, correct),
    )


def standard_set(count: int = STANDARD_COUNT, seed: int = STANDARD_SEED) -> NonMnistSet:
    """`nonmnist.non_mnist_set(count, seed)`, drawn once per process and kept on disk.

    Drawing 1,000 digits takes about 10 s on two cores; the file in the user data folder's
    cache is named by the set's identity and a digest of the code that draws it, so a new
    font or recipe draws it again, and a damaged file is silently drawn again too.
    """
    with _lock:
        return _standard_set(count, seed)


@functools.lru_cache(maxsize=4)
def _standard_set(count: int, seed: int) -> NonMnistSet:
    from workbench.core import paths

    key = _cache_key(count, seed)
    path = paths.home_dir() / "cache" / f"non-mnist-{key}.npz"
    cached = _read_cache(path, count)
    if cached is not None:
        return cached
    digits = nonmnist.non_mnist_set(count, seed)
    try:
        _write_cache(path, digits)
    except OSError as exc:  # a read-only or full home: draw it again next time
        log.warning("could not keep the non-MNIST set in %s: %s", path, exc)
    return digits


def _cache_key(count: int, seed: int) -> str:
    from workbench.core.data import strokes, synth
    from workbench.core.recognition import preprocessing

    digest = hashlib.sha256()
    digest.update(repr(sorted(nonmnist.identity(count, seed).items())).encode())
    digest.update(__version__.encode())
    for module in (nonmnist, strokes, synth, preprocessing):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _read_cache(path: Path, count: int) -> NonMnistSet | None:
    try:
        # np.load leaves a file it cannot read open: the file is ours to close
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            images = np.asarray(data["images"], dtype=np.float32)
            labels = np.asarray(data["labels"], dtype=np.int64)
            styles = [str(s) for s in data["styles"]]
    except FileNotFoundError:
        return None
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # damaged
        log.info("drawing the non-MNIST set again: %s is unreadable (%s)", path, exc)
        return None
    shapes_ok = images.shape == (count, 28, 28) and labels.shape == (count,) == (len(styles),)
    if not shapes_ok or not np.isfinite(images).all():
        return None
    return NonMnistSet(images, labels, styles)


def _write_cache(path: Path, digits: NonMnistSet) -> None:
    from workbench.core.fileio import atomic_writer

    with atomic_writer(path, "wb") as handle:
        np.savez(handle, images=digits.images, labels=digits.labels, styles=np.array(digits.styles))
