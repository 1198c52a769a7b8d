"""Shared test set-up: headless Qt, a private user data folder, small generated MNIST-like data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from patterns import make_pattern_digits

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A private user data folder for the whole session, so that even fixtures set up before the
# per-test one below never write to the real one.
os.environ["WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="workbench-test-home-")


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user data folder, so nothing touches the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def pattern_data() -> tuple[np.ndarray, np.ndarray]:
    return make_pattern_digits(1200, seed=1)


@pytest.fixture(scope="session")
def tiny_mnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four MNIST file names holding small generated pattern digits."""
    from workbench.core.data.idx import write_idx
    from workbench.core.data.mnist import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS

    folder = tmp_path_factory.mktemp("tiny_mnist")
    train_x, train_y = make_pattern_digits(1200, seed=1)
    test_x, test_y = make_pattern_digits(300, seed=2)
    write_idx(folder / TRAIN_IMAGES, train_x)
    write_idx(folder / TRAIN_LABELS, train_y)
    write_idx(folder / TEST_IMAGES, test_x)
    write_idx(folder / TEST_LABELS, test_y)
    return folder


@pytest.fixture(scope="session")
def real_mnist_dir() -> Path:
    """The real MNIST folder named by WORKBENCH_DATA; tests that need it skip without it."""
    folder = os.environ.get("WORKBENCH_DATA")
    if not folder or not (Path(folder) / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("WORKBENCH_DATA does not name a folder with the MNIST files")
    return Path(folder)
