"""`workbench eval --csv / --png / --misclassified` with a model whose answers are known."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from oracle import write_oracle_model
from PIL import Image

from workbench.cli import main
from workbench.core.data.mnist import load_split

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def oracle_path(tmp_path_factory):
    return write_oracle_model(tmp_path_factory.mktemp("cli_oracle") / "oracle.onnx")


def expected_answers(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images, labels, and the oracle's answers: the brightest of pixels (0, 0) … (0, 9)."""
    images, labels = load_split(folder, "test", verify=False)
    return images, labels.astype(int), images[:, 0, :10].argmax(axis=1)


def test_csv_and_misclassified_files(tiny_mnist_dir, oracle_path, tmp_path, capsys):
    csv_path, wrong_dir = tmp_path / "matrix.csv", tmp_path / "wrong"
    code = main(
        [
            "eval",
            "--model",
            str(oracle_path),
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--json",
            "--csv",
            str(csv_path),
            "--misclassified",
            str(wrong_dir),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    images, labels, answers = expected_answers(tiny_mnist_dir)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels, answers), 1)
    assert printed["confusion"] == expected.tolist()
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert rows[0][1:] == [str(d) for d in range(10)]
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], int), expected)
    wrong = np.flatnonzero(labels != answers)
    assert len(wrong) > 0
    names = sorted(p.name for p in wrong_dir.iterdir())
    assert len(names) == len(wrong) and f"wrote {len(wrong)} misclassified" in captured.err
    for name, index in zip(names, wrong, strict=True):
        assert name.startswith(f"{index:05d}_true{labels[index]}_pred{answers[index]}_p")
        with Image.open(wrong_dir / name) as image:
            np.testing.assert_array_equal(np.asarray(image), images[index])


def test_png_renders_offscreen_inside_the_command(tiny_mnist_dir, oracle_path, tmp_path):
    png = tmp_path / "matrix.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # no display asked for
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "eval",
            "--model",
            str(oracle_path),
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--png",
            str(png),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "accuracy:" in done.stdout and f"wrote {png}" in done.stderr
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 500
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels.min(axis=2) < 100).any() and (pixels.min(axis=2) > 240).any()  # ink on white


def test_an_unwritable_file_fails_after_printing_the_result(
    tiny_mnist_dir, oracle_path, tmp_path, capsys
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(
        [
            "eval",
            "--model",
            str(oracle_path),
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--json",
            "--csv",
            str(blocker / "m.csv"),
        ]
    )
    assert code == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n"] == 300 and "error:" in captured.err


def test_eval_reports_the_expected_calibration_error(tiny_mnist_dir, oracle_path, capsys):
    from workbench.core.evaluation.calibration import expected_calibration_error, softmax

    images, labels, _ = expected_answers(tiny_mnist_dir)
    # the oracle's answers by hand: logit k = 10 × pixel (0, k), pixels in 0…1
    probabilities = softmax(10 * images[:, 0, :10].astype(np.float64) / 255)
    by_hand = expected_calibration_error(probabilities, labels)
    args = ["eval", "--model", str(oracle_path), "--data-dir", str(tiny_mnist_dir), "--no-verify"]
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert np.isfinite(printed["ece"]) and printed["ece"] == pytest.approx(by_hand, abs=1e-6)
    assert len(printed["reliability"]) == 15
    assert sum(row["count"] for row in printed["reliability"]) == printed["n"] == 300
    for key in ("accuracy", "confusion", "per_class", "top_confused", "seconds", "provider"):
        assert key in printed  # every key from before calibration is still there
    assert main(args) == 0
    assert f"expected calibration error {by_hand:.4f}" in capsys.readouterr().out
