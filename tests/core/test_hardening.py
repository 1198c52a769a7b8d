"""Hardening: faults injected at the write layer, a process killed mid-save, bad losses,
failing providers, odd images end to end, and a seeded fuzz corpus for the image loader.

The rows of docs/hardening.md that older test files do not already prove are proved here.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.core import fileio
from workbench.core.data import synth
from workbench.core.recognition.images import ImageLoadError, load_grey
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist
from workbench.core.recognition.segmentation import DigitCrop, split_digits

ROOT = Path(__file__).resolve().parents[2]
FUZZ_SECONDS = 15.0  # budget of the image fuzz test (CI must stay under a minute)


# -- faults at the write layer ---------------------------------------------------------------


class _FullDisk(io.FileIO):
    """A file on a disk with `room` bytes left: the write after that fails with ENOSPC."""

    room = 0

    def write(self, data) -> int:
        if len(data) > _FullDisk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _FullDisk.room -= len(data)
        return super().write(data)


def _full_disk(monkeypatch: pytest.MonkeyPatch, room: int = 0) -> None:
    """Make every file opened with os.fdopen (atomic_writer, downloads) run out of space."""

    def fdopen(fd: int, mode: str = "r", *args, **kwargs):
        buffered = io.BufferedWriter(_FullDisk(fd, "wb"))
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding=kwargs.get("encoding", "utf-8"))

    _FullDisk.room = room
    monkeypatch.setattr(os, "fdopen", fdopen)


def _fail(exc: OSError):
    def raiser(*args, **kwargs):
        raise exc

    return raiser


def _faults() -> dict[str, tuple[str, OSError, str]]:
    """name -> (what to patch, error, what the message says)."""
    return {
        "disk-full-on-write": ("write", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "space"),
        "disk-full-on-fsync": ("fsync", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "space"),
        "read-only-on-rename": ("replace", OSError(errno.EROFS, os.strerror(errno.EROFS)), "Read"),
        "unwritable-folder": (
            "mkstemp",
            PermissionError(errno.EACCES, "Permission denied"),
            "Perm",
        ),
    }


def _inject(monkeypatch: pytest.MonkeyPatch, where: str, exc: OSError) -> None:
    if where == "write":
        _full_disk(monkeypatch, room=16)  # a little goes in, then the disk is full
    elif where == "fsync":
        monkeypatch.setattr(os, "fsync", _fail(exc))
    elif where == "replace":
        monkeypatch.setattr(os, "replace", _fail(exc))
    else:
        monkeypatch.setattr(tempfile, "mkstemp", _fail(exc))


def _write_idx_file(path: Path, value: int) -> None:
    from workbench.core.data.idx import write_idx

    write_idx(path, np.full((3, 28, 28), value, np.uint8))


def _write_checkpoint(path: Path, value: int) -> None:
    import torch

    from workbench.core.model.checkpoint import save_checkpoint
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    net = build_network(PRESETS["lenet5"], seed=value)
    save_checkpoint(path, net, torch.optim.SGD(net.parameters(), lr=0.1), {"epoch": value})


def _write_history(path: Path, value: int) -> None:
    fileio.write_json_atomic(path, {"format": "workbench-run-1", "epochs": [value] * 50})


def _read_value(kind: str, path: Path) -> int:
    if kind == "idx":
        from workbench.core.data.idx import read_idx

        return int(read_idx(path)[0, 0, 0])
    if kind == "checkpoint":
        from workbench.core.model.checkpoint import load_network

        return int(load_network(path)[1]["epoch"])
    return int(json.loads(path.read_text())["epochs"][0])


WRITERS = {
    "idx": ("train-labels-idx1-ubyte.gz", _write_idx_file),
    "checkpoint": ("epoch-001.safetensors", _write_checkpoint),
    "history": ("history.json", _write_history),
}


@pytest.mark.parametrize("fault", list(_faults()))
@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, fault: str
) -> None:
    name, write = WRITERS[kind]
    path = tmp_path / name
    write(path, 1)
    where, exc, says = _faults()[fault]
    with monkeypatch.context() as patch:
        _inject(patch, where, exc)
        with pytest.raises(OSError) as caught:
            write(path, 2)
    message = str(caught.value)
    assert says in message, message
    assert name in message, f"the message should name the file: {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no .part left behind
    assert _read_value(kind, path) == 1  # the old file, whole


def test_a_failed_first_write_leaves_no_file_at_all(tmp_path: Path, monkeypatch) -> None:
    _full_disk(monkeypatch)
    with pytest.raises(OSError, match="space"):
        _write_history(tmp_path / "history.json", 1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fault", ["disk-full-on-write", "disk-full-on-fsync", "unwritable-folder"])
def test_a_download_into_a_full_or_unwritable_folder_says_why_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    from workbench.core.data.idx import write_idx
    from workbench.core.data.mnist import TRAIN_LABELS, DataUnavailable, iter_fetch

    source, target = tmp_path / "mirror", tmp_path / "data"
    write_idx(source / TRAIN_LABELS, np.arange(50_000, dtype=np.uint8) % 10)
    mirror = source.as_uri() + "/"  # urllib reads file:// URLs: a mirror without a server
    where, exc, says = _faults()[fault]
    target.mkdir()
    _inject(monkeypatch, where, exc)
    with pytest.raises(DataUnavailable) as caught:
        list(iter_fetch(target, [mirror], files=[TRAIN_LABELS], checksums=None))
    message = str(caught.value)
    assert says in message and TRAIN_LABELS in message, message
    assert list(target.iterdir()) == []


def test_a_training_run_on_a_full_disk_stops_with_the_last_good_epoch(
    pattern_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.core.model.checkpoint import checkpoint_path, load_network
    from workbench.core.training.loop import EpochDone, TrainConfig, train
    from workbench.core.training.runs import read_history, summarise

    config = TrainConfig(epochs=3, batch_size=100, val_size=200, seed=3)
    events = train(config, *pattern_data, run_dir=tmp_path)
    with pytest.raises(OSError, match="space") as caught:
        for event in events:
            if isinstance(event, EpochDone) and event.epoch == 1:
                _full_disk(monkeypatch)  # the disk fills up during epoch 2
    assert "epoch-002.safetensors" in str(caught.value)
    monkeypatch.undo()
    assert len(read_history(tmp_path)["epochs"]) == 1
    assert load_network(checkpoint_path(tmp_path, 1))[1]["epoch"] == 1
    assert not checkpoint_path(tmp_path, 2).exists()
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["epoch-001.safetensors"]
    assert summarise(tmp_path).can_resume()


# -- the process killed mid-save -------------------------------------------------------------

_SAVER = """
import sys, torch
from workbench.core.model.checkpoint import save_checkpoint
from workbench.core.fileio import write_json_atomic
from workbench.core.model.network import build_network
from workbench.core.model.spec import PRESETS
net = build_network(PRESETS["conv1"], seed=0)
optimizer = torch.optim.Adam(net.parameters())
run = sys.argv[1]
for count in range(1, 100_000):
    with torch.no_grad():
        next(net.parameters()).fill_(float(count))
    save_checkpoint(run + "/checkpoints/epoch-001.safetensors", net, optimizer, {"epoch": count})
    write_json_atomic(run + "/history.json", {"epochs": [count]})
    print(count, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.013, 0.037])
def test_killed_mid_save_the_last_complete_checkpoint_loads(tmp_path: Path, delay: float) -> None:
    from workbench.core.model.checkpoint import load_network
    from workbench.core.training.runs import last_checkpoint

    command = [sys.executable, "-c", _SAVER, str(tmp_path)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        try:
            saved = [int(child.stdout.readline()) for _ in range(3)]
            time.sleep(delay)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(30)
    assert child.returncode == -signal.SIGKILL
    path = last_checkpoint(tmp_path)
    assert path is not None and path.name == "epoch-001.safetensors"  # a .part is never taken
    net, meta = load_network(path)
    assert meta["epoch"] >= saved[-1]
    assert float(next(net.parameters()).detach().flatten()[0]) == meta["epoch"]
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["epochs"][0] >= saved[-1]


# -- training faults --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_an_infinite_or_nan_loss_is_diverged_naming_the_batch(
    pattern_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: float
) -> None:
    import torch.nn.functional as F

    from workbench.core.training.loop import RunEnded, TrainConfig, train
    from workbench.core.training.runs import read_history

    real, calls = F.cross_entropy, {"n": 0}

    def cross_entropy(logits, target, *args, **kwargs):
        loss = real(logits, target, *args, **kwargs)
        if kwargs.get("reduction", "mean") == "mean":
            calls["n"] += 1
            if calls["n"] == 3:
                return loss + bad
        return loss

    monkeypatch.setattr(F, "cross_entropy", cross_entropy)
    config = TrainConfig(epochs=2, batch_size=100, val_size=200, seed=3)
    ended = list(train(config, *pattern_data, run_dir=tmp_path))[-1]
    assert isinstance(ended, RunEnded) and ended.state == "diverged"
    assert ended.reason == f"loss became {bad} in epoch 1, batch 3"
    history = read_history(tmp_path)
    assert history["state"] == "diverged" and history["reason"] == ended.reason
    assert not (tmp_path / "checkpoints").exists()


def test_cancel_at_every_moment_leaves_a_consistent_run(pattern_data, tmp_path: Path) -> None:
    """Stop after each kind of moment: history, state and checkpoints always agree."""
    from workbench.core.model.checkpoint import checkpoint_path, load_network
    from workbench.core.training.loop import TrainConfig, train
    from workbench.core.training.runs import read_history, summarise

    config = TrainConfig(epochs=2, batch_size=125, val_size=100, seed=3)  # 4 batches an epoch
    data = (pattern_data[0][:600], pattern_data[1][:600])
    # Events: 0 RunStarted, 1-2 BatchDone (batches 1 and 4: every tenth and the last), 3 EpochDone,
    # 4-5 BatchDone, 6 EpochDone, 7 RunEnded.
    moments = [0, 1, 2, 3, 4, 5, 6]
    for stop_after in moments:
        run_dir = tmp_path / f"stop-{stop_after}"
        events = train(config, *data, run_dir=run_dir)
        for index, _ in enumerate(events):
            if index == stop_after:
                events.close()
        history = read_history(run_dir)
        assert history["state"] == "stopped", stop_after
        done = len(history["epochs"])
        assert history["ended_epoch"] == done
        found = sorted((run_dir / "checkpoints").glob("*")) if done else []
        assert [p.name for p in found] == [
            checkpoint_path(run_dir, e).name for e in range(1, done + 1)
        ]
        if done:
            load_network(checkpoint_path(run_dir, done))
        assert summarise(run_dir).can_resume() == (done < config.epochs)
    print(f"\ncancel: stopped at {len(moments)} moments of a run")


def test_two_runs_started_at_once_get_their_own_folders(tmp_path: Path, monkeypatch) -> None:
    """Both see the name free, then both create it: the second takes the next free name."""
    from workbench.core.training.runs import new_run_dir

    monkeypatch.setattr(Path, "exists", lambda self: False)  # the race: the check said free
    first = new_run_dir("same", tmp_path)
    second = new_run_dir("same", tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    assert second.name == "same-2"


def test_cli_train_with_cuda_asked_for_and_none_there_exits_2(
    tiny_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import torch

    from workbench.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code = main(
        ["train", "--data-dir", str(tiny_mnist_dir), "--no-verify", "--device", "cuda",
         "--epochs", "1", "--name", "no-gpu"]
    )  # fmt: skip
    assert code == 2
    assert "CUDA" in capsys.readouterr().err


def test_cli_train_on_a_full_disk_says_which_file_and_exits_1(
    tiny_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from workbench.cli import main

    _full_disk(monkeypatch)
    code = main(
        ["train", "--data-dir", str(tiny_mnist_dir), "--no-verify", "--epochs", "1",
         "--name", "full"]
    )  # fmt: skip
    assert code == 1
    error = capsys.readouterr().err
    assert "No space left on device" in error and "history.json" in error, error


# -- runtime ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    path = tmp_path_factory.mktemp("model") / "model.onnx"
    export_onnx(build_network(PRESETS["lenet5"], seed=0).eval(), path)
    return path


@pytest.fixture
def failing_cuda(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """onnxruntime that lists CUDA, but whose CUDA provider fails to load; the calls made."""
    import onnxruntime as ort

    real, calls = ort.InferenceSession, []

    def session(data, sess_options=None, providers=None):
        calls.append(list(providers))
        if "CUDAExecutionProvider" in providers:
            raise RuntimeError("LoadLibrary failed with error 126: libcudnn.so.9 not found")
        return real(data, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    monkeypatch.setattr(ort, "InferenceSession", session)
    return calls


@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_a_provider_that_fails_to_load_falls_back_to_cpu_with_a_notice(
    exported: Path, failing_cuda: list[list[str]], device: str
) -> None:
    from workbench.core.recognition.predictor import Predictor

    predictor = Predictor(exported, device=device)
    assert failing_cuda[0][0] == "CUDAExecutionProvider"
    assert failing_cuda[-1] == ["CPUExecutionProvider"]
    assert predictor.provider == "CPUExecutionProvider"
    assert "CUDA failed to load" in predictor.notice and "libcudnn" in predictor.notice
    assert "CPU" in predictor.describe()
    assert predictor.predict(np.zeros((2, 28, 28), np.float32)).probabilities.shape == (2, 10)


def test_a_bad_file_with_a_failing_provider_is_still_a_model_load_error(
    tmp_path: Path, failing_cuda: list[list[str]]
) -> None:
    from workbench.core.recognition.predictor import ModelLoadError, Predictor

    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(ModelLoadError, match="random.onnx: not a valid ONNX model"):
        Predictor(path, device="cuda")


def test_cuda_that_silently_does_not_start_is_noticed(exported: Path, monkeypatch) -> None:
    """onnxruntime may drop CUDA without an error: the provider really used is what counts."""
    import onnxruntime as ort

    from workbench.core.recognition.predictor import Predictor

    real = ort.InferenceSession
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    monkeypatch.setattr(
        ort,
        "InferenceSession",
        lambda data, sess_options=None, providers=None: real(
            data, sess_options=sess_options, providers=["CPUExecutionProvider"]
        ),
    )
    predictor = Predictor(exported, device="cuda")
    assert predictor.provider == "CPUExecutionProvider"
    assert predictor.notice == "onnxruntime could not start CUDA: running on the CPU"


# -- images end to end --------------------------------------------------------------------------


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_of_fifty_digits_reads_fifty_crops(tmp_path: Path) -> None:
    rng = np.random.default_rng(50)
    rows = [list(rng.integers(0, 10, 10)) for _ in range(5)]
    grey, truth = synth.render_page(rows, synth.available_fonts()[0], 36, rng, noise=0.02)
    path = tmp_path / "page.jpg"
    Image.fromarray(np.asarray(grey, np.uint8)).save(path, quality=90)
    crops = split_digits(load_grey(path))
    assert len(crops) == len(truth) == 50
    for crop in crops:
        assert crop.image.shape == (28, 28) and crop.image.dtype == np.float32


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((1, 1), np.uint8), np.full((1, 1), 255, np.uint8), np.zeros((480, 640), np.uint8),
     np.full((480, 640), 255, np.uint8)],
    ids=["1x1-black", "1x1-white", "all-black", "all-white"],
)  # fmt: skip
def test_blank_and_tiny_images_read_no_digit(pixels: np.ndarray) -> None:
    grey = load_grey(_png(pixels))
    assert grey.shape == pixels.shape
    assert split_digits(grey) == []
    assert to_mnist(ink_from_grey(grey)) is None


# -- fuzzing the image loader ------------------------------------------------------------------


def _seed_images() -> list[bytes]:
    """Small valid files of every format and the awkward modes: the corpus to mutate."""
    rng = np.random.default_rng(0)
    ink = np.full((24, 20), 255, np.uint8)
    ink[4:20, 8:12] = 0
    base = Image.fromarray(ink)
    cases: list[tuple[Image.Image, str, dict]] = [
        (base, "PNG", {}),
        (base.convert("RGB"), "JPEG", {"quality": 80}),
        (base.convert("CMYK"), "JPEG", {}),
        (base.convert("RGBA"), "PNG", {}),
        (base.convert("LA"), "PNG", {}),
        (base.convert("P"), "PNG", {"transparency": 0}),
        (Image.fromarray(rng.integers(0, 65535, (12, 10), dtype=np.uint16)), "PNG", {}),
        (Image.fromarray(rng.random((12, 10), dtype=np.float32)), "TIFF", {}),
        (base, "TIFF", {"compression": "tiff_lzw"}),
        (base.convert("RGB"), "BMP", {}),
        (base.convert("RGBA"), "WEBP", {"quality": 70}),
        (base.convert("1"), "PNG", {}),
        (
            base.convert("P"),
            "GIF",
            {"save_all": True, "append_images": [Image.new("P", (20, 24), 1)], "duration": 50},
        ),
    ]
    exif = Image.Exif()
    exif[0x0112] = 6
    cases.append((base.convert("RGB"), "JPEG", {"exif": exif}))
    corpus = []
    for image, kind, options in cases:
        buffer = io.BytesIO()
        image.save(buffer, format=kind, **options)
        corpus.append(buffer.getvalue())
    return corpus


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    kind = int(rng.integers(0, 6))
    if kind == 0:  # truncated
        return data[: int(rng.integers(0, len(data)))]
    if kind == 1:  # a few bytes flipped, often in the header where sizes live
        out = bytearray(data)
        limit = len(out) if rng.random() < 0.5 else min(len(out), 64)
        for _ in range(int(rng.integers(1, 9))):
            out[int(rng.integers(0, limit))] = int(rng.integers(0, 256))
        return bytes(out)
    if kind == 2:  # random bytes spliced in
        at = int(rng.integers(0, len(data) + 1))
        return data[:at] + rng.bytes(int(rng.integers(1, 33))) + data[at:]
    if kind == 3:  # the format's magic, then noise
        return data[: int(rng.integers(2, 17))] + rng.bytes(int(rng.integers(0, 600)))
    if kind == 4:  # pure noise
        return rng.bytes(int(rng.integers(0, 600)))
    return data  # the valid file itself


def _check_pipeline(grey: np.ndarray) -> None:
    ink = ink_from_grey(grey)
    assert ink.shape == grey.shape and ink.dtype == np.float32
    assert float(ink.min()) >= 0.0 and float(ink.max()) <= 1.0
    digit = to_mnist(ink)
    assert digit is None or (digit.shape == (28, 28) and digit.dtype == np.float32)
    for crop in split_digits(grey):
        assert isinstance(crop, DigitCrop) and crop.image.shape == (28, 28)


def test_fuzz_load_grey_returns_unit_floats_or_image_load_error() -> None:
    """Seeded mutations of valid files: an array in [0, 1] or ImageLoadError, nothing else."""
    corpus, rng = _seed_images(), np.random.default_rng(20240601)
    tried = loaded = pipelined = 0
    started = time.perf_counter()
    while time.perf_counter() - started < FUZZ_SECONDS and tried < 4000:
        data = _mutate(corpus[tried % len(corpus)], rng)
        tried += 1
        try:
            grey = load_grey(data)
        except ImageLoadError as error:
            assert str(error).startswith("<image bytes>"), error
            continue
        loaded += 1
        assert isinstance(grey, np.ndarray) and grey.dtype == np.float32 and grey.ndim == 2
        assert grey.size and np.isfinite(grey).all(), data[:32]
        assert float(grey.min()) >= 0.0 and float(grey.max()) <= 1.0
        if grey.size <= 200_000:  # the slow part; big decodes are rare and add nothing here
            _check_pipeline(grey)
            pipelined += 1
    seconds = time.perf_counter() - started
    print(
        f"\nfuzz load_grey: {tried} cases in {seconds:.1f} s, {loaded} loaded, "
        f"{pipelined} through preprocess and segment, {tried - loaded} refused with ImageLoadError"
    )
    assert tried >= 500 and loaded > 0
