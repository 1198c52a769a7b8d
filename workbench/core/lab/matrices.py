"""Matrices as students type them (JSON or whitespace rows) and numbers as they write them."""

from __future__ import annotations

import json
import math
import re

import numpy as np

MAX_SIDE = 512  # rows or columns of one typed matrix: AlexNet's 227 fits


class LabError(ValueError):
    """Input the Lab cannot compute with; the message says what to change."""


def parse_matrix(text: str, name: str = "matrix") -> np.ndarray:
    """A 2-D float array from '[[1, 2], [3, 4]]' or rows of numbers ('1 2\\n3 4', '1 2; 3 4')."""
    text = text.strip()
    if not text:
        raise LabError(f"{name} is empty: type rows of numbers or a JSON list of rows")
    rows = _json_rows(text, name) if text[0] in "[{" else _text_rows(text, name)
    if not rows or not all(rows):
        raise LabError(f"{name} has an empty row")
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        lengths = ", ".join(str(len(row)) for row in rows)
        raise LabError(f"{name} rows have different lengths ({lengths}); every row needs as many")
    if len(rows) > MAX_SIDE or len(rows[0]) > MAX_SIDE:
        raise LabError(f"{name} is larger than {MAX_SIDE}×{MAX_SIDE}")
    matrix = np.array(rows, dtype=np.float64)
    if not np.isfinite(matrix).all():
        raise LabError(f"{name} holds a value that is not a finite number (NaN or infinity)")
    return matrix


def _json_rows(text: str, name: str) -> list[list[float]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabError(f"{name} is not valid JSON: {exc.msg} at character {exc.pos}") from None
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        value = [value]  # a flat list is one row
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise LabError(f"{name} must be a list of rows, like [[1, 2], [3, 4]]")
    for row in value:
        for v in row:
            if not _is_number(v):
                raise LabError(f"{name} holds {json.dumps(v)}, which is not a number")
    return [[float(v) for v in row] for row in value]


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text_rows(text: str, name: str) -> list[list[float]]:
    rows = []
    for line in re.split(r"[;\n]", text):
        words = [w for w in re.split(r"[\s,]+", line.strip()) if w]
        if not words:
            continue
        try:
            rows.append([float(w) for w in words])
        except ValueError:
            bad = next(w for w in words if not _is_float(w))
            raise LabError(f"{name} holds {bad!r}, which is not a number") from None
    return rows


def _is_float(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def fmt(x: float) -> str:
    """A number as written by hand: 3, −0.5, 0.7311 (four decimals at most), never '-0'."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x - round(x)) < 1e-9 and abs(x) < 1e15:
        return str(int(round(x)))
    if 1e-3 <= abs(x) < 1e6:
        text = f"{x:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("0", "-0") else text
    return f"{x:.4g}"


def term(x: float) -> str:
    """A number inside a sum: negatives in brackets, so 2·(−1) reads as it is written."""
    text = fmt(x)
    return f"({text})" if text.startswith("-") else text


def matrix_text(matrix: np.ndarray) -> str:
    """Rows of right-aligned numbers, for the terminal."""
    cells = [[fmt(v) for v in row] for row in np.atleast_2d(matrix)]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def as_lists(matrix: np.ndarray) -> list[list[float]]:
    """Plain floats for JSON (no numpy scalars, no -0.0)."""
    return [[float(v) + 0.0 for v in row] for row in np.atleast_2d(matrix)]
