"""Faults of issue 13 (kinds 2-6, 8-10a): unbounded reads, bombs in a spec, bad checkpoint
metadata, empty or misplaced data files, a full disk on export, NaN outputs, checkpoints given
to `predict`. Each test failed before its fix; docs/hardening.md lists them."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _strict_json_lines(text: str) -> list[dict]:
    """Parse each line as JSON that a strict parser accepts (no NaN, no Infinity)."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines() if line]


def _checkpoint(path: Path, **meta_changes: str) -> Path:
    """A LeNet-5 checkpoint, with some metadata entries replaced as they are stored (text)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from workbench.core.model.checkpoint import save_checkpoint
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    save_checkpoint(path, build_network(PRESETS["lenet5"], seed=0), None, {"epoch": 1})
    if meta_changes:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata()
        tensors = load_file(str(path))
        save_file(tensors, str(path), metadata={**meta, **meta_changes})
    return path


def _spec_json(**layer_changes: dict) -> str:
    from workbench.core.model.spec import PRESETS

    spec = PRESETS["lenet5"].to_dict()
    for layer in spec["layers"]:
        layer.update(layer_changes.get(layer["name"], {}))
    return json.dumps(spec)


# -- kind 2: unbounded reads --------------------------------------------------------------------


def test_devices_and_pipes_get_a_json_error_at_once(tmp_path: Path) -> None:
    """`predict --json /dev/zero` grew to 8 GB; a FIFO named x.png hung. Now: errors at once.

    Run in a child with a 3 GB address-space cap and a timeout, so a regression fails here
    instead of eating the machine.
    """
    if not hasattr(os, "mkfifo") or not Path("/dev/zero").exists():
        pytest.skip("needs /dev/zero and named pipes")
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
        "from workbench.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    args = ["predict", "--json", "/dev/zero", str(fifo), str(folder)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 1, done.stderr
    results = _strict_json_lines(done.stdout)
    assert [r["image"] for r in results] == ["/dev/zero", str(fifo), str(folder)]
    assert "not a regular file" in results[0]["error"]
    assert "not a regular file" in results[1]["error"]
    assert "a folder" in results[2]["error"]
    assert "Traceback" not in done.stderr


def test_an_image_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    from workbench.core.recognition.images import MAX_FILE_BYTES, ImageLoadError, load_grey

    assert MAX_FILE_BYTES == 200 * 2**20
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ImageLoadError, match=r"huge.png: 200 MB is more than the 200 MB limit"):
        load_grey(huge)


def test_a_device_or_pipe_given_as_model_is_refused(tmp_path: Path) -> None:
    from workbench.core.model.files import open_model
    from workbench.core.recognition.predictor import ModelLoadError, Predictor

    if not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"):
        pytest.skip("needs /dev/zero and named pipes")
    with pytest.raises(ModelLoadError, match="not a regular file"):
        Predictor("/dev/zero")
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(ModelLoadError, match="model.safetensors: not a regular file"):
        open_model(fifo)


# -- kind 3: allocation bombs in a spec ---------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"fc1": {"units": 2_000_000_000}},
        {"conv2": {"channels": 100_000}},
        {"conv1": {"channels": 100_000}},
    ],
    ids=["fc-units", "conv-channels", "conv-activations"],
)
def test_a_spec_past_the_size_limits_is_refused_before_building(changes: dict) -> None:
    from workbench.core.model.network import SpecNet
    from workbench.core.model.spec import ModelSpec, SpecError

    spec = ModelSpec.from_json(_spec_json(**changes))
    with pytest.raises(SpecError, match="limit of"):
        SpecNet(spec)


def test_an_mlp_past_the_size_limit_is_refused() -> None:
    from workbench.core.model.network import SpecNet
    from workbench.core.model.spec import LayerSpec, ModelSpec, SpecError

    wide = ModelSpec(
        "mlp", (LayerSpec("fc", "hidden", units=500_000_000), LayerSpec("fc", "out", units=10))
    )
    with pytest.raises(SpecError, match=r"layer 1 \(hidden\).*parameters"):
        SpecNet(wide)


def test_course_networks_are_far_below_the_limits() -> None:
    from workbench.core.model.anatomy import anatomy
    from workbench.core.model.limits import MAX_ACTIVATIONS, MAX_PARAMETERS, check_size
    from workbench.core.model.spec import PRESETS

    for spec in PRESETS.values():
        check_size(spec)
        assert anatomy(spec).parameters * 20 < MAX_PARAMETERS
    assert MAX_ACTIVATIONS >= 100 * 9_000


def test_a_bomb_checkpoint_is_refused_by_export_and_the_window_loader(
    tmp_path: Path, capsys
) -> None:
    from workbench.core.model.files import open_model
    from workbench.core.recognition.predictor import ModelLoadError

    bomb = _checkpoint(tmp_path / "bomb.safetensors", spec=_spec_json(fc1={"units": 2 * 10**9}))
    assert main(["export", str(bomb), "--out", str(tmp_path / "bomb.onnx")]) == 2
    error = capsys.readouterr().err
    assert "bomb.safetensors" in error and "limit of" in error
    assert not (tmp_path / "bomb.onnx").exists()
    with pytest.raises(ModelLoadError, match=r"bomb.safetensors.*limit of"):
        open_model(bomb)


# -- kind 4: checkpoint metadata that is not JSON -----------------------------------------------


def test_checkpoint_metadata_that_is_not_json_names_the_file_and_key(
    tmp_path: Path, capsys
) -> None:
    from workbench.core.model.files import open_model
    from workbench.core.recognition.predictor import ModelLoadError

    bad = _checkpoint(tmp_path / "odd.safetensors", optimizer="not json")
    assert main(["export", str(bad), "--out", str(tmp_path / "odd.onnx")]) == 2
    error = capsys.readouterr().err
    assert "odd.safetensors" in error and "'optimizer'" in error and "JSON" in error
    with pytest.raises(ModelLoadError, match=r"odd.safetensors: metadata 'optimizer'"):
        open_model(bad)


# -- kind 6: empty files and folders in the data folder; no download behind the user's back ----


@pytest.fixture
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) every download attempt."""
    from workbench.core.data import mnist

    attempts: list[str] = []

    def download(url, *args, **kwargs):
        attempts.append(url)
        raise ConnectionError(f"{url}: no network in this test")
        yield  # a generator, as the real one

    monkeypatch.setattr(mnist, "_download", download)
    return attempts


def _copy_data(source: Path, target: Path) -> Path:
    target.mkdir()
    for item in source.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    return target


@pytest.mark.parametrize("fault", ["empty", "folder"])
def test_an_empty_or_misplaced_idx_file_is_named_never_missing(
    fault: str, tiny_mnist_dir: Path, tmp_path: Path
) -> None:
    from workbench.core.data.idx import IdxError
    from workbench.core.data.mnist import TRAIN_LABELS, file_status, load_split

    folder = _copy_data(tiny_mnist_dir, tmp_path / "data")
    (folder / TRAIN_LABELS).unlink()
    if fault == "empty":
        (folder / TRAIN_LABELS).write_bytes(b"")
    else:
        (folder / TRAIN_LABELS).mkdir()
    for verify in (False, True):
        with pytest.raises(IdxError, match=TRAIN_LABELS) as caught:
            load_split(folder, "train", verify=verify)
        assert "missing" not in str(caught.value)
    assert file_status(folder, None)[TRAIN_LABELS].startswith("corrupt: ")


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--no-verify", "--epochs", "1"],
        ["train", "--epochs", "1"],
        ["eval", "--no-verify"],
        ["eval"],
        ["bench", "--skip-training", "--skip-gui", "--runs", "1"],
    ],
    ids=["train-no-verify", "train-data-dir", "eval-no-verify", "eval-data-dir", "bench"],
)
def test_commands_never_download_into_a_given_folder(
    command: list[str], tiny_mnist_dir: Path, tmp_path: Path, no_downloads: list[str], capsys
) -> None:
    from workbench.core.data.mnist import TEST_LABELS, TRAIN_LABELS

    folder = _copy_data(tiny_mnist_dir, tmp_path / "data")
    (folder / TRAIN_LABELS).write_bytes(b"")
    (folder / TEST_LABELS).write_bytes(b"")
    assert main([command[0], "--data-dir", str(folder), *command[1:]]) == 2
    error = capsys.readouterr().err
    assert no_downloads == []
    assert "downloading" not in error and "missing" not in error
    assert "empty file" in error and "labels-idx1-ubyte.gz" in error


def test_workbench_data_still_downloads(tmp_path: Path, no_downloads: list[str], capsys) -> None:
    assert main(["data", "--data-dir", str(tmp_path / "data")]) == 2
    assert no_downloads, "`workbench data` must try to download the missing files"


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
