"""Atomic writes: a file is either the old one or the complete new one, never half-written."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; on success fsync and rename it over `path`.

    On any error (including a full disk) the temporary file is removed and `path` is untouched.
    An OSError that names no file (ENOSPC from a write) is given `path`, so the message says
    which file could not be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        _name_file(exc, path)
        raise
    try:
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes it private; give the usual mode
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            _name_file(exc, path)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def write_json_atomic(path: str | os.PathLike, value: Any) -> None:
    with atomic_writer(path, "w") as handle:
        json.dump(value, handle, indent=2)
        handle.write("\n")


def _name_file(exc: OSError, path: Path) -> None:
    if exc.filename is None:
        exc.filename = str(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_onnx_atomic(model, path: str | Path, metadata: dict[str, str]) -> None:
    """Write an ONNX model atomically with exactly these metadata entries, made by the workbench."""
    import onnx

    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "workbench"
    buffer = io.BytesIO()
    onnx.save_model(model, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def set_onnx_metadata(path: str | Path, metadata: dict) -> None:
    """Add or replace metadata entries of an ONNX file (non-strings as JSON), atomically."""
    import json

    import onnx

    model = onnx.load_model(str(path), load_external_data=False)
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    write_onnx_atomic(model, path, {**{p.key: p.value for p in model.metadata_props}, **values})
