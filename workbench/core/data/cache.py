"""Decoded IDX arrays kept as .npy in the user data folder, and what identifies a data set.

A data set is identified by the SHA-256 of each decoded array's bytes (C order, native uint8 for
MNIST): the same images and labels give the same identity whether the files are gzipped, regzipped
or plain. Each cached array is stored under the SHA-256 of the source file it was decoded from,
so a changed file can never be served stale; a truncated, damaged or edited cache file is noticed
(size, then SHA-256) and rebuilt silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from workbench.core import paths
from workbench.core.data.idx import idx_header, read_idx, require_regular_file
from workbench.core.fileio import atomic_writer, write_json_atomic

log = logging.getLogger(__name__)

FORMAT = "workbench-array-cache-2"


@dataclass(frozen=True)
class ArrayRecord:
    """What the cache knows about one decoded IDX file."""

    file_sha256: str  # the source file as stored (gzipped or not): the cache key
    file_md5: str  # the same file's MD5, for the MNIST checksums
    content_md5: str  # its IDX content, gunzipped: the second digest of mnist.OFFICIAL_MD5
    sha256: str  # the decoded array's bytes: the identity
    shape: tuple[int, ...]
    dtype: str
    npy_bytes: int = 0  # size of the cached .npy file


def cache_dir() -> Path:
    return paths.home_dir() / "cache" / "arrays"


def array_sha256(array: np.ndarray) -> str:
    """The identity of one array: SHA-256 of its bytes in C order."""
    data = np.ascontiguousarray(array)
    return hashlib.sha256(memoryview(data).cast("B")).hexdigest()


def idx_content_md5(array: np.ndarray) -> str:
    """MD5 of the IDX file content (header and big-endian data) that holds `array`."""
    digest = hashlib.md5(idx_header(array), usedforsecurity=False)
    big = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">"))
    digest.update(memoryview(big).cast("B"))
    return digest.hexdigest()


@dataclass(frozen=True)
class FileDigests:
    md5: str
    sha256: str


def file_digests(path: str | os.PathLike) -> FileDigests:
    """MD5 and SHA-256 of a regular file in one pass (IdxError for a folder, device or pipe)."""
    require_regular_file(path)
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            md5.update(chunk)
            sha256.update(chunk)
    return FileDigests(md5.hexdigest(), sha256.hexdigest())


def read_array(
    path: str | os.PathLike, digests: FileDigests | None = None
) -> tuple[np.ndarray, ArrayRecord]:
    """`read_idx(path)` through the cache, with the array's record; `digests` if already known.

    The first read decodes the file and stores the array; later reads of the same file content
    load the .npy (a fraction of a second for the MNIST training images). Failing to write the
    cache (read-only or full user folder) only costs the speed.
    """
    digests = digests or file_digests(path)
    cached = _load(digests.sha256)
    if cached is not None:
        return cached
    array = read_idx(path)
    record = ArrayRecord(
        digests.sha256,
        digests.md5,
        idx_content_md5(array),
        array_sha256(array),
        tuple(array.shape),
        str(array.dtype),
    )
    return array, _store(array, record)


def cached_record(path: str | os.PathLike) -> ArrayRecord:
    """The record of the file at `path`, from the cache when it has one (no array is loaded)."""
    digests = file_digests(path)
    record = _read_record(digests.sha256)
    if record is not None and _npy_path(digests.sha256).is_file():
        return record
    return read_array(path, digests)[1]


def identity_digest(identity: dict[str, str]) -> str:
    """One string for a whole identity ({"train_images": sha256, ...}): SHA-256 of its JSON."""
    text = json.dumps(dict(sorted(identity.items())), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _npy_path(key: str) -> Path:
    return cache_dir() / f"{key}.npy"


def _record_path(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def _read_record(key: str) -> ArrayRecord | None:
    try:
        data = json.loads(_record_path(key).read_text(encoding="utf-8"))
        if data.pop("format") != FORMAT:
            return None
        record = ArrayRecord(**{**data, "shape": tuple(int(v) for v in data["shape"])})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return record if record.file_sha256 == key else None


def _load(key: str) -> tuple[np.ndarray, ArrayRecord] | None:
    """The cached array and its record, or None when absent, truncated, stale or damaged."""
    record = _read_record(key)
    if record is None:
        return None
    path = _npy_path(key)
    try:
        if path.stat().st_size != record.npy_bytes:
            raise ValueError("size differs from the record")
        with open(path, "rb") as handle:
            array = np.load(handle, allow_pickle=False)
        if tuple(array.shape) != record.shape or str(array.dtype) != record.dtype:
            raise ValueError("shape or type differs from the record")
        if array_sha256(array) != record.sha256:
            raise ValueError("content differs from the record")
    except (OSError, ValueError, EOFError) as exc:
        log.info("rebuilding the cached array %s: %s", path, exc)
        return None
    return array, record


def _store(array: np.ndarray, record: ArrayRecord) -> ArrayRecord:
    path = _npy_path(record.file_sha256)
    try:
        with atomic_writer(path, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        record = ArrayRecord(**{**asdict(record), "npy_bytes": path.stat().st_size})
        write_json_atomic(_record_path(record.file_sha256), {"format": FORMAT, **asdict(record)})
    except OSError as exc:
        log.warning(
            "could not keep a decoded copy in %s (%s): the next read decodes again",
            path.parent,
            exc,
        )
    return record
