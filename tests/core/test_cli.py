"""The `workbench` command: its JSON contracts, exit codes and files, on generated data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.core import paths
from workbench.core.recognition.predictor import Predictor


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_subcommand_has_a_handler():
    import argparse

    from workbench.cli import _handlers, build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(_handlers())


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--help"], capture_output=True, text=True, check=True
    )
    commands = ("train", "export", "eval", "predict", "data", "summary", "bench", "report")
    for command in commands:
        assert command in result.stdout
    for command in commands:
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_mnist_dir):
    """A model trained by `workbench train --out` on the tiny generated set."""
    out = tmp_path_factory.mktemp("model") / "tiny.onnx"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(out.parent / "home"))
        code = main(
            [
                "train",
                "--data-dir",
                str(tiny_mnist_dir),
                "--no-verify",
                "--epochs",
                "2",
                "--batch-size",
                "50",
                "--val-size",
                "200",
                "--name",
                "tiny",
                "--out",
                str(out),
            ]
        )
    assert code == 0
    return out


def test_train_writes_run_model_and_card(trained, tiny_mnist_dir):
    card = json.loads(trained.with_suffix(".json").read_text())
    assert trained.with_suffix(".safetensors").is_file()
    assert card["test"]["n"] == 300 and card["test"]["accuracy"] > 0.9
    assert len(card["history"]) == 2 and card["recipe"]["epochs"] == 2
    assert card["export"]["argmax_agreement"] == 1.0
    assert Predictor(trained).model_card()["test"]["accuracy"] == card["test"]["accuracy"]


def test_train_json_lines_are_events(tiny_mnist_dir, capsys):
    code = main(
        [
            "train",
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--epochs",
            "1",
            "--batch-size",
            "100",
            "--val-size",
            "200",
            "--json",
        ]
    )
    assert code == 0
    events = json_lines(capsys.readouterr().out)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunEnded" and "EpochDone" in kinds
    assert events[-1]["state"] == "finished"


def test_eval_json_contract(trained, tiny_mnist_dir, capsys):
    code = main(
        [
            "eval",
            "--model",
            str(trained),
            "--data-dir",
            str(tiny_mnist_dir),
            "--no-verify",
            "--json",
        ]
    )
    assert code == 0
    (result,) = json_lines(capsys.readouterr().out)
    assert result["n"] == 300
    matrix = np.array(result["confusion"])
    assert matrix.shape == (10, 10) and matrix.sum() == 300
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / 300)
    assert [row["digit"] for row in result["per_class"]] == list(range(10))
    assert sum(row["support"] for row in result["per_class"]) == 300
    counts = [pair["count"] for pair in result["top_confused"]]
    assert counts == sorted(counts, reverse=True) and len(counts) <= 10
    assert result["provider"] == "CPUExecutionProvider" and result["seconds"] > 0


def test_eval_without_data_offline_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MIRRORS", "http://127.0.0.1:9/")
    code = main(["eval", "--data-dir", str(tmp_path / "empty"), "--json"])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "t10k-images-idx3-ubyte.gz" in captured.err


def test_export_from_run_folder(trained, tmp_path):
    run = trained.parent / "home" / "runs" / "tiny"
    assert (run / "history.json").is_file()
    assert main(["export", str(run), "--out", str(tmp_path / "again.onnx")]) == 0
    assert Predictor(tmp_path / "again.onnx").layer_names[0] == "conv1"
    assert (
        main(["export", str(tmp_path / "nothing.safetensors"), "--out", str(tmp_path / "x.onnx")])
        == 2
    )


def test_predict_bad_model_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model at all")
    image = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(image)
    assert main(["predict", "--model", str(bad), "--json", str(image)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "bad.onnx" in captured.err


needs_shipped = pytest.mark.skipif(not paths.SHIPPED_MODEL.is_file(), reason="no shipped model")


@needs_shipped
def test_predict_json_contract_with_a_broken_file(tmp_path, capsys):
    from workbench.core.data.synth import available_fonts, render_row

    grey, boxes = render_row([3, 1, 4], available_fonts()[0], 48, np.random.default_rng(0))
    row = tmp_path / "row.png"
    Image.fromarray(grey).save(row)
    blank = tmp_path / "blank.png"
    Image.new("L", (80, 80), 255).save(blank)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code = main(["predict", "--json", "--top", "3", str(row), str(broken), str(blank)])
    assert code == 1
    results = json_lines(capsys.readouterr().out)
    assert [r["image"] for r in results] == [str(row), str(broken), str(blank)]
    digits = results[0]["digits"]
    assert [d["top"][0]["digit"] for d in digits] == [3, 1, 4]
    for d in digits:
        assert len(d["box"]) == 4 and len(d["top"]) == 3
        assert d["top"][0]["p"] >= d["top"][1]["p"] >= d["top"][2]["p"]
    assert "error" in results[1] and "broken.jpg" in results[1]["error"]
    assert results[2]["digits"] == []


@needs_shipped
def test_predict_as_a_command_prints_all_and_keeps_its_exit_code(tmp_path):
    """`python -m workbench predict` (the console script's path) leaves without the
    interpreter's teardown: every line printed, the exit code kept."""
    from workbench.core.data.synth import available_fonts, render_row

    grey, _ = render_row([7, 2], available_fonts()[0], 48, np.random.default_rng(1))
    row = tmp_path / "row.png"
    Image.fromarray(grey).save(row)
    missing = tmp_path / "missing.png"
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "workbench", "predict", "--json"]
    result = subprocess.run(
        [*command, str(row), str(missing)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1, result.stderr
    results = json_lines(result.stdout)
    assert [d["top"][0]["digit"] for d in results[0]["digits"]] == [7, 2]
    assert "missing.png" in results[1]["error"]
    result = subprocess.run([*command, str(row)], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and json_lines(result.stdout)[0]["image"] == str(row)


@needs_shipped
def test_predict_imports_only_what_reading_needs(tmp_path):
    """A one-command run builds its own subcommand alone: `workbench predict` (timed on a 12 MP
    photo) loads neither the training, lab, report nor comparison code, nor torch."""
    blank = tmp_path / "blank.png"
    Image.new("L", (80, 80), 255).save(blank)
    code = (
        "import sys\n"
        "from workbench.cli import main\n"
        f"assert main(['predict', '--json', {str(blank)!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('workbench.cli.', "
        "'workbench.core.report', 'workbench.core.training', 'workbench.core.lab', 'torch'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))
    assert loaded == ["workbench.cli.common", "workbench.cli.predict"]


def test_summary_of_a_spec_file_and_json(tmp_path, capsys):
    spec = {
        "name": "homework",
        "input_shape": [1, 28, 28],
        "classes": 3,
        "layers": [
            {"kind": "conv", "name": "c1", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "p1", "kernel": 2},
            {"kind": "conv", "name": "c2", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "p2", "kernel": 2},
            {"kind": "fc", "name": "fc", "units": 3},
        ],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    assert main(["summary", "--spec", str(path), "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["parameters"] == 100 + 910 + 1473
    assert [row["output_shape"] for row in table["layers"]][-2:] == [[10, 7, 7], [3]]
    assert main(["summary", "--preset", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "61,706" in out
    # Shapes as C×H×W, and the flattening row the window shows too.
    lines = out.splitlines()
    assert any(line.startswith("pool2") and "16×5×5" in line for line in lines)
    assert any(line.split()[:3] == ["flatten", "flatten", "400"] for line in lines)
    spec["layers"][2]["kernel"] = 30
    path.write_text(json.dumps(spec))
    assert main(["summary", "--spec", str(path)]) == 2
    assert "c2" in capsys.readouterr().err
