"""Read and write IDX files (the MNIST format), plain or gzipped, refusing anything malformed."""

from __future__ import annotations

import gzip
import math
import os
import stat
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from workbench.core.fileio import atomic_writer

# IDX type code -> big-endian numpy dtype, as in the format's specification.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_DIMS = 4
# A bigger array is a corrupt header (or a gzip bomb), not data: refuse it before allocating.
MAX_ELEMENTS = 2**31
MAX_DATA_BYTES = 2**30
"""The most data bytes a header may declare (1 GiB; all of MNIST is 55 MB, EMNIST 0.7 GB)."""
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IdxError(ValueError):
    """A file that is not a well-formed IDX file; the message names the file and the fault."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file into a native-endian array of its declared shape and type.

    Gzipped files (magic bytes 1f 8b, or a `.gz` name) are decompressed on the fly. Raises
    IdxError for an empty, truncated, oversized, corrupt or otherwise malformed file; the
    OSError of a missing or unreadable file passes through unchanged.
    """
    path = Path(path)
    require_regular_file(path)
    with open(path, "rb") as raw:
        head = raw.read(2)
        if not head:
            raise IdxError(f"{path}: empty file")
        raw.seek(0)
        looks_gzipped = head == GZIP_MAGIC or (path.suffix == ".gz" and head != b"\0\0")
        if not looks_gzipped:
            return _parse(raw, path, os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _parse(stream, path, None)
        except (OSError, EOFError, zlib.error) as exc:
            reason = str(exc) or type(exc).__name__
            raise IdxError(f"{path}: corrupt gzip data ({reason})") from exc


def require_regular_file(path: str | os.PathLike) -> None:
    """Raise IdxError for a folder, device, pipe or socket (a FIFO would hang a read, a device
    never end); a missing file is FileNotFoundError."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IdxError(f"{path}: a folder, not an IDX file")
    if not stat.S_ISREG(mode):
        raise IdxError(f"{path}: not a regular file (a device, pipe or socket)")


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header that `write_idx` puts before `array`'s big-endian data."""
    code = _type_code(array.dtype)
    if code is None:
        raise IdxError(f"IDX cannot hold {array.dtype} data")
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` as an IDX file, gzipped when the name ends in `.gz`; atomic.

    The gzip header carries no name or time, so the same array always gives the same bytes.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _type_code(array.dtype)
    if code is None:
        supported = ", ".join(str(d.newbyteorder("=")) for d in IDX_DTYPES.values())
        raise IdxError(f"{path}: IDX cannot hold {array.dtype} data (it holds {supported})")
    if not 1 <= array.ndim <= MAX_DIMS:
        raise IdxError(f"{path}: IDX arrays need 1 to {MAX_DIMS} dimensions, got {array.ndim}")
    if max(array.shape) >= 2**32:
        raise IdxError(f"{path}: dimension too large for IDX: {array.shape}")
    header = idx_header(array)
    data = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    with atomic_writer(path, "wb") as handle:
        if path.suffix == ".gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as stream:
                stream.write(header)
                stream.write(data)
        else:
            handle.write(header)
            handle.write(data)


def _type_code(dtype: np.dtype) -> int | None:
    for code, idx_dtype in IDX_DTYPES.items():
        if dtype.kind == idx_dtype.kind and dtype.itemsize == idx_dtype.itemsize:
            return code
    return None


def _parse(stream: BinaryIO, path: Path, file_size: int | None) -> np.ndarray:
    """Parse header and data from `stream`; `file_size` is known for plain files only."""
    magic = _read_up_to(stream, 4)
    if len(magic) < 4:
        raise IdxError(f"{path}: truncated: the 4-byte IDX header has only {len(magic)} bytes")
    if magic[0] or magic[1]:
        raise IdxError(
            f"{path}: not an IDX file: magic bytes {magic.hex(' ')} should start with 00 00"
        )
    code, ndim = magic[2], magic[3]
    dtype = IDX_DTYPES.get(code)
    if dtype is None:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IdxError(f"{path}: unknown IDX data type 0x{code:02X} (known: {known})")
    if not 1 <= ndim <= MAX_DIMS:
        raise IdxError(f"{path}: unsupported number of dimensions {ndim} (1 to {MAX_DIMS})")
    dims = _read_up_to(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxError(
            f"{path}: truncated: header declares {ndim} dimensions but the file ends "
            f"after {len(dims) // 4}"
        )
    shape = struct.unpack(f">{ndim}I", dims)
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise IdxError(
            f"{path}: dimensions {'x'.join(map(str, shape))} give {count} elements, "
            f"more than the {MAX_ELEMENTS} this reader accepts: corrupt header?"
        )
    expected = count * dtype.itemsize
    if expected > MAX_DATA_BYTES:
        raise IdxError(
            f"{path}: the header declares {expected:,} bytes of data, more than the "
            f"{MAX_DATA_BYTES:,} byte limit of this reader: corrupt header or a gzip bomb?"
        )
    if file_size is not None:
        found = file_size - 4 - 4 * ndim
        _check_length(path, expected, found, exact=True)
    # Never more than the declared size (plus one byte to see trailing data) is decompressed.
    data = np.empty(expected, dtype=np.uint8)
    got = _read_into(stream, memoryview(data))
    _check_length(path, expected, got, exact=True)  # short: truncated (or shrank while reading)
    if stream.read(1):
        found = "" if file_size is None else f"{file_size - 4 - 4 * ndim - expected} "
        raise IdxError(
            f"{path}: {found}trailing bytes after the {expected} bytes of data the header declares"
        )
    array = data.view(dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _check_length(path: Path, expected: int, found: int, exact: bool) -> None:
    if found < expected:
        raise IdxError(f"{path}: truncated: expected {expected} bytes of data, found {found}")
    if found > expected:
        extra = f"{found - expected} trailing bytes" if exact else "trailing bytes"
        raise IdxError(f"{path}: {extra} after the {expected} bytes of data the header declares")


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    """Fill `target` from `stream` in chunks; the number of bytes read (short at end of file)."""
    done = 0
    while done < len(target):
        count = stream.readinto(target[done : done + _CHUNK])  # type: ignore[attr-defined]
        if not count:
            break
        done += count
    return done


def _read_up_to(stream: BinaryIO, size: int) -> bytearray:
    """Read at most `size` bytes in chunks, so a lying header cannot make us allocate it all."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(min(_CHUNK, size - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer
