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
    dialog = ReportDialog(predictor, input_log=log, folder=tmp_path)
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
