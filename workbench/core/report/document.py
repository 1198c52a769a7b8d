"""Build the homework report from a model, its runs, an evaluation and the user's inputs."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.evaluation.evaluation import EvalResult
from workbench.core.model.anatomy import anatomy
from workbench.core.model.filters import filter_layout
from workbench.core.recognition.predictor import Prediction
from workbench.core.report import images as draw
from workbench.core.report.html import report_html
from workbench.core.report.sections import (
    SECTIONS,
    ClassifiedInput,
    EvaluationSection,
    Figure,
    InsideSection,
    Misread,
    ModelSection,
    Report,
    RunCurves,
    TrainingSection,
)
from workbench.core.training.comparisons import describe_config, describe_difference


@dataclass
class FigureRenderer:
    """How curves and the confusion matrix are drawn: Pillow here; the GUI passes Qt ones."""

    curves: Callable[[list[RunCurves], list[str]], list[Figure]] = field(
        default=lambda runs, labels: pillow_curves(runs, labels)
    )
    confusion: Callable[[np.ndarray, str], bytes] = field(
        default=lambda matrix, title: draw.png_bytes(draw.confusion_image(matrix))
    )


def run_curves(history: dict[str, Any], name: str) -> RunCurves:
    """A run from its history.json (runs.read_history), or the model card's history list."""
    return RunCurves(
        name=name,
        config=dict(history.get("config", {})),
        epochs=[dict(row) for row in history.get("epochs", [])],
        state=str(history.get("state", "finished")),
        reason=str(history.get("reason", "")),
        batches=[list(row) for row in history.get("batches", [])],
    )


def card_run(card: dict[str, Any], name: str) -> RunCurves | None:
    """The shipped model's own training run, from its model card (None without a history)."""
    if not card.get("history"):
        return None
    return RunCurves(
        name,
        dict(card.get("recipe") or {}),
        list(card["history"]),
        str(card.get("state", "finished")),
        "",
    )


def pillow_curves(runs: list[RunCurves], labels: list[str]) -> list[Figure]:
    """Loss and accuracy against epochs: train vs validation for one run, overlaid for several."""
    series: dict[str, list[tuple[str, list[float], list[float], str]]] = {"loss": [], "acc": []}
    for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
        colour = draw.PALETTE[index % len(draw.PALETTE)]
        epochs = [float(row["epoch"]) for row in run.epochs]
        val = [row for row in run.epochs if row.get("val_accuracy") is not None]
        val_x = [float(row["epoch"]) for row in val]
        name = label or run.name
        one = len(runs) == 1
        for key, column, scale in (("loss", "loss", 1.0), ("acc", "accuracy", 100.0)):
            train_y = [_finite(row[f"train_{column}"]) * scale for row in run.epochs]
            val_y = [_finite(row[f"val_{column}"]) * scale for row in val]
            series[key].append(
                (
                    "training" if one else f"{name} (train)",
                    epochs,
                    train_y,
                    draw.PALETTE[0] if one else colour,
                )
            )
            if val:
                series[key].append(
                    (
                        "validation" if one else f"{name} (val)",
                        val_x,
                        val_y,
                        draw.PALETTE[1] if one else colour,
                    )
                )
    size = (340, 280)  # shown 316 px wide, two side by side: the text stays readable
    loss = draw.line_chart("Loss", series["loss"], "cross-entropy (log)", log_y=True, size=size)
    accuracy = draw.line_chart("Accuracy", series["acc"], "accuracy (%)", size=size)
    return [Figure("Loss", draw.png_bytes(loss)), Figure("Accuracy", draw.png_bytes(accuracy))]


def _finite(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else math.nan


def model_section(predictor, card: dict[str, Any] | None = None) -> ModelSection:
    spec = predictor.spec
    card = card if card is not None else predictor.model_card()
    origin = [("file", predictor.path.name)]
    if card.get("recipe"):
        origin.append(("recipe", describe_config(card["recipe"])))
    if card.get("n_train"):
        origin.append(
            (
                "trained on",
                f"{card['n_train']:,} images, {card.get('n_val', 0):,} held out for validation",
            )
        )
    if card.get("training_seconds"):
        origin.append(("training time", f"{card['training_seconds'] / 60:.1f} min"))
    for key in ("torch_version", "machine", "workbench_version"):
        if card.get(key):
            origin.append((key.replace("_", " "), str(card[key])))
    if card.get("export"):
        export = card["export"]
        origin.append(
            (
                "ONNX check",
                f"max |ONNX − torch| {export.get('max_abs_difference', 0):.2g}"
                f" on {export.get('n_checked', 0)} images",
            )
        )
    if isinstance(card.get("non_mnist"), dict):  # how it reads digits that are not MNIST's
        from workbench.core.evaluation.nonmnist_score import stored_score

        with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
            origin.append(("non-MNIST digits", stored_score(card["non_mnist"]).describe()))
    return ModelSection(spec.name, spec, anatomy(spec), origin)


def training_section(
    runs: Sequence[RunCurves],
    figures: FigureRenderer,
    experiment: tuple[str, str] | None = None,
) -> TrainingSection:
    runs = list(runs)
    differences = describe_difference([run.config for run in runs]) if len(runs) > 1 else [""]
    labels = [diff or run.name for run, diff in zip(runs, differences, strict=True)]
    return TrainingSection(runs, differences, figures.curves(runs, labels), experiment)


def evaluation_section(
    result: EvalResult,
    stored: bool,
    figures: FigureRenderer,
    images: np.ndarray | None = None,
    examples: int = 8,
) -> EvaluationSection:
    """The numbers of `result`; with the test `images`, the first misread ones with their top-2."""
    title = f"{result.accuracy:.2%} right of {result.n:,} test images"
    figure = Figure("Confusion matrix", figures.confusion(result.confusion, title), title)
    misread = []
    if images is not None and len(result.probabilities) == len(images):
        predicted = result.probabilities.argmax(axis=1)
        for index in np.flatnonzero(predicted != result.labels)[:examples]:
            top = tuple(Prediction(result.probabilities[index : index + 1]).top(2)[0])
            png = draw.png_bytes(draw.digit_image(images[index], scale=3))
            misread.append(Misread(int(index), int(result.labels[index]), top, png))  # type: ignore[arg-type]
    return EvaluationSection(result, stored, figure, misread)


def inside_section(predictor, image: np.ndarray) -> InsideSection:
    """Every layer's output for one 28×28 input (floats 0…1, ink 1), and the conv filters."""
    from workbench.core.evaluation.exports import conv_filters

    image = np.asarray(image, np.float32)
    prediction = predictor.predict(image[None])
    top = tuple(prediction.top(2)[0])
    layers = []
    for name, values in prediction.activations.items():
        values = values[0]
        shape = "×".join(str(v) for v in values.shape)
        if values.ndim == 3:
            rows, cols = draw.grid_shape(len(values))
            picture = draw.tile_grid(values, tile=max(28, min(72, 360 // cols)))
            caption = f"{len(values)} maps of {values.shape[1]}×{values.shape[2]} as {rows}×{cols}"
        else:
            picture, caption = draw.unit_bars(values), f"{values.size} units"
        layers.append(Figure(f"{name} · {shape}", draw.png_bytes(picture), caption))
    filters = []
    for name, weights in conv_filters(predictor.path).items():
        out, inputs, kh, kw = weights.shape
        _, _, reading = filter_layout(out, inputs)
        caption = (
            f"{out} filters of {kh}×{kw}×{inputs}: {reading}; blue negative, white 0, red positive"
        )
        picture = draw.filter_image(weights, fit=(330, 450))
        filters.append(Figure(f"{name} filters", draw.png_bytes(picture), caption))
    figure = Figure("chosen input", draw.png_bytes(draw.digit_image(image, scale=4)))
    return InsideSection(figure, top, layers, filters)


def default_input(digit: int = 7) -> np.ndarray:
    """A rendered digit as a 28×28 network input (floats, ink 1), when the user chose none."""
    from workbench.core.data.synth import render_digit
    from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist

    grey = render_digit(digit, size=64, rng=np.random.default_rng(0))
    image = to_mnist(ink_from_grey(grey))
    assert image is not None  # a rendered glyph always has ink
    return image


def build_report(
    predictor,
    sections: Iterable[str] = SECTIONS,
    runs: Sequence[RunCurves] = (),
    evaluation: EvalResult | None = None,
    stored: bool = False,
    test_images: np.ndarray | None = None,
    chosen_input: np.ndarray | None = None,
    inputs: Sequence[ClassifiedInput] = (),
    figures: FigureRenderer | None = None,
    title: str = "",
    experiment: tuple[str, str] | None = None,
) -> Report:
    """The chosen sections that have content (no runs: no training; no inputs: none).

    `experiment`: (name, note) of the course experiment the runs are the arms of
    (experiment_notes.note_for_runs), shown in the training section."""
    chosen = set(sections)
    unknown = chosen - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    figures = figures or FigureRenderer()
    card = predictor.model_card()
    if not runs and card_run(card, predictor.path.stem) is not None:
        runs = [card_run(card, predictor.path.stem)]
    return Report(
        title=title or f"Digit recognition with {predictor.path.name}",
        created=time.strftime("%Y-%m-%d %H:%M"),
        model=model_section(predictor, card) if "model" in chosen else None,
        training=(
            training_section(runs, figures, experiment) if "training" in chosen and runs else None
        ),
        evaluation=(
            evaluation_section(evaluation, stored, figures, test_images)
            if "evaluation" in chosen and evaluation is not None
            else None
        ),
        inside=(
            inside_section(predictor, default_input() if chosen_input is None else chosen_input)
            if "inside" in chosen
            else None
        ),
        inputs=list(inputs) if "inputs" in chosen and inputs else None,
    )


def write_report(report: Report, path: str | Path) -> Path:
    """Write the report as one self-contained HTML file; raises OSError when it cannot."""
    from workbench.core.fileio import atomic_writer

    path = Path(path)
    with atomic_writer(path, "w") as handle:
        handle.write(report_html(report))
    return path
