"""The report of a small generated run: chosen sections only, images decode, numbers match eval."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from workbench.core.colours import grid_shape
from workbench.core.data.mnist import load_split
from workbench.core.evaluation.evaluation import evaluate
from workbench.core.model.checkpoint import checkpoint_path, load_network
from workbench.core.model.export import export_onnx
from workbench.core.recognition.predictor import Predictor
from workbench.core.report.document import build_report, run_curves, write_report
from workbench.core.report.html import report_html
from workbench.core.report.sections import ClassifiedInput, InputLog
from workbench.core.training.loop import TrainConfig, train
from workbench.core.training.runs import read_history

FAST = dict(preset="lenet5", batch_size=50, val_size=200, seed=3)


@pytest.fixture(scope="module")
def trained(pattern_data, tmp_path_factory):
    """A finished two-epoch run, a diverged one beside it, and the first exported to ONNX."""
    root = tmp_path_factory.mktemp("runs")
    good, bad = root / "lr-0.05", root / "lr-1e12"
    list(
        train(
            TrainConfig(epochs=2, optimizer="sgd", learning_rate=0.05, **FAST),
            *pattern_data,
            run_dir=good,
        )
    )
    list(
        train(
            TrainConfig(epochs=2, optimizer="sgd", learning_rate=1e12, **FAST),
            *pattern_data,
            run_dir=bad,
        )
    )
    net, _ = load_network(checkpoint_path(good, 2))
    export_onnx(net, root / "model.onnx")
    return Predictor(root / "model.onnx", device="cpu"), good, bad


@pytest.fixture(scope="module")
def evaluated(trained, tiny_mnist_dir):
    predictor = trained[0]
    images, labels = load_split(tiny_mnist_dir, "test", verify=False)
    return evaluate(predictor, images, labels), images


def _drawing() -> ClassifiedInput:
    picture = np.full((60, 90), 255, np.uint8)
    picture[10:50, 20:26] = 0
    return ClassifiedInput(
        "drawing", "canvas 1", picture, ((15, 8, 16, 44),), (((1, 0.9), (7, 0.05)),)
    )


def _images(html: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    images = []
    for data in found:
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        image.load()  # decodes the whole file, not only its header
        images.append(image)
    return images


def _section_ids(html: str) -> list[str]:
    return re.findall(r'<h2 id="(\w+)">', html)


def test_every_chosen_section_is_there_and_its_images_decode(trained, evaluated, tmp_path):
    predictor, good, bad = trained
    result, images = evaluated
    log = InputLog(limit=2)
    for _ in range(3):
        log.append(_drawing())
    assert len(log) == 2
    runs = [run_curves(read_history(path), path.name) for path in (good, bad)]
    report = build_report(
        predictor, runs=runs, evaluation=result, test_images=images, inputs=log.items()
    )
    path = write_report(report, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert _section_ids(html) == ["model", "training", "evaluation", "inside", "inputs"]
    decoded = _images(html)
    # loss + accuracy, matrix, misread examples, input, 7 layers, 2 filter sheets, 2 drawings
    assert len(decoded) >= 2 + 1 + 1 + 7 + 2 + 2
    assert all(image.width > 0 and image.height > 0 for image in decoded)
    assert "lr-1e12 diverged" in html and "learning rate 0.05" in html
    assert "learning rate 1e12" in html  # what differs between the compared runs
    conv2 = next(f for f in report.inside.layers if f.title.startswith("conv2"))
    assert "16 maps" in conv2.caption and "4×4" in conv2.caption
    assert grid_shape(20) == (4, 5)


def test_only_the_chosen_sections(trained, evaluated):
    predictor = trained[0]
    result, _ = evaluated
    report = build_report(
        predictor, ["model", "evaluation"], evaluation=result, inputs=[_drawing()]
    )
    html = report_html(report)
    assert _section_ids(html) == ["model", "evaluation"]
    assert report.training is None and report.inside is None and report.inputs is None
    # no runs and no card history: training has no content, so it is left out even when chosen
    assert build_report(predictor, ["training"]).sections() == []
    with pytest.raises(ValueError, match="unknown sections"):
        build_report(predictor, ["model", "appendix"])


def test_numbers_equal_eval_json_and_the_views(trained, evaluated):
    predictor = trained[0]
    result, images = evaluated
    html = report_html(
        build_report(predictor, ["model", "evaluation"], evaluation=result, test_images=images)
    )
    block = re.search(r'<script type="application/json" id="eval-json">(.*?)</script>', html)
    assert json.loads(block.group(1)) == json.loads(json.dumps(result.to_json()))
    assert f'<b id="accuracy">{result.accuracy:.2%}</b>' in html
    table = re.search(r'<table id="confusion">(.*?)</table>', html).group(1)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    cells = [[int(re.sub(r"<[^>]+>", "", cell)) for cell in row[1:]] for row in rows[1:]]
    assert np.array_equal(np.array(cells), result.confusion)
    per_class = re.search(r'<table id="per-class">(.*?)</table>', html).group(1)
    for row in result.per_class:
        number = '<td class="n">{}</td>'.format  # numbers: right-aligned, never wrapped
        assert number(f"{row.recall:.4f}") in per_class and number(row.support) in per_class
    params = re.search(r'<table id="anatomy">.*?<b>([\d,]+)</b>', html).group(1)
    from workbench.core.model.anatomy import anatomy

    assert int(params.replace(",", "")) == anatomy(predictor.spec).parameters


def test_shipped_model_report_uses_its_card(tmp_path):
    from workbench.core import paths
    from workbench.core.evaluation.exports import stored_result

    predictor = Predictor(paths.SHIPPED_MODEL, device="cpu")
    card = predictor.model_card()
    report = build_report(predictor, evaluation=stored_result(card["test"]), stored=True)
    assert report.sections() == ["model", "training", "evaluation", "inside"]
    assert len(report.training.runs[0].epochs) == len(card["history"])
    html = report_html(report)
    assert "stored with the model" in html and f"{card['test']['accuracy']:.2%}" in html
    assert all(image.width for image in _images(html))


def test_model_section_gives_the_non_mnist_score_and_evaluation_the_ece(trained, evaluated):
    from workbench.core.evaluation.nonmnist_score import score
    from workbench.core.report.document import model_section

    predictor = trained[0]
    non_mnist = score(predictor, 30)
    section = model_section(predictor, {"non_mnist": json.loads(json.dumps(non_mnist.to_json()))})
    assert ("non-MNIST digits", non_mnist.describe()) in section.origin
    assert f"{non_mnist.accuracy:.2%} of 30" in non_mnist.describe()
    assert not any(what == "non-MNIST digits" for what, _ in model_section(predictor, {}).origin)
    report = build_report(predictor, evaluation=evaluated[0], sections=["evaluation"])
    html = report_html(report)
    assert f'<b id="ece">{evaluated[0].ece:.4f}</b>' in html
