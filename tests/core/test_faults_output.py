"""Faults of issue 13, kinds 8-10: a full disk on export and publishing, NaN outputs and strict
JSON, a checkpoint given to `predict`, the image bomb's wording. Each test failed before its fix;
docs/hardening.md lists them."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from fault_files import checkpoint as _checkpoint
from fault_files import strict_json_lines as _strict_json_lines
from PIL import Image

from workbench.cli import main

# -- kind 8: a full disk on export and when publishing a model ----------------------------------


def test_export_to_a_full_disk_says_so_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from workbench.core import fileio

    checkpoint = _checkpoint(tmp_path / "run.safetensors")
    out = tmp_path / "full" / "out.onnx"
    out.parent.mkdir()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "fsync", full)
    assert main(["export", str(checkpoint), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: cannot write") and "No space left on device" in error
    assert "out.onnx" in error and "Traceback" not in error
    assert list(out.parent.iterdir()) == []


def test_write_model_on_a_full_disk_raises_a_clear_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.core.model import publish
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(publish, "save_checkpoint", full)
    out = tmp_path / "model.onnx"
    net = build_network(PRESETS["lenet5"], seed=0)
    with pytest.raises(publish.ModelWriteError) as caught:
        publish.write_model(net, out, {"config": {}}, None)
    message = str(caught.value)
    assert "model.onnx" in message and "No space left" in message
    assert "model.safetensors" in message and "no model files were left" in message
    assert list(tmp_path.iterdir()) == []  # the ONNX file written first is gone again


def test_train_out_on_a_full_disk_keeps_the_run_and_exits_1(
    tiny_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from workbench.core.model import publish

    def full(net, onnx_path, *args, **kwargs):
        raise publish.ModelWriteError(f"could not write the model {onnx_path}: No space left")

    monkeypatch.setattr(publish, "write_model", full)
    argv = ["train", "--data-dir", str(tiny_mnist_dir), "--no-verify", "--epochs", "2",
            "--batch-size", "50", "--val-size", "200",
            "--name", "fullout", "--out", str(tmp_path / "m.onnx")]  # fmt: skip
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert "No space left" in error and "the run is kept in" in error


# -- kind 9: NaN outputs ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nan_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    net = build_network(PRESETS["lenet5"], seed=0)
    with torch.no_grad():
        net.blocks["fc3"][0].bias.fill_(float("nan"))
    path = tmp_path_factory.mktemp("nan") / "nan.onnx"
    export_onnx(net, path)
    return path


def test_nan_outputs_are_an_error_for_that_image_in_strict_json(
    nan_model: Path, tmp_path: Path, capsys
) -> None:
    from workbench.core.data.synth import available_fonts, render_row

    grey, _ = render_row([7], available_fonts()[0], 48, np.random.default_rng(0))
    image = tmp_path / "seven.png"
    Image.fromarray(grey).save(image)
    assert main(["predict", "--json", "--model", str(nan_model), str(image)]) == 1
    (result,) = _strict_json_lines(capsys.readouterr().out)
    assert result["image"] == str(image)
    assert "the model produced NaN" in result["error"] and "digits" not in result


def test_eval_with_nan_outputs_is_an_error_not_invalid_json(
    nan_model: Path, tiny_mnist_dir: Path, capsys
) -> None:
    argv = ["eval", "--json", "--model", str(nan_model), "--data-dir", str(tiny_mnist_dir),
            "--no-verify"]  # fmt: skip
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert _strict_json_lines(captured.out) == []
    assert "the model produced NaN" in captured.err


def test_every_json_line_is_strict_json(capsys) -> None:
    from workbench.cli.common import emit

    emit({"loss": float("nan"), "curve": [1.5, float("inf"), (float("-inf"),)], "n": 3})
    (line,) = _strict_json_lines(capsys.readouterr().out)
    assert line == {"loss": None, "curve": [1.5, None, [None]], "n": 3}


# -- kind 10a: a checkpoint given to predict; the image bomb's wording --------------------------


def test_predict_runs_a_checkpoint(tmp_path: Path, capsys) -> None:
    from workbench.core.model.checkpoint import load_network
    from workbench.core.model.export import export_onnx
    from workbench.core.recognition.predictor import Predictor

    checkpoint = _checkpoint(tmp_path / "ckpt.safetensors")
    image = tmp_path / "bar.png"
    pixels = np.full((60, 40), 255, np.uint8)
    pixels[10:50, 18:23] = 0
    Image.fromarray(pixels).save(image)
    assert main(["predict", "--json", "--model", str(checkpoint), str(image)]) == 0
    (result,) = _strict_json_lines(capsys.readouterr().out)
    assert len(result["digits"]) == 1
    reference = tmp_path / "reference.onnx"
    export_onnx(load_network(checkpoint)[0], reference)
    assert main(["predict", "--json", "--model", str(reference), str(image)]) == 0
    (expected,) = _strict_json_lines(capsys.readouterr().out)
    assert result["digits"] == expected["digits"]
    assert Predictor(reference).spec == load_network(checkpoint)[0].spec


def test_an_image_bomb_gets_the_documented_wording_with_the_limit(tmp_path: Path) -> None:
    import struct
    import zlib

    from workbench.core.recognition.images import ImageLoadError, load_grey

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    def header_only(width: int, height: int) -> bytes:  # claims the size, holds one byte
        ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
        idat = zlib.compress(b"\x00")
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
        )

    for width, height, pixels in ((30000, 30000, "900,000,000"), (9000, 8000, "9000×8000")):
        path = tmp_path / f"bomb-{width}.png"
        path.write_bytes(header_only(width, height))
        with pytest.raises(ImageLoadError) as caught:
            load_grey(path)
        assert str(caught.value) == (
            f"{path}: {pixels} pixels is more than the 64 MP limit (possible decompression bomb)"
        )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("as_json", [True, False])
def test_predict_into_a_full_device_says_so_once(tmp_path: Path, as_json: bool) -> None:
    """`workbench predict … > /dev/full`: one line on stderr and exit 1, no traceback."""
    import subprocess
    import sys

    image = tmp_path / "seven.png"
    picture = Image.new("L", (120, 120), 255)
    from PIL import ImageDraw

    ImageDraw.Draw(picture).line([(30, 25), (90, 25), (50, 100)], fill=0, width=8)
    picture.save(image)
    command = [sys.executable, "-m", "workbench", "predict", *(["--json"] if as_json else [])]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*command, str(image)], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot write the output: No space left on device"
