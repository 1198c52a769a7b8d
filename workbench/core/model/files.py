"""Open any model file the workbench can run: an ONNX file it exported, or a checkpoint it saved."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from workbench.core import paths
from workbench.core.recognition.predictor import MAX_MODEL_BYTES, ModelLoadError, Predictor

ONNX_SUFFIX = ".onnx"
CHECKPOINT_SUFFIX = ".safetensors"
FILE_FILTER = "Workbench models (*.onnx *.safetensors);;ONNX (*.onnx);;Checkpoints (*.safetensors)"


def open_model(path: str | os.PathLike, device: str = "auto") -> Predictor:
    """A Predictor for `path`; raises ModelLoadError, naming the file, for anything else.

    A checkpoint is exported to ONNX once, into a cache folder in the user data folder keyed by
    the checkpoint's content; torch is imported only then.
    """
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"{path.name}: no such file")
    if not path.is_file():  # a folder, device or FIFO: never opened (a FIFO would block)
        raise ModelLoadError(f"{path.name}: not a regular file (a folder, device or pipe)")
    if path.suffix.lower() == CHECKPOINT_SUFFIX or _looks_like_safetensors(path):
        return Predictor(checkpoint_to_onnx(path), device=device)
    if path.suffix.lower() != ONNX_SUFFIX and not _looks_like_onnx(path):
        raise ModelLoadError(
            f"{path.name}: not a workbench model (expected an .onnx file "
            "exported by the workbench, or a .safetensors checkpoint it saved)"
        )
    return Predictor(path, device=device)


def is_checkpoint(path: str | os.PathLike) -> bool:
    """True when opening `path` means a (slow, torch) export first."""
    path = Path(path)
    return path.suffix.lower() == CHECKPOINT_SUFFIX or (
        path.is_file() and _looks_like_safetensors(path)
    )


def cache_dir() -> Path:
    return paths.home_dir() / "cache" / "models"


def checkpoint_to_onnx(path: str | os.PathLike) -> Path:
    """The ONNX export of a workbench checkpoint, made once and kept in cache_dir()."""
    import hashlib  # a checkpoint only: `predict` with an ONNX model starts without it

    path = Path(path)
    try:
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise ModelLoadError(f"{path.name}: too large for a workbench checkpoint")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise ModelLoadError(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    target = cache_dir() / f"{path.stem}-{digest}.onnx"
    if target.is_file():
        return target
    from workbench.core.model.checkpoint import load_network  # torch: only for checkpoints
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import ModelFileError

    try:
        net, meta = load_network(path)  # a spec past the size limits is a ModelFileError here
    except (ModelFileError, OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(str(exc) if path.name in str(exc) else f"{path.name}: {exc}") from exc
    try:
        export_onnx(net, target, {"source": path.name, **meta})
    except (OSError, ValueError, RuntimeError) as exc:  # a full cache folder, an exporter fault
        raise ModelLoadError(f"{path.name}: could not convert it to ONNX ({exc})") from exc
    return target


def _head(path: Path, count: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(count)
    except OSError:
        return b""


def _looks_like_safetensors(path: Path) -> bool:
    """safetensors: an 8-byte little-endian header length, then a JSON object."""
    head = _head(path, 10)
    if len(head) < 10:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 0 < length < 100_000_000 and head[8:9] == b"{"


def _looks_like_onnx(path: Path) -> bool:
    """ONNX is a protobuf ModelProto; it starts with field 1 (ir_version, a varint): byte 0x08."""
    return _head(path, 1) == b"\x08"
