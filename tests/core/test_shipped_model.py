"""The shipped LeNet-5: present, self-describing, and as accurate as its card says on real MNIST."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.cli import main
from workbench.core import paths
from workbench.core.model.anatomy import anatomy
from workbench.core.recognition.predictor import Predictor
from workbench.core.training.config import TrainConfig

pytestmark = pytest.mark.skipif(not paths.SHIPPED_MODEL.is_file(), reason="no shipped model yet")


def test_shipped_model_and_card_describe_a_classic_lenet5():
    predictor = Predictor(paths.SHIPPED_MODEL, device="cpu")
    assert predictor.spec.name == "lenet5" and anatomy(predictor.spec).parameters == 61_706
    card = json.loads(paths.SHIPPED_MODEL.with_suffix(".json").read_text())
    assert card["test"]["n"] == 10_000 and card["test"]["accuracy"] >= 0.994
    assert np.array(card["test"]["confusion"]).sum() == 10_000
    assert card["export"]["argmax_agreement"] == 1.0
    assert TrainConfig.from_dict(card["recipe"]).augmented and card["history"]
    assert predictor.model_card()["test"]["accuracy"] == card["test"]["accuracy"]
    assert paths.SHIPPED_MODEL.with_suffix(".safetensors").is_file()


def test_shipped_model_on_the_real_test_set(real_mnist_dir, capsys):
    assert main(["eval", "--data-dir", str(real_mnist_dir), "--json", "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 10_000 and np.array(result["confusion"]).sum() == 10_000
    assert result["accuracy"] >= 0.994
    card = json.loads(paths.SHIPPED_MODEL.with_suffix(".json").read_text())
    assert result["confusion"] == card["test"]["confusion"]
