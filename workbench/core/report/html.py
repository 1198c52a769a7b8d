"""A Report as one self-contained HTML page: tables, base64 PNGs, simple CSS that Qt can print."""

from __future__ import annotations

import base64
import html
import json
import math
import struct

from workbench.core.report.images import boxed_image, png_bytes
from workbench.core.report.sections import (
    SECTION_TITLES,
    ClassifiedInput,
    EvaluationSection,
    Figure,
    InsideSection,
    ModelSection,
    Report,
    TrainingSection,
)
from workbench.core.training.comparisons import describe_config
from workbench.core.training.experiment_notes import TITLES

FIGURE_WIDTH = 316  # two figures side by side on an A4 page (680 px between the margins)

# Kept to what both browsers and QTextDocument (the PDF printer) understand.
CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #222;
       max-width: 900px; margin: 24px auto; }
h1 { font-size: 20pt; margin-bottom: 2px; color: #0b3d6b; }
h2 { font-size: 15pt; color: #0b3d6b; border-bottom: 2px solid #0b3d6b; margin-top: 26px; }
h3 { font-size: 11pt; margin: 12px 0 4px 0; }
h1, h2, h3 { page-break-after: avoid; break-after: avoid; }
table, .figure, img { page-break-inside: avoid; break-inside: avoid; }
p.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 6px 0 10px 0; }
th { background: #e8eef5; font-weight: bold; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.fig { border: none; padding: 0px 14px 10px 0px; vertical-align: top; }
span.off { color: #b00; }
.caption { color: #555; font-size: 9pt; }
.note { color: #8a5a00; }
.figure { display: inline-block; margin: 4px 10px 10px 0; vertical-align: top;
          text-align: left; }
"""


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _img(png: bytes, alt: str, width: int | None = None) -> str:
    size = f' width="{width}"' if width else ""
    return f'<img src="{data_url(png)}" alt="{html.escape(alt)}"{size}>'


def _figure(figure: Figure, width: int | None = None) -> str:
    caption = ""
    if figure.caption:
        caption = f'<br><span class="caption">{html.escape(figure.caption)}</span>'
    return (
        f'<div class="figure"><b>{html.escape(figure.title)}</b><br>'
        f"{_img(figure.png, figure.title, width)}{caption}</div>"
    )


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def _figure_grid(figures: list[Figure], width: int = FIGURE_WIDTH, columns: int = 2) -> str:
    """Figures side by side, each at most `width` px wide: one borderless table per row, so
    the printer moves a row to the next page whole (Qt's printer has no inline blocks)."""
    cells = []
    for figure in figures:
        natural = png_size(figure.png)[0]
        cells.append(f'<td class="fig" width="50%">{_figure(figure, min(width, natural))}</td>')
    return "".join(
        f'<table class="grid" width="100%" cellspacing="0"><tr>{"".join(cells[i : i + columns])}'
        "</tr></table>"
        for i in range(0, len(cells), columns)
    )


def _align(column: int, left: int, text: tuple[int, ...] = ()) -> str:
    """Text columns (the first `left`, and `text`) wrap at spaces; numbers align right, unbroken."""
    return ' class="l"' if column < left or column in text else ' class="n"'


def _table(
    head: list[str],
    rows: list[list[str]],
    left: int = 1,
    table_id: str = "",
    text: tuple[int, ...] = (),
) -> str:
    ident = f' id="{table_id}"' if table_id else ""
    cells = "".join(f"<th{_align(i, left, text)}>{html.escape(h)}</th>" for i, h in enumerate(head))
    cells = f"<thead><tr>{cells}</tr></thead>" if any(head) else ""  # repeated per page
    body = "".join(
        "<tr>"
        + "".join(f"<td{_align(i, left, text)}>{v}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table{ident}>{cells}<tbody>{body}</tbody></table>"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def model_html(section: ModelSection) -> str:
    table = section.anatomy
    c, h, w = table.input_shape
    rows = [["input", "", "", "", "", f"{h}×{w}×{c}", "", "", "1"]]
    for r in table.layers:
        shape = (
            f"{r.output_shape[1]}×{r.output_shape[2]}×{r.output_shape[0]}"
            if len(r.output_shape) == 3
            else str(r.output_shape[0])
        )
        kind = f"{r.pooling} pool" if r.kind == "pool" else r.kind
        kind += "" if r.activation == "none" else f" + {r.activation}"
        rows.append(
            [
                r.name,
                kind,
                "" if r.kernel is None else f"{r.kernel}×{r.kernel}",
                "" if r.stride is None else str(r.stride),
                "" if r.padding is None else str(r.padding),
                shape,
                f"{r.parameters:,}",
                f"{r.macs:,}",
                str(r.receptive_field),
            ]
        )
    rows.append(
        [
            "<b>total</b>",
            "",
            "",
            "",
            "",
            "",
            f"<b>{table.parameters:,}</b>",
            f"<b>{table.macs:,}</b>",
            "",
        ]
    )
    head = ["layer", "type", "kernel", "stride", "pad", "output", "parameters", "MACs", "RF"]
    origin = _table(["", ""], [[html.escape(k), html.escape(v)] for k, v in section.origin], 2)
    spec = html.escape(section.spec.to_json())
    return (
        f"<p>{html.escape(section.name)}: {len(section.spec.layers)} layers, "
        f"{section.spec.activation} activations, {section.spec.pooling} pooling, "
        f"{table.parameters:,} parameters.</p>"
        f"<h3>Anatomy</h3>{_table(head, rows, 2, 'anatomy')}"
        '<p class="caption">Output shapes are height×width×channels; MACs are the '
        "multiply-accumulates for one image; RF is the receptive field in input pixels.</p>"
        f"<h3>Where it came from</h3>{origin}"
        f'<h3>Spec</h3><p class="caption"><code>{spec}</code></p>'
    )


def training_html(section: TrainingSection) -> str:
    parts = []
    several = len(section.runs) > 1
    head = ["run", "settings", "epochs", "final train acc", "best val acc", "ended"]
    rows = []
    for run, difference in zip(section.runs, section.differences, strict=True):
        val = [r["val_accuracy"] for r in run.epochs if r.get("val_accuracy") is not None]
        train = run.epochs[-1]["train_accuracy"] if run.epochs else None
        ended = run.state + (f": {run.reason}" if run.reason else "")
        rows.append(
            [
                html.escape(run.name),
                html.escape(difference or describe_config(run.config)),
                str(len(run.epochs)),
                _percent(train),
                _percent(max(val, default=None)),
                html.escape(ended),
            ]
        )
    parts.append(_table(head, rows, 2, "runs", text=(5,)))
    if section.experiment is not None:
        name, note = section.experiment
        title = TITLES.get(name, name)
        parts.append(
            f"<h3>Experiment: {html.escape(title)}</h3><p>What the runs showed: "
            f"{html.escape(note)}</p>"
        )
    if several:
        parts.append(
            "<p>What differs between the runs: "
            + "; ".join(
                html.escape(f"{r.name}: {d}")
                for r, d in zip(section.runs, section.differences, strict=True)
            )
            + ".</p>"
        )
    for run in section.runs:
        if run.state == "interrupted":  # history.json said running; its process is gone
            parts.append(
                f'<p class="note"><b>{html.escape(run.name)} interrupted</b>: '
                f"{html.escape(run.reason)}. Its last finished epoch is kept; "
                f"<code>workbench train --name {html.escape(run.name)} --resume</code> "
                "continues it.</p>"
            )
        if run.state in ("diverged", "stalled"):
            why = (
                "its loss stopped being a number or exploded"
                if run.state == "diverged"
                else "its accuracy stayed at chance level"
            )
            parts.append(
                f'<p class="note"><b>{html.escape(run.name)} {run.state}</b>: '
                f"{html.escape(run.reason)} — {why}. A smaller learning rate usually "
                "fixes this.</p>"
            )
    parts.append(_figure_grid(section.figures))
    if not several and section.runs:
        run = section.runs[0]
        head = ["epoch", "train loss", "train acc", "val loss", "val acc", "learning rate"]
        rows = [
            [
                str(r["epoch"]),
                f"{r['train_loss']:.4f}",
                _percent(r["train_accuracy"]),
                "–" if r.get("val_loss") is None else f"{r['val_loss']:.4f}",
                _percent(r.get("val_accuracy")),
                f"{r.get('learning_rate', 0):.3g}",
            ]
            for r in run.epochs
        ]
        parts.append(f"<h3>Settings</h3><p>{html.escape(describe_config(run.config))}</p>")
        parts.append(_table(head, rows, 1, "epochs"))
    return "".join(parts)


def evaluation_html(section: EvaluationSection) -> str:
    result = section.result
    where = (
        "the evaluation stored with the model (not recomputed: no test set given)"
        if section.stored
        else f"computed now on {result.provider or 'onnxruntime'}"
    )
    parts = [
        f'<p>Accuracy <b id="accuracy">{result.accuracy:.2%}</b> of {result.n:,} test '
        f"images — {html.escape(where)}.</p>",
        *(
            [
                f'<p>Expected calibration error <b id="ece">{result.ece:.4f}</b> (top-1 '
                "confidence against accuracy, 15 equal-width bins).</p>"
            ]
            if math.isfinite(result.ece)
            else []
        ),
        _figure(section.figure, 420),
    ]
    size = len(result.confusion)
    rows = []
    for t in range(size):
        cells = [f"<b>{t}</b>"]
        for p in range(size):
            value = int(result.confusion[t, p])
            if t == p:
                cells.append(f"<b>{value}</b>")
            else:
                cells.append(f'<span class="off">{value}</span>' if value else str(value))
        rows.append(cells)
    head = ["true \\ predicted", *map(str, range(size))]
    parts.append(f"<h3>Confusion matrix (counts)</h3>{_table(head, rows, 1, 'confusion')}")
    rows = [
        [str(r.digit), f"{r.precision:.4f}", f"{r.recall:.4f}", f"{r.f1:.4f}", str(r.support)]
        for r in result.per_class
    ]
    parts.append(
        "<h3>Per digit</h3>"
        + _table(["digit", "precision", "recall", "F1", "support"], rows, 1, "per-class")
    )
    if result.top_confused:
        items = "".join(
            f"<li>{_pair_words(p.true, p.pred, p.count, result)}</li>"
            for p in result.top_confused[:5]
        )
        parts.append(f"<h3>Most confused</h3><ol>{items}</ol>")
    if section.misread:
        cells = [
            f'<td class="l">{_img(m.png, f"test image {m.index}")}<br>#{m.index}: a {m.true},'
            f"<br>read {m.top[0][0]} ({m.top[0][1]:.0%}),<br>then {m.top[1][0]} "
            f"({m.top[1][1]:.0%})</td>"
            for m in section.misread
        ]
        rows = "".join(f"<tr>{''.join(cells[i : i + 4])}</tr>" for i in range(0, len(cells), 4))
        parts.append(f"<h3>Misread examples (top-2 answers)</h3><table>{rows}</table>")
    payload = json.dumps(result.to_json()).replace("</", "<\\/")
    parts.append(f'<script type="application/json" id="eval-json">{payload}</script>')
    return "".join(parts)


def _pair_words(true: int, pred: int, count: int, result) -> str:
    total = int(result.confusion[true].sum())
    share = f" ({count / total:.1%} of the {total:,} {true}s)" if total else ""
    times = "once" if count == 1 else f"{count} times"
    return f"a {true} was read as a {pred} {times}{share}"


def inside_html(section: InsideSection) -> str:
    (best, p1), (second, p2) = section.prediction
    parts = [
        f"<table><tr><td class='l'>{_img(section.input_figure.png, 'input')}</td>"
        f"<td class='l'>The chosen input is read as <b>{best}</b> ({p1:.1%}), "
        f"then {second} ({p2:.1%}).<br>Each layer's maps share one colour scale: "
        "viridis from 0 to the layer's maximum, blue–white–red where values are "
        "signed.</td></tr></table>"
    ]
    parts.append("<h3>Feature maps</h3>" + _figure_grid(section.layers))
    if section.filters:
        parts.append("<h3>Convolution filters</h3>" + _figure_grid(section.filters))
    return "".join(parts)


def inputs_html(inputs: list[ClassifiedInput]) -> str:
    figures = []
    for item in inputs:
        labels = [f"{t[0][0]}" for t in item.top]
        picture = png_bytes(boxed_image(item.picture(), item.boxes, labels))
        readings = (
            "; ".join(" or ".join(f"{d} ({p:.0%})" for d, p in top) for top in item.top)
            or "no digit found"
        )
        figures.append(Figure(f"{item.kind}: {item.name}", picture, readings))
    return _figure_grid(figures)


def report_html(report: Report) -> str:
    render = {
        "model": model_html,
        "training": training_html,
        "evaluation": evaluation_html,
        "inside": inside_html,
        "inputs": inputs_html,
    }
    chosen = report.sections()
    body = [
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="meta">Made by the LeNet/MNIST workbench on {report.created} · '
        f"sections: {', '.join(SECTION_TITLES[s].lower() for s in chosen)}</p>",
    ]
    facts = []
    if report.model is not None:
        facts.append(f"{report.model.anatomy.parameters:,} parameters")
    if report.evaluation is not None:
        result = report.evaluation.result
        facts.append(f"test accuracy <b>{result.accuracy:.2%}</b> of {result.n:,} images")
    if report.training is not None:
        runs = len(report.training.runs)
        facts.append(f"{runs} training run{'s' * (runs != 1)} shown")
    if facts:
        body.append(f"<p>In short: {' · '.join(facts)}.</p>")
    for number, name in enumerate(chosen, 1):
        body.append(f'<h2 id="{name}">{number}. {SECTION_TITLES[name]}</h2>')
        body.append(render[name](getattr(report, name)))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
