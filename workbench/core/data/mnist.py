"""The four MNIST files in a folder: check them, download the missing ones, load a split."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from workbench import __version__
from workbench.core.data import cache
from workbench.core.data.idx import GZIP_MAGIC, IdxError, require_regular_file
from workbench.core.paths import data_dir

log = logging.getLogger(__name__)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
SPLITS: dict[str, tuple[str, str]] = {
    "train": (TRAIN_IMAGES, TRAIN_LABELS),
    "test": (TEST_IMAGES, TEST_LABELS),
}
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# MD5 of the official .gz files.
GZ_MD5 = {
    TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
    TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
    TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
}
# MD5 of their decompressed content: a copy that was gunzipped and gzipped again (new gzip
# header, other compression level) has the right data but another .gz checksum.
IDX_MD5 = {
    TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}
# File name -> accepted MD5 digests, each compared with the file and with its gunzipped content.
Checksums = Mapping[str, str | Collection[str]]
OFFICIAL_MD5: dict[str, tuple[str, ...]] = {name: (GZ_MD5[name], IDX_MD5[name]) for name in FILES}
CHUNK_SIZE = 64 * 1024


def configured_mirrors() -> list[str]:
    """`WORKBENCH_MIRRORS` (comma-separated base URLs, e.g. a local mirror), else MIRRORS."""
    configured = os.environ.get("WORKBENCH_MIRRORS", "")
    chosen = [url.strip() for url in configured.split(",") if url.strip()]
    return [url if url.endswith("/") else url + "/" for url in chosen] or list(MIRRORS)


IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class DownloadProgress:
    file: str
    done: int
    total: int | None
    mirror: str


class DataUnavailable(RuntimeError):
    """The MNIST files are not in the folder and could not be downloaded."""


class DataCorrupt(IdxError):
    """A file whose checksum is wrong: present (or served by every mirror) but not the real one."""


def unavailable_message(folder: Path, missing: Iterable[str], detail: str = "") -> str:
    """Tell the user which files are needed and every way to provide them."""
    return (
        f"MNIST data is not available in {folder}: missing {', '.join(missing)}"
        f"{f' ({detail})' if detail else ''}. The workbench needs the four MNIST files "
        f"{', '.join(FILES)}. Download them with `workbench data`, or copy them into {folder}, "
        "or point the WORKBENCH_DATA environment variable or --data-dir at a folder that "
        "holds them."
    )


def file_status(
    folder: str | os.PathLike,
    checksums: Checksums | None = OFFICIAL_MD5,
    files: Iterable[str] | None = None,
) -> dict[str, str]:
    """Each file's state: "ok", "missing" or "corrupt: <reason>" (MD5 checked when known)."""
    folder = Path(folder)
    status = {}
    for name in files or FILES:
        path = folder / name
        if not path.exists():
            status[name] = "missing"
            continue
        if not path.is_file():  # a folder, device or pipe in its place: never read it
            status[name] = "corrupt: not a regular file"
            continue
        expected = checksums.get(name) if checksums is not None else None
        problem = "empty file" if path.stat().st_size == 0 else None
        if problem is None and expected:
            problem = _checksum_problem(path, expected)
        status[name] = f"corrupt: {problem}" if problem else "ok"
    return status


def iter_fetch(
    folder: str | os.PathLike,
    mirrors: Iterable[str] | None = None,
    timeout: float = 30,
    files: Iterable[str] | None = None,
    checksums: Checksums | None = OFFICIAL_MD5,
) -> Iterator[DownloadProgress]:
    """Download every missing or corrupt file, yielding progress once per 64 KiB chunk.

    A file is checked before it is renamed into place, so the folder never holds a partial or
    wrong file; closing the generator cancels and removes the partial download. Raises
    DataCorrupt when every mirror served a file with a wrong checksum, DataUnavailable when
    a file could not be had at all (offline, every mirror failed).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mirrors = list(mirrors) if mirrors is not None else configured_mirrors()
    for name, state in file_status(folder, checksums, files).items():
        if state == "ok":
            continue
        log.info("%s is %s: downloading it into %s", name, state, folder)
        expected = checksums.get(name) if checksums is not None else None
        yield from _fetch_one(folder, name, mirrors, timeout, expected)


def fetch(
    folder: str | os.PathLike,
    mirrors: Iterable[str] | None = None,
    progress: Callable[[DownloadProgress], object] | None = None,
    timeout: float = 30,
    files: Iterable[str] | None = None,
    checksums: Checksums | None = OFFICIAL_MD5,
) -> None:
    """Run `iter_fetch` to the end, for callers that want a plain function and a callback."""
    for event in iter_fetch(folder, mirrors, timeout, files, checksums):
        if progress is not None:
            progress(event)


def ensure_mnist(
    folder: str | os.PathLike | None = None,
    progress: Callable[[DownloadProgress], object] | None = None,
    checksums: Checksums | None = OFFICIAL_MD5,
    mirrors: Iterable[str] | None = None,
) -> Path:
    """The MNIST folder (`--data-dir`, `WORKBENCH_DATA` or the default), with all four files."""
    folder = data_dir(folder)
    fetch(folder, mirrors, progress, checksums=checksums)
    return folder


def load_split(
    folder: str | os.PathLike,
    split: Literal["train", "test"],
    verify: bool = True,
    checksums: Checksums | None = OFFICIAL_MD5,
) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, N x 28 x 28) and labels (uint8, N, values 0 to 9) of a split.

    Never downloads: a missing file raises DataUnavailable (call `fetch` first); an empty file
    or a folder in a file's place is an IdxError naming it. With `verify` the files named in
    `checksums` are MD5-checked (DataCorrupt); bad content raises IdxError. The decoded arrays
    are cached in the user data folder (see `cache`), so a second load takes a fraction of a
    second.
    """
    folder = Path(folder)
    images_path, labels_path = _split_paths(folder, split)
    images, labels = (_read_checked(path, verify, checksums) for path in (images_path, labels_path))
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise IdxError(
            f"{images_path}: expected uint8 images of 28x28, found {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IdxError(
            f"{labels_path}: expected a uint8 vector, found {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise IdxError(
            f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise IdxError(f"{labels_path}: label {labels.max()} is not a digit 0 to 9")
    return images, labels


def data_identity(
    folder: str | os.PathLike, splits: Iterable[str] = ("train", "test")
) -> dict[str, str]:
    """What identifies the data in `folder`: {"train_images": sha256, "train_labels": ..., ...}.

    Each value is the SHA-256 of a decoded array's bytes (`cache.array_sha256`), the same for a
    gzipped, regzipped or plain copy. Cheap once the split has been loaded: the source files are
    hashed and the cache's records read; no array is decoded or hashed again.
    `cache.identity_digest` turns the dict into one string.
    """
    folder = Path(folder)
    identity = {}
    for split in splits:
        for path, kind in zip(_split_paths(folder, split), ("images", "labels"), strict=True):
            identity[f"{split}_{kind}"] = cache.cached_record(path).sha256
    return identity


def _split_paths(folder: Path, split: str) -> tuple[Path, Path]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    images_path, labels_path = (folder / name for name in SPLITS[split])
    missing = [path.name for path in (images_path, labels_path) if not path.exists()]
    if missing:
        raise DataUnavailable(unavailable_message(folder, missing))
    for path in (images_path, labels_path):
        require_regular_file(path)
        if path.stat().st_size == 0:
            raise IdxError(f"{path}: empty file")
    return images_path, labels_path


def _read_checked(path: Path, verify: bool, checksums: Checksums | None) -> np.ndarray:
    """The decoded array of `path` (through the cache), MD5-checked when asked to."""
    expected = checksums.get(path.name) if verify and checksums is not None else None
    accepted = {expected} if isinstance(expected, str) else set(expected or ())
    digests = cache.file_digests(path)
    try:
        array, record = cache.read_array(path, digests)
    except IdxError as exc:
        if accepted and digests.md5 not in accepted:  # a damaged copy of an official file
            raise DataCorrupt(
                f"{exc}; delete it and run `workbench data` to download it again"
            ) from exc
        raise
    if accepted and not accepted & {record.file_md5, record.content_md5}:
        raise DataCorrupt(
            f"{path}: MD5 {digests.md5} is not the expected {' or '.join(sorted(accepted))}; "
            "delete it and run `workbench data` to download it again"
        )
    return array


def _checksum_problem(path: Path, expected: str | Collection[str]) -> str | None:
    """None when the file, or its gunzipped content, has one of the expected MD5 digests."""
    accepted = {expected} if isinstance(expected, str) else set(expected)
    with open(path, "rb") as handle:
        digest = _md5(handle)
        if digest in accepted:
            return None
        handle.seek(0)
        if handle.read(2) == GZIP_MAGIC:
            handle.seek(0)
            try:
                with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
                    if _md5(stream) in accepted:
                        return None
            except (OSError, EOFError, zlib.error) as exc:
                return f"damaged gzip data ({str(exc) or type(exc).__name__})"
    return f"MD5 {digest} is not the expected {' or '.join(sorted(accepted))}"


def _md5(stream: BinaryIO) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _fetch_one(
    folder: Path,
    name: str,
    mirrors: list[str],
    timeout: float,
    expected: str | Collection[str] | None,
) -> Iterator[DownloadProgress]:
    """Try the mirrors in order until one serves the complete, correct file."""
    failures: list[Exception] = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            yield from _download(url, folder / name, mirror, timeout, expected)
            log.info("downloaded %s from %s", name, mirror)
            return
        except (OSError, HTTPException, ValueError) as exc:  # URLError is an OSError
            log.warning("could not download %s from %s: %s", name, mirror, exc)
            failures.append(exc)
    if failures and all(isinstance(exc, DataCorrupt) for exc in failures):
        raise DataCorrupt(f"{name}: every mirror served a wrong file; last: {failures[-1]}")
    last = f"{failures[-1]}" if failures else "no mirrors given"
    raise DataUnavailable(
        unavailable_message(folder, [name], f"every mirror failed, last error: {last}")
    )


def _download(
    url: str,
    target: Path,
    mirror: str,
    timeout: float,
    expected: str | Collection[str] | None,
) -> Iterator[DownloadProgress]:
    """Stream `url` into a temporary file beside `target`, check it, then rename it over."""
    request = urllib.request.Request(url, headers={"User-Agent": f"workbench/{__version__}"})
    tmp_name = None
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()  # holds the socket of the error response
            raise ConnectionError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        with response:
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else None
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".part", dir=target.parent
            )
            done = 0
            with os.fdopen(fd, "wb") as out:
                yield DownloadProgress(target.name, 0, total, mirror)
                while chunk := response.read(CHUNK_SIZE):
                    out.write(chunk)
                    done += len(chunk)
                    yield DownloadProgress(target.name, done, total, mirror)
                if total is not None and done != total:
                    raise ConnectionError(f"{url}: connection closed after {done} of {total} bytes")
                out.flush()
                os.fsync(out.fileno())
        problem = _checksum_problem(Path(tmp_name), expected) if expected else None
        if problem:
            raise DataCorrupt(f"{target.name} from {url}: {problem}")
        os.replace(tmp_name, target)
        tmp_name = None
    finally:  # also on GeneratorExit: a cancelled download leaves nothing behind
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
