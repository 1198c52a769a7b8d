"""The non-MNIST figure: a model's score on the set, its cache on disk, and the model card."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from workbench.core import paths
from workbench.core.data.nonmnist import identity, non_mnist_set
from workbench.core.evaluation import nonmnist_score
from workbench.core.recognition.predictor import Predictor

COUNT = 30


def cache_files():
    return sorted((paths.home_dir() / "cache").glob("non-mnist-*.npz"))


def same_set(a, b) -> None:
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert list(a.styles) == list(b.styles)


def test_the_set_is_kept_on_disk_and_a_damaged_file_is_drawn_again():
    nonmnist_score._standard_set.cache_clear()
    drawn = nonmnist_score.standard_set(COUNT, 14)
    same_set(drawn, non_mnist_set(COUNT, 14))
    (path,) = cache_files()
    nonmnist_score._standard_set.cache_clear()
    same_set(nonmnist_score.standard_set(COUNT, 14), drawn)  # read back from the file
    path.write_bytes(path.read_bytes()[:500])  # truncated
    nonmnist_score._standard_set.cache_clear()
    same_set(nonmnist_score.standard_set(COUNT, 14), drawn)
    assert cache_files() == [path] and path.stat().st_size > 500  # written whole again
    nonmnist_score._standard_set.cache_clear()


def test_score_is_the_models_accuracy_and_survives_the_card():
    model = Predictor(paths.SHIPPED_MODEL, "cpu")
    score = nonmnist_score.score(model, COUNT)
    digits = non_mnist_set(COUNT, 14)
    right = model.predict(digits.images, activations=False).probabilities.argmax(1) == digits.labels
    assert (score.accuracy, score.n, score.correct) == (right.mean(), COUNT, right.sum())
    assert score.identity == identity(COUNT, 14)
    stored = nonmnist_score.stored_score(json.loads(json.dumps(score.to_json())))
    assert stored == score
    assert score.describe().startswith(f"accuracy {right.mean():.2%} of {COUNT} (non-mnist v")
    with pytest.raises(KeyError):
        nonmnist_score.stored_score({"accuracy": 0.5, "n": 3})


def test_the_model_card_carries_the_non_mnist_score(tmp_path, monkeypatch):
    from workbench.core.model.network import build_network
    from workbench.core.model.publish import write_model
    from workbench.core.model.spec import PRESETS

    # the standard set is 1,000 digits (10 s to draw); the card's figure works the same on 30
    monkeypatch.setattr(
        nonmnist_score, "score", functools.partial(nonmnist_score.score, count=COUNT)
    )
    net = build_network(PRESETS["lenet5"], seed=3).eval()
    card = write_model(net, tmp_path / "m.onnx", {}, None)
    expected = nonmnist_score.score(Predictor(tmp_path / "m.onnx", "cpu")).to_json()
    assert card["non_mnist"] == expected and card["non_mnist"]["n"] == COUNT
    assert json.loads((tmp_path / "m.json").read_text())["non_mnist"] == json.loads(
        json.dumps(expected)
    )
    assert Predictor(tmp_path / "m.onnx").model_card()["non_mnist"]["accuracy"] == pytest.approx(
        expected["accuracy"]
    )
