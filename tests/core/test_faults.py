"""Faults of issue 13, kinds 2-6: unbounded reads, bombs in a spec, bad checkpoint metadata,
empty or misplaced data files and downloads behind the user's back. Each test failed before its
fix; docs/hardening.md lists them (kinds 8-10 are in test_faults_output.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fault_files import checkpoint as _checkpoint
from fault_files import spec_json as _spec_json
from fault_files import strict_json_lines as _strict_json_lines

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


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
