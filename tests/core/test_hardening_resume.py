"""Issue 13, kinds 1 and 7: resume continues the run as recorded, and run states tell the truth
(Ctrl+C is "stopped", a run whose process is gone is "interrupted")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from patterns import make_pattern_digits

from workbench.core import paths
from workbench.core.data.idx import write_idx
from workbench.core.data.mnist import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from workbench.core.training.run_lock import LOCK_NAME, write_lock
from workbench.core.training.runs import read_history, summarise

REPO = Path(__file__).resolve().parents[2]


def _mnist_folder(folder: Path, count: int, seed: int) -> Path:
    folder.mkdir(parents=True)
    train_x, train_y = make_pattern_digits(count, seed=seed)
    test_x, test_y = make_pattern_digits(200, seed=seed + 100)
    for name, array in (
        (TRAIN_IMAGES, train_x),
        (TRAIN_LABELS, train_y),
        (TEST_IMAGES, test_x),
        (TEST_LABELS, test_y),
    ):
        write_idx(folder / name, array)
    return folder


def _workbench(*args: str) -> subprocess.Popen:
    """`workbench ARGS` in a child process (one torch thread, so runs compare exactly)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _events_until(process: subprocess.Popen, epochs: int) -> None:
    """Read the child's JSON events until it reports epoch `epochs` done."""
    for line in process.stdout:
        event = json.loads(line)
        if event["event"] == "EpochDone" and event["epoch"] == epochs:
            return
    raise AssertionError(f"the run ended before epoch {epochs}: {process.stderr.read()}")


def _weights(run_dir: Path, epoch: int) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(run_dir / "checkpoints" / f"epoch-{epoch:03d}.safetensors")


def test_the_audits_kill_9_then_resume_continues_as_recorded_and_matches_an_unbroken_run(
    tmp_path: Path,
) -> None:
    """The issue's reproduction: train on a small folder, kill -9 after the second checkpoint,
    resume with only --name: it continues on the recorded 2,500/500 split, and ends where an
    unbroken run ends (before: "training lenet5 on 1 images (2999 held out)")."""
    data = _mnist_folder(tmp_path / "D", 3000, seed=5)
    common = ["train", "--data-dir", str(data), "--no-verify"]
    killed = _workbench(*common, "--epochs", "4", "--val-size", "500", "--name", "r", "--json")
    _events_until(killed, 2)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    run_dir = paths.runs_dir() / "r"
    assert read_history(run_dir)["state"] == "interrupted"  # history.json itself says running
    summary = summarise(run_dir)
    assert summary.can_resume() and "pid" in summary.reason, summary
    assert len(read_history(run_dir)["epochs"]) >= 2

    resumed = _workbench(*common, "--name", "r", "--resume")
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    assert "run r is interrupted after epoch" in err and "is gone: killed or crashed" in err
    assert "on 2500 images (500 held out)" in err, err
    whole = _workbench(*common, "--epochs", "4", "--val-size", "500", "--name", "whole")
    _, err = whole.communicate(timeout=240)
    assert whole.returncode == 0, err

    history, reference = read_history(run_dir), read_history(paths.runs_dir() / "whole")
    assert history["state"] == "finished" and (history["n_train"], history["n_val"]) == (2500, 500)
    assert [row["epoch"] for row in history["epochs"]] == [1, 2, 3, 4]
    for row, ref in zip(history["epochs"], reference["epochs"], strict=True):
        assert row["train_loss"] == pytest.approx(ref["train_loss"], rel=1e-5)
        assert row["val_accuracy"] == pytest.approx(ref["val_accuracy"], abs=1e-9)
    weights, ref_weights = _weights(run_dir, 4), _weights(paths.runs_dir() / "whole", 4)
    for key, value in ref_weights.items():
        np.testing.assert_allclose(weights[key], value, rtol=1e-5, atol=1e-6)
    assert not (run_dir / LOCK_NAME).exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data folder D, a finished 2-epoch run on it), trained once for the module."""
    from workbench.core.training.config import TrainConfig
    from workbench.core.training.loop import train

    base = tmp_path_factory.mktemp("finished")
    data = _mnist_folder(base / "D", 600, seed=6)
    images, labels = make_pattern_digits(600, seed=6)
    config = TrainConfig(
        epochs=2, val_size=100, learning_rate=0.002, batch_size=64, augment=False, threads=1
    )
    events = list(train(config, images, labels, run_dir=base / "r"))
    assert events[-1].state == "finished"
    return data, base / "r"


def _stopped_run(finished_run: tuple[Path, Path]) -> tuple[Path, Path]:
    """The module's finished run, copied to run `r` of this test's user folder."""
    import shutil

    data, template = finished_run
    run_dir = paths.runs_dir() / "r"
    shutil.copytree(template, run_dir)
    return data, run_dir


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--lr", "0.1"], "--lr 0.1 differs from the run's 0.002"),
        (["--val-size", "5000"], "--val-size 5000 differs from the run's 100"),
        (["--seed", "7"], "--seed 7 differs from the run's 0"),
        (["--no-augment", "--augment"], "--affine 1.0 differs from the run's 0.0"),
        (["--epochs", "1"], "--epochs 1 differs from the run's 2"),
        (["--epochs", "2"], "has done its 2 epochs: give --epochs more than 2"),
    ],
    ids=["lr", "val-size", "seed", "augment", "fewer-epochs", "finished"],
)
def test_resume_refuses_an_option_that_contradicts_the_record(
    finished_run, capsys, option: list[str], message: str
) -> None:
    from workbench.cli import main

    data, run_dir = _stopped_run(finished_run)
    before = (run_dir / "history.json").read_bytes()
    argv = ["train", "--data-dir", str(data), "--no-verify", "--name", "r", "--resume", *option]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert (run_dir / "history.json").read_bytes() == before  # nothing retrained or rewritten


def test_more_epochs_extend_a_finished_run_and_the_history_says_so(finished_run, capsys):
    from workbench.cli import main

    data, run_dir = _stopped_run(finished_run)
    argv = ["train", "--data-dir", str(data), "--no-verify", "--name", "r", "--resume"]
    assert main([*argv, "--epochs", "3", "--threads", "1"]) == 0, capsys.readouterr().err
    history = read_history(run_dir)
    assert [row["epoch"] for row in history["epochs"]] == [1, 2, 3]
    assert history["config"]["epochs"] == 3 and history["state"] == "finished"
    assert history["extended"] == [{"at_epoch": 2, "from": 2, "to": 3}]


def test_resume_on_other_data_under_the_same_names_is_refused(
    tmp_path: Path, finished_run, capsys
) -> None:
    from workbench.cli import main

    _, run_dir = _stopped_run(finished_run)
    other = _mnist_folder(tmp_path / "E", 600, seed=7)  # same size, same file names
    argv = ["train", "--data-dir", str(other), "--no-verify", "--name", "r", "--resume"]
    assert main([*argv, "--epochs", "3"]) == 2
    error = capsys.readouterr().err
    assert "the training data differs from run r's (train_images, train_labels" in error, error
    assert len(read_history(run_dir)["epochs"]) == 2


def test_a_run_being_trained_cannot_be_resumed_and_reads_running(finished_run, capsys):
    from workbench.cli import main

    data, run_dir = _stopped_run(finished_run)
    history = json.loads((run_dir / "history.json").read_text())
    history["state"] = "running"
    (run_dir / "history.json").write_text(json.dumps(history))
    write_lock(run_dir)  # this process "trains" it
    assert summarise(run_dir).state == "running"
    argv = ["train", "--data-dir", str(data), "--no-verify", "--name", "r", "--resume"]
    assert main([*argv, "--epochs", "3"]) == 2
    assert f"run r is training now (process {os.getpid()})" in capsys.readouterr().err


def test_a_lock_of_a_dead_or_reused_pid_reads_interrupted(finished_run) -> None:
    _, run_dir = _stopped_run(finished_run)
    history = json.loads((run_dir / "history.json").read_text())
    history["state"] = "running"
    (run_dir / "history.json").write_text(json.dumps(history))
    assert summarise(run_dir).state == "interrupted"  # no lock at all
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_lock(run_dir)
    lock = json.loads((run_dir / LOCK_NAME).read_text())
    (run_dir / LOCK_NAME).write_text(json.dumps({**lock, "pid": gone.pid}))
    summary = summarise(run_dir)
    assert summary.state == "interrupted" and f"pid {gone.pid}" in summary.reason
    if lock["started"] is not None:  # a live pid that started at another time: reused
        (run_dir / LOCK_NAME).write_text(json.dumps({**lock, "started": "1"}))
        assert summarise(run_dir).state == "interrupted"


def test_ctrl_c_stops_the_run_as_stopped_with_exit_130(tmp_path: Path) -> None:
    data = _mnist_folder(tmp_path / "D", 1200, seed=5)
    process = _workbench(
        "train", "--data-dir", str(data), "--no-verify", "--epochs", "6", "--val-size", "200",
        "--name", "c", "--json",
    )  # fmt: skip
    _events_until(process, 1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    run_dir = paths.runs_dir() / "c"
    history = read_history(run_dir)
    assert history["state"] == "stopped" and history["reason"] == "stopped by the user"
    done = len(history["epochs"])
    assert done >= 1 and (run_dir / "checkpoints" / f"epoch-{done:03d}.safetensors").is_file()
    assert not (run_dir / LOCK_NAME).exists() and summarise(run_dir).can_resume()
    assert "workbench train --name c --resume" in err


def test_a_run_cut_by_a_full_disk_is_never_left_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.core.training import loop
    from workbench.core.training.config import TrainConfig

    real = loop.save_checkpoint

    def full_on_epoch_2(path, net, optimizer, meta):
        if meta["epoch"] == 2:
            raise OSError(28, "No space left on device", str(path))
        real(path, net, optimizer, meta)

    monkeypatch.setattr(loop, "save_checkpoint", full_on_epoch_2)
    images, labels = make_pattern_digits(400, seed=1)
    config = TrainConfig(epochs=3, val_size=100, batch_size=100, augment=False)
    with pytest.raises(OSError, match="No space"):
        list(loop.train(config, images, labels, run_dir=tmp_path / "full"))
    history = read_history(tmp_path / "full")
    assert history["state"] == "stopped" and "No space left on device" in history["reason"]
    assert not (tmp_path / "full" / LOCK_NAME).exists()
    assert summarise(tmp_path / "full").can_resume()


def test_the_report_shows_a_run_whose_process_is_gone_as_interrupted(finished_run) -> None:
    from workbench.core.report.document import run_curves
    from workbench.core.report.html import training_html
    from workbench.core.report.sections import TrainingSection

    _, run_dir = _stopped_run(finished_run)
    history = json.loads((run_dir / "history.json").read_text())
    history["state"] = "running"  # as kill -9 leaves it
    (run_dir / "history.json").write_text(json.dumps(history))
    run = run_curves(read_history(run_dir), "r")
    text = training_html(TrainingSection([run], [""], []))
    assert "interrupted: the process that trained it ended without saying how" in text
    assert "workbench train --name r --resume</code> continues it" in text
    assert ">running<" not in text


def test_train_out_to_a_full_disk_says_so_exits_1_and_keeps_the_run_finished(
    tiny_mnist_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Kind 8 for `train --out`: the disk behind FULL is full (the run's own folder is not)."""
    import errno

    from workbench.cli import main

    full = tmp_path / "FULL"
    full.mkdir()
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).parent == full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    argv = ["train", "--data-dir", str(tiny_mnist_dir), "--no-verify", "--epochs", "1",
            "--batch-size", "50", "--val-size", "200", "--name", "kept",
            "--out", str(full / "m.onnx")]  # fmt: skip
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert "No space left on device" in error and "Traceback" not in error, error
    assert f"the run is kept in {paths.runs_dir() / 'kept'}" in error
    assert list(full.iterdir()) == []  # nothing partial
    summary = summarise(paths.runs_dir() / "kept")
    assert summary.state == "finished" and summary.epochs_done == 1
    assert not (paths.runs_dir() / "kept" / LOCK_NAME).exists()


def test_a_run_records_the_identity_that_mnist_gives_its_folder(tiny_mnist_dir: Path) -> None:
    from workbench.core.data.mnist import data_identity, load_split
    from workbench.core.training.resume import IDENTITY_KEY, training_identity

    images, labels = load_split(tiny_mnist_dir, "train", verify=False)
    assert training_identity(images, labels) == data_identity(tiny_mnist_dir, ["train"])
    assert IDENTITY_KEY == "data_identity"


def test_a_run_recorded_before_identities_is_checked_by_its_image_count(
    tmp_path: Path, finished_run, capsys
) -> None:
    from workbench.cli import main

    _, run_dir = _stopped_run(finished_run)
    history = json.loads((run_dir / "history.json").read_text())
    del history["data_identity"]
    (run_dir / "history.json").write_text(json.dumps(history))
    smaller = _mnist_folder(tmp_path / "S", 500, seed=6)
    argv = ["train", "--data-dir", str(smaller), "--no-verify", "--name", "r", "--resume"]
    assert main([*argv, "--epochs", "3"]) == 2
    assert "the training data holds 500 images but run r trained on 600" in capsys.readouterr().err
