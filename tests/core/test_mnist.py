"""MNIST folder: status, downloads from a local HTTP server (good, wrong, cut, 404, offline,
cancelled) and loading splits. No network: every mirror is 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.idx import IdxError, write_idx
from workbench.core.data.mnist import (
    FILES,
    SPLITS,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    DataCorrupt,
    DataUnavailable,
    DownloadProgress,
    fetch,
    file_status,
    iter_fetch,
    load_split,
)

# Random pixels do not compress, so the training images span several 64 KiB chunks.
COUNTS = {"train": 120, "test": 40}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with four small, valid MNIST-like files under the official names."""
    folder = tmp_path_factory.mktemp("source")
    rng = np.random.default_rng(7)
    for split, (images, labels) in SPLITS.items():
        count = COUNTS[split]
        write_idx(folder / images, rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(folder / labels, rng.integers(0, 10, count, dtype=np.uint8))
    return folder


@pytest.fixture(scope="module")
def checksums(source: Path) -> dict[str, str]:
    return {name: hashlib.md5((source / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def server(source: Path) -> Iterator[str]:
    """Base URL of a local server. The first path part picks the behaviour:
    /good/ serves the files, /missing/ answers 404, /bad/ serves wrong bytes of the right
    length, /cut/ promises the whole file but sends half and hangs up."""
    files = {name: (source / name).read_bytes() for name in FILES}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            mode, _, name = self.path.strip("/").partition("/")
            body = files.get(name)
            if body is None or mode == "missing":
                self.send_error(404)
                return
            if mode == "bad":
                body = bytes(reversed(body))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_reports_progress(
    tmp_path: Path, server: str, source: Path, checksums: dict[str, str]
) -> None:
    folder = tmp_path / "new" / "mnist"  # created by the download
    events = list(iter_fetch(folder, [f"{server}/good/"], timeout=5, checksums=checksums))
    assert all(isinstance(event, DownloadProgress) for event in events)
    assert [e.file for e in events if e.done == 0] == list(FILES)
    for name in FILES:
        mine = [event for event in events if event.file == name]
        assert mine[-1].done == mine[-1].total == (source / name).stat().st_size
        assert [event.done for event in mine] == sorted(event.done for event in mine)
        assert {event.mirror for event in mine} == {f"{server}/good/"}
        assert (folder / name).read_bytes() == (source / name).read_bytes()
    assert len([e for e in events if e.file == TRAIN_IMAGES]) > 2  # several chunks
    assert _leftovers(folder) == sorted(FILES)
    assert set(file_status(folder, checksums).values()) == {"ok"}
    assert list(iter_fetch(folder, [f"{server}/good/"], checksums=checksums)) == []


def test_fetch_calls_progress_and_fetches_only_missing_or_corrupt(
    tmp_path: Path, server: str, source: Path, checksums: dict[str, str]
) -> None:
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        shutil.copy(source / name, tmp_path / name)
    (tmp_path / TEST_LABELS).write_bytes(b"damaged")  # corrupt files are fetched again
    seen: list[DownloadProgress] = []
    fetch(tmp_path, [f"{server}/good/"], progress=seen.append, checksums=checksums)
    assert {event.file for event in seen} == {TEST_IMAGES, TEST_LABELS}
    assert seen[-1].done == seen[-1].total
    assert set(file_status(tmp_path, checksums).values()) == {"ok"}


def test_wrong_checksum_everywhere_raises_data_corrupt_and_leaves_nothing(
    tmp_path: Path, server: str, checksums: dict[str, str]
) -> None:
    mirrors = [f"{server}/bad/", f"{server}/bad/"]
    with pytest.raises(DataCorrupt, match=TRAIN_IMAGES):
        list(iter_fetch(tmp_path, mirrors, files=[TRAIN_IMAGES], checksums=checksums))
    assert _leftovers(tmp_path) == []


def test_wrong_checksum_on_first_mirror_tries_the_next(
    tmp_path: Path, server: str, checksums: dict[str, str]
) -> None:
    mirrors = [f"{server}/bad/", f"{server}/good/"]
    events = list(iter_fetch(tmp_path, mirrors, files=[TRAIN_LABELS], checksums=checksums))
    assert events[-1].mirror == f"{server}/good/"
    assert file_status(tmp_path, checksums, [TRAIN_LABELS]) == {TRAIN_LABELS: "ok"}


def test_connection_cut_halfway_leaves_no_partial_file(
    tmp_path: Path, server: str, checksums: dict[str, str]
) -> None:
    with pytest.raises(DataUnavailable, match="connection closed after"):
        list(iter_fetch(tmp_path, [f"{server}/cut/"], files=[TRAIN_IMAGES], checksums=checksums))
    assert _leftovers(tmp_path) == []
    # Without checksums only the length check stands between us and half a file.
    with pytest.raises(DataUnavailable):
        list(iter_fetch(tmp_path, [f"{server}/cut/"], files=[TRAIN_IMAGES], checksums=None))
    assert _leftovers(tmp_path) == []


def test_404_falls_back_to_the_next_mirror(
    tmp_path: Path, server: str, checksums: dict[str, str]
) -> None:
    mirrors = [f"{server}/missing/", f"{server}/good"]  # with and without the slash
    events = list(iter_fetch(tmp_path, mirrors, checksums=checksums))
    assert {event.mirror for event in events} == {f"{server}/good"}
    assert _leftovers(tmp_path) == sorted(FILES)


def test_offline_raises_data_unavailable_naming_the_files(
    tmp_path: Path, closed_port_url: str, checksums: dict[str, str]
) -> None:
    with pytest.raises(DataUnavailable) as caught:
        fetch(tmp_path, [closed_port_url, closed_port_url], checksums=checksums)
    message = str(caught.value)
    for name in FILES:
        assert name in message
    assert str(tmp_path) in message and "WORKBENCH_DATA" in message and "--data-dir" in message
    assert _leftovers(tmp_path) == []


def test_closing_the_generator_cancels_and_cleans_up(
    tmp_path: Path, server: str, checksums: dict[str, str]
) -> None:
    downloads = iter_fetch(tmp_path, [f"{server}/good/"], files=[TRAIN_IMAGES], checksums=checksums)
    for event in downloads:
        if 0 < event.done < (event.total or 0):
            assert any(path.suffix == ".part" for path in tmp_path.iterdir())
            break
    else:
        pytest.fail("the download finished in a single chunk")
    downloads.close()
    assert _leftovers(tmp_path) == []


def test_file_status(tmp_path: Path, source: Path, checksums: dict[str, str]) -> None:
    shutil.copy(source / TRAIN_IMAGES, tmp_path / TRAIN_IMAGES)
    (tmp_path / TRAIN_LABELS).write_bytes(b"not the labels")
    (tmp_path / TEST_IMAGES).write_bytes(b"")
    status = file_status(tmp_path, checksums)
    assert status[TRAIN_IMAGES] == "ok"
    assert status[TRAIN_LABELS].startswith("corrupt: MD5")
    assert status[TEST_IMAGES].startswith("corrupt:")
    assert status[TEST_LABELS] == "missing"
    assert file_status(tmp_path, None)[TRAIN_LABELS] == "ok"  # unchecked


def test_regzipped_copy_passes_by_its_content(
    tmp_path: Path, source: Path, checksums: dict[str, str]
) -> None:
    """A copy gunzipped and gzipped again is accepted by the MD5 of its decompressed data."""
    data = gzip.decompress((source / TRAIN_LABELS).read_bytes())
    (tmp_path / TRAIN_LABELS).write_bytes(gzip.compress(data, compresslevel=1, mtime=12345))
    assert file_status(tmp_path, checksums, [TRAIN_LABELS])[TRAIN_LABELS].startswith("corrupt")
    expected = (checksums[TRAIN_LABELS], hashlib.md5(data).hexdigest())
    assert file_status(tmp_path, {TRAIN_LABELS: expected}, [TRAIN_LABELS]) == {TRAIN_LABELS: "ok"}


def test_load_split(source: Path, checksums: dict[str, str]) -> None:
    for split, count in COUNTS.items():
        images, labels = load_split(source, split, checksums=checksums)
        assert images.shape == (count, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (count,) and labels.dtype == np.uint8
        assert labels.max() <= 9
    with pytest.raises(ValueError, match="split"):
        load_split(source, "validation", checksums=checksums)  # type: ignore[arg-type]


def test_load_split_missing_files_never_downloads(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable) as caught:
        load_split(tmp_path, "test")
    assert TEST_IMAGES in str(caught.value) and TRAIN_IMAGES in str(caught.value)
    assert _leftovers(tmp_path) == []


def test_load_split_checks_checksums_and_content(
    tmp_path: Path, source: Path, checksums: dict[str, str]
) -> None:
    shutil.copy(source / TEST_IMAGES, tmp_path / TEST_IMAGES)
    write_idx(tmp_path / TEST_LABELS, np.full(COUNTS["test"], 3, dtype=np.uint8))
    with pytest.raises(DataCorrupt, match=TEST_LABELS):
        load_split(tmp_path, "test", checksums=checksums)
    images, labels = load_split(tmp_path, "test", verify=False, checksums=checksums)
    assert (labels == 3).all() and len(images) == COUNTS["test"]

    write_idx(tmp_path / TEST_LABELS, np.full(COUNTS["test"], 10, dtype=np.uint8))
    with pytest.raises(IdxError, match="label 10"):
        load_split(tmp_path, "test", checksums=None)
    write_idx(tmp_path / TEST_LABELS, np.zeros(COUNTS["test"] - 1, dtype=np.uint8))
    with pytest.raises(IdxError, match="labels"):
        load_split(tmp_path, "test", checksums=None)
    write_idx(tmp_path / TEST_LABELS, np.zeros(COUNTS["test"], dtype=np.int16))
    with pytest.raises(IdxError, match="uint8"):
        load_split(tmp_path, "test", checksums=None)
    write_idx(tmp_path / TEST_IMAGES, np.zeros((COUNTS["test"], 14, 14), dtype=np.uint8))
    with pytest.raises(IdxError, match="28x28"):
        load_split(tmp_path, "test", checksums=None)


def test_real_mnist_folder() -> None:
    """The real files, where `WORKBENCH_DATA` points at them; checked by the official MD5s."""
    folder = os.environ.get("WORKBENCH_DATA")
    if not folder:
        pytest.skip("WORKBENCH_DATA is not set")
    assert set(file_status(folder).values()) == {"ok"}, file_status(folder)
    images, labels = load_split(folder, "test")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert np.bincount(labels).tolist()[:3] == [980, 1135, 1032]
