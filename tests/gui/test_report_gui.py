"""Report figures render offscreen, the PDF is printed, and the dialog writes the chosen report."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from workbench.core.evaluation.exports import stored_result
from workbench.core.report.document import card_run, pillow_curves
from workbench.core.report.sections import ClassifiedInput, InputLog
from workbench.gui.report.report_dialog import ReportDialog
from workbench.gui.report.report_figures import (
    confusion_figure,
    curves_figures,
    first_page_png,
    pdf_supported,
    write_pdf,
)


def _decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _history(state: str, losses: list[float]) -> dict:
    rows = [
        {
            "epoch": i + 1,
            "train_loss": loss,
            "train_accuracy": 0.5,
            "val_loss": loss,
            "val_accuracy": 0.6,
            "learning_rate": 0.01,
        }
        for i, loss in enumerate(losses)
    ]
    return {"config": {"learning_rate": 0.01}, "epochs": rows, "state": state, "reason": ""}


def test_figures_render_offscreen(qapp, predictor):
    from workbench.core.report.document import run_curves

    runs = [
        run_curves(_history("finished", [1.0, 0.5, 0.2]), "a"),
        run_curves(_history("diverged", [2.0]), "b"),
    ]
    figures = curves_figures(runs, ["learning rate 0.01", "learning rate 1"])
    assert [f.title for f in figures] == ["Loss", "Accuracy"]
    for figure in figures:
        image = _decoded(figure.png)
        assert image.width >= 400 and image.height >= 250
    assert "learning rate 1" in figures[0].caption
    plain = pillow_curves(runs, ["a", "b"])  # the headless fallback draws the same runs
    assert all(_decoded(f.png).width for f in plain)
    matrix = np.asarray(predictor.model_card().get("test", {}).get("confusion", np.eye(10) * 5))
    assert _decoded(confusion_figure(matrix, "title")).width > 300


def test_pdf_and_first_page(qapp, tmp_path):
    html = "<h1>Report</h1><p>text</p><script type='application/json'>{\"a\": 1}</script>"
    page = _decoded(first_page_png(html, tmp_path / "page.png").read_bytes())
    pixels = np.asarray(page.convert("L"))
    assert pixels.min() < 100 and pixels.mean() > 200  # some ink on a white page
    assert pdf_supported()
    pdf = write_pdf(html, tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 500


def test_dialog_writes_the_chosen_sections(qtbot, predictor, tmp_path):
    log = InputLog()
    photo = np.full((40, 60, 3), 240, np.uint8)
    photo[5:35, 25:30] = 20
    log.append(
        ClassifiedInput("photo", "scan.png", photo, ((22, 3, 12, 34),), (((1, 0.97), (7, 0.02)),))
    )
    empty = tmp_path / "no-mnist"  # no test set there: the model card's stored evaluation
    dialog = ReportDialog(predictor, input_log=log, folder=tmp_path, data_folder=empty)
    qtbot.addWidget(dialog)
    dialog.checks["inside"].setChecked(False)
    dialog.checks["training"].setChecked(False)
    with qtbot.waitSignal(dialog.report_written, timeout=30_000) as written:
        dialog.export()
    path = written.args[0]
    html = path.read_text(encoding="utf-8")
    assert 'id="model"' in html and 'id="inputs"' in html and 'id="inside"' not in html
    assert "scan.png" in html and "1 (97%) or 7 (2%)" in html
    card = predictor.model_card()
    if card.get("test"):
        block = html.split('id="eval-json">', 1)[1].split("</script>", 1)[0]
        assert json.loads(block) == json.loads(json.dumps(stored_result(card["test"]).to_json()))
    assert path.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert "Wrote" in dialog.status.text()
    assert card_run(card, "lenet5") is None or dialog.chosen_runs() == []


def _run_with_batches(epochs: int = 2, per_epoch: int = 40) -> dict:
    """A history as runs.read_history gives it: epoch rows and the kept batches."""
    history = _history("finished", [0.3 / (e + 1) for e in range(epochs)])
    history["batches"] = [
        [e + b / per_epoch, 2.3 * 0.9 ** (e * per_epoch + b) + 0.05, 0.1 + 0.02 * b]
        for e in range(epochs)
        for b in range(per_epoch)
    ]
    return history


def test_the_report_loss_plot_draws_the_batch_curve_on_a_plain_log_axis(qapp):
    from workbench.core.report.document import run_curves
    from workbench.gui.train.curves import TRAINING_LIGHT, CurvesPanel

    light = tuple(int(TRAINING_LIGHT[i : i + 2], 16) for i in (1, 3, 5))

    def light_pixels(history: dict) -> int:
        loss = curves_figures([run_curves(history, "r")], ["r"])[0]
        pixels = np.asarray(_decoded(loss.png).convert("RGB")).reshape(-1, 3).astype(int)
        return int((np.abs(pixels - light).sum(axis=1) < 30).sum())

    with_batches, epochs_only = _run_with_batches(), _run_with_batches()
    epochs_only["batches"] = []
    assert run_curves(with_batches, "r").batches == with_batches["batches"]
    assert light_pixels(with_batches) > 200 and light_pixels(epochs_only) == 0
    panel = CurvesPanel()
    try:  # no "(x0.001)" over ticks 100–300: the SI prefix is off on the log axis
        assert panel.loss_plot.getPlotItem().getAxis("left").autoSIPrefix is False
    finally:
        panel.deleteLater()


def test_report_pages_keep_headings_tables_and_figures_whole(qapp, predictor):
    from workbench.core.evaluation.exports import stored_result
    from workbench.core.report.document import build_report, run_curves
    from workbench.core.report.html import report_html
    from workbench.gui.report.report_figures import qt_figures
    from workbench.gui.report.report_pdf import layout_problems, page_images, report_document

    card = predictor.model_card()
    evaluation = stored_result(card["test"]) if card.get("test") else None
    report = build_report(
        predictor,
        runs=[run_curves(_run_with_batches(), "two-epochs")],
        evaluation=evaluation,
        stored=True,
        figures=qt_figures(),
    )
    html = report_html(report)
    assert layout_problems(report_document(html)) == []
    assert layout_problems(report_document(html, keep=False))  # Qt alone strands and splits
    pages = page_images(html, scale=0.5)
    assert len(pages) >= 3
    assert all(abs(p.height() / p.width() - 297 / 210) < 0.01 for p in pages)  # A4


def test_table_cells_wrap_at_spaces_only(qapp):
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    from workbench.gui.report.report_pdf import PAGE_HEIGHT, layout_problems, report_document

    html = "<table width='60'><tr><td>parameters kernel</td><td>117,600</td></tr></table>"
    plain = QTextDocument()  # Qt's default wraps anywhere: "para mete rs"
    plain.setHtml(html)
    plain.setPageSize(QSizeF(60, PAGE_HEIGHT))
    assert any("word split" in p for p in layout_problems(plain))
    assert layout_problems(report_document(html)) == []


def test_dialog_evaluates_the_configured_test_set(qtbot, predictor, tiny_mnist_dir, tmp_path):
    dialog = ReportDialog(predictor, folder=tmp_path, data_folder=tiny_mnist_dir, verify=False)
    qtbot.addWidget(dialog)
    assert str(tiny_mnist_dir) in dialog.status.text()
    for name in ("training", "inside", "inputs"):
        dialog.checks[name].setChecked(False)
    dialog.pdf.setChecked(False)
    path = dialog.export()
    assert path is not None
    html = path.read_text(encoding="utf-8")
    assert "computed now on" in html and "not recomputed" not in html
    block = html.split('id="eval-json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["n"] == 300  # the generated test set, not the stored evaluation
