"""`workbench lab`: one strict JSON object, numbers that match torch, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from workbench.cli import main
from workbench.core.lab.examples import EXAMPLES


def strict(text: str) -> dict:
    """The one JSON object printed, refusing NaN and Infinity as the contract does."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text

    def refuse(word):
        raise AssertionError(f"non-strict JSON constant {word}")

    return json.loads(lines[0], parse_constant=refuse)


def run_json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return strict(capsys.readouterr().out)


def test_conv_json_matches_torch_with_steps(capsys):
    rng = np.random.default_rng(7)
    x, k = rng.integers(-4, 5, (7, 6)).astype(float), rng.integers(-2, 3, (3, 2)).astype(float)
    out = run_json(capsys, ["lab", "conv", "--input", json.dumps(x.tolist()), "--kernel",
                            json.dumps(k.tolist()), "--stride", "2", "--padding", "1",
                            "--dilation", "2", "--json"])  # fmt: skip
    expected = F.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None], stride=2,
                        padding=1, dilation=2)[0, 0].numpy()  # fmt: skip
    assert out["shape"] == list(expected.shape)
    np.testing.assert_allclose(out["output"], expected)
    assert len(out["steps"]) == expected.size
    padded = np.pad(x, 1)
    for step in out["steps"]:
        i, j = step["row"], step["col"]
        window = padded[2 * i : 2 * i + 5 : 2, 2 * j : 2 * j + 3 : 2]
        assert step["window"] == window.tolist()
        assert step["products"] == (window * k).tolist()
        assert step["sum"] == pytest.approx(expected[i, j])


def test_conv_accepts_whitespace_rows(capsys):
    out = run_json(capsys, ["lab", "conv", "--input", "1 2 3 0\n0 1 2 3\n3 0 1 2\n2 3 0 1",
                            "--kernel", "2 0 1; 0 1 2; 1 0 2", "--json"])  # fmt: skip
    assert out["output"] == [[15, 16], [6, 15]] and out["shape"] == [2, 2]
    assert out["steps"][0]["window"] == [[1, 2, 3], [0, 1, 2], [3, 0, 1]]


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_json_matches_torch(capsys, mode):
    x = np.random.default_rng(3).normal(size=(7, 9))
    out = run_json(capsys, ["lab", "pool", "--input", json.dumps(x.tolist()), "--size", "3",
                            "--stride", "2", "--mode", mode, "--json"])  # fmt: skip
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(torch.tensor(x)[None, None], 3, stride=2)[0, 0].numpy()
    assert out["shape"] == [3, 4]
    np.testing.assert_allclose(out["output"], expected, rtol=1e-12)


def test_grad_json_matches_autograd(capsys):
    rng = np.random.default_rng(11)
    x, w = rng.normal(size=(6, 5)), rng.normal(size=(3, 3))
    dy = rng.normal(size=(3, 3))  # ⌊(8 − 3)/2⌋ + 1 by ⌊(7 − 3)/2⌋ + 1
    out = run_json(capsys, ["lab", "grad", "--input", json.dumps(x.tolist()), "--kernel",
                            json.dumps(w.tolist()), "--upstream", json.dumps(dy.tolist()),
                            "--stride", "2", "--padding", "1", "--lr", "0.25",
                            "--json"])  # fmt: skip
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.conv2d(tx[None, None], tw[None, None], stride=2, padding=1)[0, 0]
    y.backward(torch.tensor(dy))
    np.testing.assert_allclose(out["output"], y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(out["dW"], tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out["dX"], tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["W_new"], w - 0.25 * tw.grad.numpy(), rtol=1e-12)


def test_size_and_net_json(capsys):
    size = run_json(capsys, ["lab", "size", "227", "11", "--stride", "4", "--json"])
    assert size["output"] == 55 and size["dropped"] == 0
    net = run_json(capsys, ["lab", "net", "--json"])  # the worked example is the default
    assert net["f"] == 0.5 and net["loss"] == 10.125 and net["dL_dw1"] == 0
    assert net["w2_new"] == pytest.approx(0.5 * 1.125 / (1 + np.exp(-1)))


def test_text_output_writes_the_sums_out(capsys):
    assert main(["lab", "conv", "--input", "1 2; 3 4", "--kernel", "[[1, -1]]"]) == 0
    text = capsys.readouterr().out
    assert "cross-correlation" in text
    assert "out[1,0] = 3·1 + 4·(-1) = -1" in text
    assert main(["lab", "net"]) == 0
    text = capsys.readouterr().out
    assert "L = ½(f − y)²" in text and "twice as large" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["conv", "--input", "1 2; 3", "--kernel", "1"], "different lengths"),
        (["conv", "--input", "[[1, 2]", "--kernel", "1"], "not valid JSON"),
        (["conv", "--input", "1 two", "--kernel", "1"], "not a number"),
        (["conv", "--input", "1 2; 3 4", "--kernel", "1 1 1"], "larger than the padded input"),
        (["conv", "--input", "1 2; 3 4", "--kernel", "1 1 1", "--padding", "1"], None),
        (["conv", "--input", "1 2", "--kernel", "1", "--stride", "0"], "stride"),
        (["conv", "--input", "[[1e308]]", "--kernel", "[[1e308]]"], "overflows"),
        (["pool", "--input", "1 2; 3 4", "--size", "3"], "larger than the padded input"),
        (["grad", "--input", "1 2; 3 4", "--kernel", "1", "--upstream", "1"], "output's shape"),
        (["size", "5", "7"], "larger than the padded input"),
        (["net", "--y", "nan"], "finite"),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(capsys, argv, message):
    code = main(["lab", *argv, "--json"])
    captured = capsys.readouterr()
    if message is None:  # the padding makes room: this one works
        assert code == 0 and strict(captured.out)["shape"] == [4, 2]
        return
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err


def test_every_example_runs_from_its_command_line(capsys):
    for example in EXAMPLES:
        out = run_json(capsys, [*example.argv(), "--json"])
        assert "output" in out or "f" in out, example.title
    assert main(["lab", "examples"]) == 0
    assert "workbench lab size 227 11 --stride 4" in capsys.readouterr().out


def test_installed_command_prints_strict_json():
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "lab", "pool", "--input", "[[1,1,2,4],[5,6,7,8],"
         "[3,2,1,0],[1,2,3,4]]", "--size", "2", "--mode", "max", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert strict(done.stdout)["output"] == [[6, 8], [3, 4]]
    bad = subprocess.run(
        [sys.executable, "-m", "workbench", "lab", "conv", "--input", "1 2", "--kernel", "x"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "--kernel holds 'x'" in bad.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    """`workbench lab … | head -1`: the pipe closes under the command; it stops quietly."""
    import subprocess
    import sys

    done = subprocess.run(
        f"{sys.executable} -m workbench lab conv --input '[[1,2,3,0],[0,1,2,3],[3,0,1,2],"
        "[2,3,0,1]]' --kernel '[[2,0,1],[0,1,2],[1,0,2]]' | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and len(done.stdout) == 10
