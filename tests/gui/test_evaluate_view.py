"""The Evaluate view on a generated test set and a model whose answers are known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from oracle import write_oracle_model
from PIL import Image
from PySide6.QtCore import Qt

from workbench.core.data.idx import write_idx
from workbench.core.data.mnist import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from workbench.core.recognition.predictor import Predictor
from workbench.gui.evaluate.evaluate_view import EvaluateView
from workbench.gui.evaluate.gallery import SORTS

N = 300
NON_MNIST = 40  # digits of the non-MNIST set each evaluation here scores (the app: 1,000)


@pytest.fixture(autouse=True)
def small_non_mnist_set(monkeypatch):
    monkeypatch.setattr(EvaluateView, "non_mnist_count", NON_MNIST)


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """Labels, the answers the oracle gives, images, and a folder with them as the test set."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, N)
    answers = np.where(rng.random(N) < 0.8, labels, rng.integers(0, 10, N))
    answers[:6] = [2, 2, 2, 2, 2, 2]
    labels[:6] = 7  # at least six 7s read as 2
    brightness = rng.integers(60, 256, N)  # sets how sure the oracle is
    images = np.zeros((N, 28, 28), np.uint8)
    images[np.arange(N), 0, answers] = brightness
    images[:, 10:18, 12:16] = rng.integers(0, 256, (N, 8, 4))  # something to look at
    folder = tmp_path_factory.mktemp("known_test_set")
    write_idx(folder / TEST_IMAGES, images)
    write_idx(folder / TEST_LABELS, labels.astype(np.uint8))
    write_idx(folder / TRAIN_IMAGES, images[:20])  # `workbench eval` wants all four files
    write_idx(folder / TRAIN_LABELS, labels[:20].astype(np.uint8))
    model = write_oracle_model(folder / "oracle.onnx")
    return labels, answers, images, folder, model


@pytest.fixture
def view(qtbot, known):
    _, _, _, folder, model = known
    widget = EvaluateView()
    qtbot.addWidget(widget)
    widget.set_data_folder(folder, verify=False)
    widget.set_predictor(Predictor(model, device="cpu"))
    widget.resize(1000, 760)
    yield widget
    widget.shutdown()


def evaluated(qtbot, view) -> None:
    with qtbot.waitSignal(view.evaluation_finished, timeout=30_000):
        view.show()  # a visible view evaluates the current model by itself
    qtbot.waitExposed(view)


def test_matrix_accuracy_metrics_and_pairs_are_exact(qtbot, view, known):
    labels, answers, _, _, _ = known
    evaluated(qtbot, view)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels, answers), 1)
    result = view.result()
    np.testing.assert_array_equal(result.confusion, expected)
    np.testing.assert_array_equal(view.plot.matrix(), expected)
    assert view.plot.cell_label(7, 2) == str(expected[7, 2])
    accuracy = np.trace(expected) / N
    assert result.accuracy == pytest.approx(accuracy)
    assert f"{accuracy:.2%}" in view.summary.text() and not view.is_stored()
    for digit in range(10):
        tp, predicted, support = (
            expected[digit, digit],
            expected[:, digit].sum(),
            expected[digit].sum(),
        )
        precision, recall = tp / predicted, tp / support
        row = [view.table.item(digit, c).text() for c in range(5)]
        assert row == [
            str(digit),
            f"{precision:.3f}",
            f"{recall:.3f}",
            f"{2 * precision * recall / (precision + recall):.3f}",
            f"{support:,}",
        ]
    off = [
        (expected[t, p], t, p) for t in range(10) for p in range(10) if t != p and expected[t, p]
    ]
    worst = sorted(off, key=lambda c: (-c[0], c[1], c[2]))[:10]
    shown = [view.pairs.item(i).text() for i in range(view.pairs.count())]
    assert shown == [f"{t} read as {p}: {n}" for n, t, p in worst]


def test_clicking_a_cell_shows_exactly_its_images(qtbot, view, known):
    labels, answers, _, _, _ = known
    evaluated(qtbot, view)
    for true, pred in ((7, 2), (3, 3)):
        position = view.plot.cell_center(true, pred)
        qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
        expected = np.flatnonzero((labels == true) & (answers == pred))
        assert sorted(view.gallery.indices()) == expected.tolist()
        assert f"{true} read" in view.gallery.title.text()


def test_gallery_sorts_by_confidence_and_an_image_becomes_the_input(qtbot, view, known):
    labels, answers, images, _, _ = known
    evaluated(qtbot, view)
    view.show_cell(7, 2)
    cell = np.flatnonzero((labels == 7) & (answers == 2))
    confidence = view.result().probabilities[cell, 2]
    view.gallery.sort_box.setCurrentText(SORTS[0])
    shown = view.gallery.indices()
    assert np.all(np.diff(view.result().probabilities[shown, 2]) >= 0)
    view.gallery.sort_box.setCurrentText(SORTS[1])
    assert view.gallery.indices()[0] == cell[np.argmax(confidence)]
    view.gallery.sort_box.setCurrentText(SORTS[2])
    assert view.gallery.indices() == cell.tolist()
    item = view.gallery.item_for(int(cell[0]))
    assert item.text().startswith("2: ")  # its top-2, best first
    with qtbot.waitSignal(view.input_chosen) as chosen:
        rect = view.gallery.list.visualItemRect(item)
        qtbot.mouseClick(view.gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    image = chosen.args[0]
    assert image.dtype == np.float32 and image.shape == (28, 28)
    np.testing.assert_allclose(image, images[cell[0]] / 255, atol=1e-6)


def test_view_agrees_with_eval_json(qtbot, view, known, capsys):
    from workbench.cli import main

    _, _, _, folder, model = known
    evaluated(qtbot, view)
    assert (
        main(["eval", "--model", str(model), "--data-dir", str(folder), "--no-verify", "--json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    shown = view.result().to_json()
    for key in ("accuracy", "n", "confusion", "per_class", "top_confused", "provider"):
        assert shown[key] == printed[key], key


def test_row_normalised_rates_and_exports(qtbot, view, tmp_path):
    evaluated(qtbot, view)
    matrix = view.result().confusion
    view.normalised_box.setChecked(True)
    assert view.plot.is_normalised()
    assert view.plot.cell_label(3, 3) == f"{100 * matrix[3, 3] / matrix[3].sum():.1f}"
    csv_path = view.save_csv(tmp_path / "rates.csv")
    rows = [line.split(",") for line in csv_path.read_text().splitlines()[1:]]
    np.testing.assert_allclose(np.array([r[1:] for r in rows], float).sum(axis=1), 1, atol=1e-5)
    view.normalised_box.setChecked(False)
    counts = view.save_csv(tmp_path / "counts.csv").read_text().splitlines()
    assert counts[4] == "3," + ",".join(str(v) for v in matrix[3])
    png = view.save_png(tmp_path / "matrix.png")
    with Image.open(png) as image:
        assert image.size[0] > 500 and image.size[1] > 500


def test_without_data_the_card_matrix_is_shown_as_stored_and_fetch_recomputes(
    qtbot, known, tmp_path, monkeypatch
):
    labels, answers, _, folder, _ = known
    matrix = np.zeros((10, 10), int)
    np.add.at(matrix, (labels, answers), 1)
    from workbench.core.evaluation.metrics import per_class, top_confused

    card_test = {
        "accuracy": 0.5,
        "n": N,
        "confusion": (matrix * 2).tolist(),
        "per_class": [vars(r) for r in per_class(matrix * 2)],
        "top_confused": [vars(p) for p in top_confused(matrix * 2)],
        "seconds": 0.1,
        "provider": "CPUExecutionProvider",
    }
    model = write_oracle_model(tmp_path / "carded.onnx", card={"test": card_test})
    widget = EvaluateView()
    qtbot.addWidget(widget)
    empty = tmp_path / "no-data"
    widget.set_data_folder(empty, verify=False)
    widget.set_predictor(Predictor(model, device="cpu"))
    widget.show()
    qtbot.waitExposed(widget)
    try:
        assert widget.is_stored() and not widget.is_busy()
        np.testing.assert_array_equal(widget.plot.matrix(), matrix * 2)
        assert "Stored in the model card" in widget.notice.text()
        assert "50.00%" in widget.summary.text()
        assert widget.fetch_button.isVisible()
        widget.show_cell(7, 2)
        assert widget.gallery.indices() == [] and "download" in widget.gallery.title.text()
        # A local mirror: the two test files served from a file:// URL.
        monkeypatch.setenv("WORKBENCH_MIRRORS", folder.as_uri())
        with qtbot.waitSignal(widget.evaluation_finished, timeout=30_000):
            assert widget.fetch_and_evaluate()
        assert sorted(p.name for p in empty.iterdir()) == sorted([TEST_IMAGES, TEST_LABELS])
        # (only the test set: the training files stay where they are)
        assert not widget.is_stored() and not widget.fetch_button.isVisible()
        np.testing.assert_array_equal(widget.plot.matrix(), matrix)
        assert "Stored" not in widget.notice.text()
    finally:
        widget.shutdown()


def test_offline_fetch_failure_is_reported(qtbot, known, tmp_path, monkeypatch):
    widget = EvaluateView()
    qtbot.addWidget(widget)
    widget.set_data_folder(tmp_path / "nothing", verify=False)
    widget.set_predictor(Predictor(known[4], device="cpu"))
    widget.show()
    try:
        assert widget.result() is None and widget.fetch_button.isVisible()
        monkeypatch.setenv("WORKBENCH_MIRRORS", (tmp_path / "no-mirror").as_uri())
        with qtbot.waitSignal(widget.evaluation_failed, timeout=30_000):
            widget.fetch_and_evaluate()
        assert "not available" in widget.notice.text()
        assert widget.result() is None and widget.fetch_button.isEnabled()
    finally:
        widget.shutdown()


def test_a_new_model_is_evaluated_again_while_the_view_is_shown(qtbot, view, known, tmp_path):
    evaluated(qtbot, view)
    first = view.result()
    view.show_cell(7, 2)
    other = Predictor(write_oracle_model(tmp_path / "other.onnx"), device="cpu")
    with qtbot.waitSignal(view.evaluation_finished, timeout=30_000) as finished:
        view.set_predictor(other)
        assert view.result() is None and view.gallery.indices() == []
    assert finished.args[0] is view.result() and view.result() is not first
    np.testing.assert_array_equal(view.result().confusion, first.confusion)


def test_the_matrix_can_be_saved_only_once_there_is_one(qtbot):
    from workbench.gui.evaluate.result_panels import MatrixPanel

    panel = MatrixPanel()
    qtbot.addWidget(panel)
    assert not panel.csv_button.isEnabled() and not panel.png_button.isEnabled()
    panel.set_matrix(np.eye(10, dtype=np.int64) * 3, "a title")
    assert panel.csv_button.isEnabled() and panel.png_button.isEnabled()
    panel.set_matrix(None)
    assert not panel.csv_button.isEnabled()


def oracle_probabilities(images: np.ndarray) -> np.ndarray:
    """The oracle's answers by hand: logit k = 10 × pixel (0, k), pixels in 0…1."""
    from workbench.core.evaluation.calibration import softmax

    return softmax(10 * images[:, 0, :10].astype(np.float64) / 255)


def test_reliability_diagram_draws_the_bins_of_the_answers(qtbot, view, known):
    from workbench.core.evaluation.calibration import expected_calibration_error, reliability

    labels, _, images, _, _ = known
    evaluated(qtbot, view)
    probabilities = oracle_probabilities(images)
    bins = [b for b in reliability(probabilities, labels) if b.count]
    assert len(bins) >= 3  # the oracle's confidence spreads over several bins
    centres, accuracy, counts = view.calibration.plot.bar_values()
    np.testing.assert_allclose(centres, [(b.low + b.high) / 2 for b in bins])
    np.testing.assert_allclose(accuracy, [b.accuracy for b in bins], atol=1e-6)
    np.testing.assert_allclose(counts, [np.log10(b.count) + 1 for b in bins], atol=1e-9)
    ece = expected_calibration_error(probabilities, labels)
    assert view.result().ece == pytest.approx(ece, abs=1e-6)
    assert f"{ece:.4f}" in view.calibration.ece_label.text()
    last = len(view.calibration.plot.bins()) - 1
    top = view.calibration.plot.bins()[last]
    assert f"{top.count:,} images" in view.calibration.plot.describe_bin(last)


def test_non_mnist_digits_are_read_by_the_same_model(qtbot, view, known):
    from workbench.core.data.nonmnist import non_mnist_set

    model = known[4]
    with qtbot.waitSignal(view.non_mnist_scored, timeout=60_000) as scored:
        view.show()
    score = scored.args[0]
    digits = non_mnist_set(NON_MNIST, 14)
    answers = Predictor(model, device="cpu").predict(digits.images, activations=False)
    expected = float(np.mean(answers.probabilities.argmax(axis=1) == digits.labels))
    assert score.n == NON_MNIST and score.accuracy == pytest.approx(expected)
    assert score.identity["seed"] == 14 and score.identity["count"] == NON_MNIST
    label = view.calibration.non_mnist_label
    assert f"{expected:.2%}" in label.text() and f"{view.result().accuracy:.2%}" in label.text()
    assert "seed 14" in label.toolTip() and "fonts" in label.toolTip()


def test_a_card_shows_its_stored_calibration_and_non_mnist_figure(qtbot, known, tmp_path):
    from workbench.core.evaluation.evaluation import evaluate

    labels, _, images, _, model = known
    result = evaluate(Predictor(model, device="cpu"), images, labels)
    non_mnist = {"accuracy": 0.875, "n": 1000, "identity": {"seed": 14, "fonts_digest": "ab"}}
    card = {"test": result.to_json(), "non_mnist": non_mnist}
    widget = EvaluateView()
    qtbot.addWidget(widget)
    widget.set_data_folder(tmp_path / "no-data", verify=False)
    widget.set_predictor(Predictor(write_oracle_model(tmp_path / "c.onnx", card), device="cpu"))
    assert widget.is_stored()
    np.testing.assert_allclose(
        widget.calibration.plot.bar_values()[1],
        [b.accuracy for b in result.reliability if b.count],
    )
    assert f"{result.ece:.4f}" in widget.calibration.ece_label.text()
    text = widget.calibration.non_mnist_label.text()
    assert "87.50%" in text and "875 of 1,000" in text and "stored in the model card" in text


def test_a_score_that_never_came_is_said_to_be_missing(qtbot):
    from workbench.gui.evaluate.calibration_panel import CalibrationPanel

    panel = CalibrationPanel()
    qtbot.addWidget(panel)
    assert "not measured" in panel.non_mnist_label.text() and panel.plot.bins() == []
    panel.set_non_mnist_pending()
    assert "reading them" in panel.non_mnist_label.text()
    panel.end_pending()  # the job ended (cancelled, or failed) before the score
    assert "not measured" in panel.non_mnist_label.text() and panel.score is None
    panel.end_pending()
    assert "stopped before" in panel.non_mnist_label.text()


def test_while_the_test_set_is_read_there_is_no_banner_only_progress(qtbot, known, tmp_path):
    from workbench.core.evaluation.evaluation import evaluate

    labels, _, images, folder, model = known
    card = {"test": evaluate(Predictor(model, device="cpu"), images[:50], labels[:50]).to_json()}
    widget = EvaluateView()
    qtbot.addWidget(widget)
    widget.set_data_folder(folder, verify=False)
    widget.set_predictor(Predictor(write_oracle_model(tmp_path / "c.onnx", card), device="cpu"))
    try:
        assert widget.result() is None  # the card's 50 images wait: the data is here
        with qtbot.waitSignal(widget.evaluation_finished, timeout=30_000):
            widget.show()
            assert "Reading the MNIST test set" in widget.notice.text()
            assert widget.notice.styleSheet() == "" and widget.fetch_button.isHidden()
            assert widget.progress.format() == "reading the test set…"
            assert widget.progress.maximum() > 0  # text on the bar, not a busy block
        assert widget.result().n == N and not widget.is_stored()
        widget.set_data_folder(tmp_path / "gone", verify=False)  # now the data is missing
        assert widget.is_stored() and widget.result().n == 50
        assert "Stored in the model card" in widget.notice.text()
        assert widget.fetch_button.isVisible()
    finally:
        widget.shutdown()
