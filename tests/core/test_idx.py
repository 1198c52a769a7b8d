"""IDX reading and writing: round trips, every kind of malformed file, and a fuzz test."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.data.idx import (
    IDX_DTYPES,
    MAX_DATA_BYTES,
    MAX_ELEMENTS,
    IdxError,
    read_idx,
    write_idx,
)

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _sample(dtype: type, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def _valid_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "valid-idx3-ubyte"
    write_idx(path, _sample(np.uint8, (3, 4, 5)))
    return path.read_bytes()


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path: Path, dtype: type, suffix: str) -> None:
    for shape in [(7,), (3, 5), (50, 28, 28), (2, 3, 4, 5), (0, 28, 28)]:
        array = _sample(dtype, shape)
        path = tmp_path / f"sample-{len(shape)}{suffix}"
        write_idx(path, array)
        back = read_idx(path)
        assert back.dtype == np.dtype(dtype) and back.dtype.isnative
        assert back.shape == shape
        np.testing.assert_array_equal(back, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


def test_header_layout_is_the_mnist_one(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.arange(10, dtype=np.uint8))
    assert path.read_bytes() == b"\0\0\x08\x01" + struct.pack(">I", 10) + bytes(range(10))


def test_big_endian_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "ints"
    write_idx(path, np.array([1, -2], dtype=np.int32))
    assert path.read_bytes()[8:] == struct.pack(">ii", 1, -2)


def test_gzip_detected_by_magic_whatever_the_name(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write_idx(plain, _sample(np.uint8, (4, 4)))
    hidden = tmp_path / "no-suffix"
    hidden.write_bytes(gzip.compress(plain.read_bytes()))
    np.testing.assert_array_equal(read_idx(hidden), read_idx(plain))


def test_gz_written_twice_gives_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    write_idx(a, _sample(np.uint8, (5, 5)))
    write_idx(b, _sample(np.uint8, (5, 5)))
    assert a.read_bytes() == b.read_bytes()


def test_write_refuses_what_idx_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(IdxError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(IdxError, match="dimensions"):
        write_idx(tmp_path / "x", np.zeros((1, 1, 1, 1, 1), dtype=np.uint8))
    with pytest.raises(IdxError, match="dimensions"):
        write_idx(tmp_path / "x", np.uint8(3))
    assert not list(tmp_path.iterdir())


def _expect_error(path: Path, content: bytes, fragment: str) -> IdxError:
    path.write_bytes(content)
    with pytest.raises(IdxError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert path.name in message
    assert fragment in message
    return caught.value


def test_empty_file(tmp_path: Path) -> None:
    _expect_error(tmp_path / "empty-idx1-ubyte", b"", "empty")


def test_truncated_data(tmp_path: Path) -> None:
    good = _valid_bytes(tmp_path)
    error = _expect_error(tmp_path / "short-idx3-ubyte", good[:-10], "truncated")
    assert "expected 60 bytes of data, found 50" in str(error)


def test_truncated_header(tmp_path: Path) -> None:
    good = _valid_bytes(tmp_path)
    _expect_error(tmp_path / "cut-idx3-ubyte", good[:3], "truncated")
    _expect_error(tmp_path / "cut-idx3-ubyte", good[:9], "truncated")


def test_trailing_bytes(tmp_path: Path) -> None:
    good = _valid_bytes(tmp_path)
    _expect_error(tmp_path / "long-idx3-ubyte", good + b"xyz", "3 trailing bytes")
    _expect_error(tmp_path / "long.gz", gzip.compress(good + b"x"), "trailing bytes")


def test_wrong_magic(tmp_path: Path) -> None:
    good = _valid_bytes(tmp_path)
    _expect_error(tmp_path / "magic", b"\x01" + good[1:], "not an IDX file")
    _expect_error(tmp_path / "type", good[:2] + b"\x0a" + good[3:], "unknown IDX data type 0x0A")
    _expect_error(tmp_path / "ndim0", good[:3] + b"\x00" + good[4:], "number of dimensions 0")
    _expect_error(tmp_path / "ndim9", good[:3] + b"\x09" + good[4:], "number of dimensions 9")
    _expect_error(tmp_path / "text.gz", b"hello, world", "corrupt gzip")


def test_absurd_size_refused_before_allocating(tmp_path: Path) -> None:
    header = b"\0\0\x0e\x03" + struct.pack(">III", 2**16, 2**16, 2**16)
    error = _expect_error(tmp_path / "huge-idx3-ubyte", header + b"\0" * 16, "elements")
    assert str(MAX_ELEMENTS) in str(error)
    # Within the element limit but more bytes than the reader takes: refused from the header.
    header = b"\0\0\x0e\x01" + struct.pack(">I", MAX_ELEMENTS)
    _expect_error(tmp_path / "liar.gz", gzip.compress(header + b"\0" * 64), "byte limit")
    # Within both limits but lying about its size: truncated, found from the data.
    header = b"\0\0\x08\x01" + struct.pack(">I", 1000)
    _expect_error(tmp_path / "short.gz", gzip.compress(header + b"\0" * 64), "truncated")


def test_corrupt_gzip(tmp_path: Path) -> None:
    good = gzip.compress(_valid_bytes(tmp_path))
    _expect_error(tmp_path / "cut.gz", good[: len(good) // 2], "corrupt gzip")
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    _expect_error(tmp_path / "flipped.gz", bytes(flipped), "")  # bad CRC or length: either
    _expect_error(tmp_path / "crc.gz", good[:-8] + b"\0" * 8, "corrupt gzip")
    _expect_error(tmp_path / "magic-only.gz", b"\x1f\x8b", "corrupt gzip")


def _gzip_bomb(path: Path, images: int, zeros: int) -> None:
    """A gzip file declaring `images` 28x28 images, then `zeros` bytes of zeros (streamed)."""
    block = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"\0\0\x08\x03" + struct.pack(">III", images, 28, 28))
        for _ in range(zeros // len(block)):
            out.write(block)


def test_gzip_bomb_is_refused_from_its_header_without_allocating(tmp_path: Path) -> None:
    """Issue 13 kind 5: 2.7 M declared images (2.1 GB) followed by zeros: refused at once."""
    import tracemalloc

    path = tmp_path / "bomb-idx3-ubyte.gz"
    _gzip_bomb(path, 2_700_000, 96 << 20)
    tracemalloc.start()
    try:
        error = _expect_error(path, path.read_bytes(), "byte limit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"{MAX_DATA_BYTES:,}" in str(error)
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MB allocated for a refused file"


def test_a_gzip_stream_is_decompressed_no_further_than_declared(tmp_path: Path) -> None:
    """A small declared size followed by 96 MB of zeros: one byte past the data is enough."""
    import tracemalloc

    path = tmp_path / "long-idx3-ubyte.gz"
    _gzip_bomb(path, 10, 96 << 20)
    tracemalloc.start()
    try:
        _expect_error(path, path.read_bytes(), "trailing bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_a_folder_or_a_pipe_in_place_of_a_file_is_refused_at_once(tmp_path: Path) -> None:
    """Issue 13 kinds 2 and 6: only regular files are read; a FIFO must not hang."""
    import os

    folder = tmp_path / "train-images-idx3-ubyte.gz"
    folder.mkdir()
    with pytest.raises(IdxError, match="a folder, not an IDX file"):
        read_idx(folder)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo-idx1-ubyte"
        os.mkfifo(fifo)
        with pytest.raises(IdxError, match="not a regular file"):
            read_idx(fifo)
    if Path("/dev/zero").exists():
        with pytest.raises(IdxError, match="not a regular file"):
            read_idx("/dev/zero")


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nowhere-idx1-ubyte")


# Fuzzing: whatever the bytes, read_idx parses them or raises IdxError naming the file.


@st.composite
def _mangled_files(draw: st.DrawFn) -> tuple[str, bytes]:
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
    array = _sample(dtype, shape, seed=draw(st.integers(0, 3)))
    big = array.astype(array.dtype.newbyteorder(">"))
    code = next(code for code, idx_dtype in IDX_DTYPES.items() if idx_dtype == big.dtype)
    declared = shape
    if draw(st.integers(0, 9)) == 0:  # a lying header: up to 4 G per dimension (bomb-like)
        declared = tuple(draw(st.integers(0, 2**32 - 1)) for _ in shape)
    content = bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *declared)
    content += big.tobytes()
    gz = draw(st.booleans())
    if gz:
        content = gzip.compress(content, mtime=0)
    kind = draw(st.sampled_from(["random", "truncate", "flip", "insert", "as-is"]))
    if kind == "random":
        content = draw(st.binary(max_size=300))
    elif kind == "truncate":
        content = content[: draw(st.integers(0, len(content)))]
    elif kind == "flip" and content:
        index = draw(st.integers(0, len(content) - 1))
        value = draw(st.integers(0, 255))
        content = content[:index] + bytes([value]) + content[index + 1 :]
    elif kind == "insert":
        index = draw(st.integers(0, len(content)))
        content = content[:index] + draw(st.binary(min_size=1, max_size=8)) + content[index:]
    return ("fuzz.gz" if gz else "fuzz-idx-ubyte"), content


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_mangled_files())
def test_fuzz_read_idx_parses_or_raises_idx_error(fuzz_dir: Path, case: tuple[str, bytes]) -> None:
    name, content = case
    path = fuzz_dir / name
    path.write_bytes(content)
    try:
        array = read_idx(path)
    except IdxError as error:
        assert name in str(error)
    else:
        assert isinstance(array, np.ndarray) and 1 <= array.ndim <= 4
