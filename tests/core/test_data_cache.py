"""The decoded-array cache behind `load_split` and the data identity it records."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data import cache, mnist
from workbench.core.data.idx import write_idx
from workbench.core.data.mnist import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    DataCorrupt,
    data_identity,
    load_split,
)


@pytest.fixture
def data(tiny_mnist_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS):
        (folder / name).write_bytes((tiny_mnist_dir / name).read_bytes())
    return folder


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path):
        raise AssertionError(f"{path} was decoded again instead of read from the cache")

    monkeypatch.setattr(cache, "read_idx", refuse)


def _cached_npy(folder: Path, name: str) -> Path:
    return cache.cache_dir() / f"{cache.file_digests(folder / name).sha256}.npy"


def test_the_second_load_comes_from_the_cache(data: Path, monkeypatch) -> None:
    images, labels = load_split(data, "train", verify=False)
    assert _cached_npy(data, TRAIN_IMAGES).is_file()
    _no_decoding(monkeypatch)
    again_images, again_labels = load_split(data, "train", verify=False)
    np.testing.assert_array_equal(again_images, images)
    np.testing.assert_array_equal(again_labels, labels)


@pytest.mark.parametrize("damage", ["truncated", "same-size-edit", "record-lost", "not-npy"])
def test_a_damaged_cache_is_rebuilt_silently(data: Path, damage: str) -> None:
    images, _ = load_split(data, "train", verify=False)
    npy = _cached_npy(data, TRAIN_IMAGES)
    size = npy.stat().st_size
    if damage == "truncated":
        with open(npy, "r+b") as handle:
            handle.truncate(size // 2)
    elif damage == "same-size-edit":
        content = bytearray(npy.read_bytes())
        content[-1] ^= 0xFF
        npy.write_bytes(bytes(content))
    elif damage == "record-lost":
        npy.with_suffix(".json").unlink()
    else:
        npy.write_bytes(b"\0" * size)
    again, _ = load_split(data, "train", verify=False)
    np.testing.assert_array_equal(again, images)
    assert npy.stat().st_size == size
    assert np.array_equal(np.load(npy), images)


def test_a_changed_source_file_is_never_served_stale(data: Path) -> None:
    load_split(data, "test", verify=False)
    labels = load_split(data, "test", verify=False)[1]
    changed = (labels + 1) % 10
    # Same size, rewritten in place, within the file system's timestamp tick: content decides.
    content = gzip.decompress((data / TEST_LABELS).read_bytes())
    with open(data / TEST_LABELS, "r+b") as handle:
        handle.write(gzip.compress(content[:8] + changed.tobytes(), mtime=0))
        handle.truncate()
    np.testing.assert_array_equal(load_split(data, "test", verify=False)[1], changed)


def test_checksums_are_still_checked_on_a_cache_hit(data: Path) -> None:
    load_split(data, "test", verify=False)
    wrong = {TEST_IMAGES: "0" * 32, TEST_LABELS: "0" * 32}
    with pytest.raises(DataCorrupt, match=TEST_IMAGES):
        load_split(data, "test", checksums=wrong)
    right = {name: cache.file_digests(data / name).md5 for name in (TEST_IMAGES, TEST_LABELS)}
    load_split(data, "test", checksums=right)
    # The gunzipped content's MD5 is accepted too (mnist.IDX_MD5), from the cache's record.
    content = {name: cache.cached_record(data / name).content_md5 for name in right}
    for name, digest in content.items():
        assert digest == cache.hashlib.md5(gzip.decompress((data / name).read_bytes())).hexdigest()
    load_split(data, "test", checksums=content)


def test_an_unwritable_user_folder_only_costs_the_speed(data: Path, tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "home-is-a-file"
    blocked.write_text("")
    monkeypatch.setenv("WORKBENCH_HOME", str(blocked))
    images, labels = load_split(data, "train", verify=False)
    assert len(images) == len(labels) == 1200
    assert data_identity(data, ["train"])["train_labels"] == cache.array_sha256(labels)


def test_data_identity_is_the_content_of_the_four_arrays(data: Path, tmp_path: Path) -> None:
    identity = data_identity(data)
    assert sorted(identity) == ["test_images", "test_labels", "train_images", "train_labels"]
    train_images, train_labels = load_split(data, "train", verify=False)
    assert identity["train_images"] == cache.array_sha256(train_images)
    assert identity["train_labels"] == cache.array_sha256(train_labels)
    # A plain (not gzipped) copy of the same arrays is the same data set ...
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS):
        (plain / name).write_bytes(gzip.decompress((data / name).read_bytes()))
    assert data_identity(plain) == identity
    assert cache.identity_digest(data_identity(plain)) == cache.identity_digest(identity)
    # ... one changed label is another.
    changed = train_labels.copy()
    changed[0] = (changed[0] + 1) % 10
    write_idx(plain / TRAIN_LABELS, changed)
    other = data_identity(plain, ["train"])
    assert other["train_labels"] != identity["train_labels"]
    assert other["train_images"] == identity["train_images"]


def test_data_identity_of_a_loaded_split_decodes_nothing(data: Path, monkeypatch) -> None:
    load_split(data, "train", verify=False)
    _no_decoding(monkeypatch)
    monkeypatch.setattr(cache, "array_sha256", lambda array: pytest.fail("hashed again"))
    assert set(data_identity(data, ["train"])) == {"train_images", "train_labels"}


def test_real_mnist_second_load_is_fast(real_mnist_dir: Path) -> None:
    """Issue 14's fast start: the decoded training set comes back in well under a second."""
    start = time.perf_counter()
    first = load_split(real_mnist_dir, "train")
    first_seconds = time.perf_counter() - start
    start = time.perf_counter()
    second = load_split(real_mnist_dir, "train")
    second_seconds = time.perf_counter() - start
    np.testing.assert_array_equal(first[0], second[0])
    print(f"train split: first {first_seconds:.3f} s, cached {second_seconds:.3f} s")
    assert second_seconds < 1.0
    assert os.path.getsize(_cached_npy(real_mnist_dir, TRAIN_IMAGES)) == 47_040_128
    assert mnist.data_identity(real_mnist_dir, ["train"])["train_labels"] == (
        cache.array_sha256(first[1])
    )
