"""Inference through onnxruntime (never torch): top-k digits and every layer's activations."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.model.spec import ModelSpec, SpecError

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
MAX_MODEL_BYTES = 256 * 1024 * 1024
_CPU, _CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"


class ModelLoadError(ValueError):
    """The file is not a usable workbench model; the message says why and names the file."""


@dataclass(frozen=True)
class Prediction:
    probabilities: np.ndarray  # [N, classes] softmax
    activations: dict[str, np.ndarray] = field(default_factory=dict)  # layer -> [N, ...]

    def top(self, k: int = 2) -> list[list[tuple[int, float]]]:
        """Per image, the k most likely digits with their probabilities, best first."""
        order = np.argsort(-self.probabilities, axis=1, kind="stable")[:, :k]
        return [
            [(int(d), float(row[d])) for d in digits]
            for digits, row in zip(order, self.probabilities, strict=True)
        ]


_LOGITS = ["logits"]


def as_batch(images: np.ndarray) -> np.ndarray:
    """Images as the float32, C-contiguous [N, 1, 28, 28] array the session takes; an array
    already in that form is passed through as it is, without a copy."""
    if (
        type(images) is np.ndarray
        and images.dtype == np.float32
        and images.shape[1:] == (1, 28, 28)
        and images.flags.c_contiguous
    ):
        return images
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[:, None]
    return np.ascontiguousarray(x)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class Predictor:
    """One onnxruntime session for one model file on one device.

    The file is read into memory and handed to onnxruntime as bytes, so a model that refers to
    external data files cannot make onnxruntime open other files on the disk.

    Work that needs only the digits (evaluation, pages, occlusion) runs on a second session,
    made on first use, whose graph outputs only the logits: without the layer outputs the
    optimiser fuses and reuses buffers more freely (see `run_logits`).
    """

    def __init__(
        self, model_path: str | os.PathLike, device: str = "auto", threads: int | None = None
    ):
        import onnxruntime as ort

        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
        self.path = Path(model_path)
        self.device_requested = device
        self.notice: str | None = None
        data = _read_model_bytes(self.path)
        options = ort.SessionOptions()
        # One thread by default: a single digit runs fastest on one (no hand-off between
        # threads) and the window keeps a core; batch work (eval, bench) asks for more.
        options.intra_op_num_threads = threads or 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        available = ort.get_available_providers()
        providers = [_CPU]
        if device in ("cuda", "auto") and _CUDA in available:
            providers = [_CUDA, _CPU]
        elif device == "cuda":
            self.notice = "CUDA is not available to onnxruntime here: running on the CPU"
        try:
            self.session = ort.InferenceSession(data, sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            if providers[0] == _CUDA:
                log.warning("CUDA session failed (%s); falling back to CPU", exc)
                self.notice = f"CUDA failed to load this model ({exc}): running on the CPU"
                self.session = self._cpu_session(ort, data, options, exc)
            else:
                raise ModelLoadError(
                    f"{self.path.name}: not a valid ONNX model ({_short(exc)})"
                ) from exc
        self.provider = self.session.get_providers()[0]
        if self.notice is None and providers[0] == _CUDA and self.provider != _CUDA:
            self.notice = "onnxruntime could not start CUDA: running on the CPU"
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.spec = self._check_interface()
        self.layer_names = [o.name for o in self.session.get_outputs()[1:]]
        self._output_names = [o.name for o in self.session.get_outputs()]
        self._model_bytes, self._options, self._providers = data, options, providers
        self._lean = None if self.layer_names else self.session
        self._lean_lock = threading.Lock()
        self._run_lean = None
        if self.notice:
            log.warning("%s: %s", self.path.name, self.notice)

    def _cpu_session(self, ort, data: bytes, options, cause: Exception):
        try:
            return ort.InferenceSession(data, sess_options=options, providers=[_CPU])
        except Exception as exc:
            raise ModelLoadError(
                f"{self.path.name}: not a valid ONNX model ({_short(exc)})"
            ) from cause

    def _check_interface(self) -> ModelSpec | None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        name = self.path.name
        if len(inputs) != 1 or inputs[0].name != "image":
            raise ModelLoadError(
                f"{name}: expected one input named 'image', found {[i.name for i in inputs]}"
            )
        shape = inputs[0].shape
        if len(shape) != 4 or list(shape[1:]) != [1, 28, 28] or inputs[0].type != "tensor(float)":
            raise ModelLoadError(
                f"{name}: input 'image' must be float [N, 1, 28, 28], "
                f"found {inputs[0].type} {shape}"
            )
        if not outputs or outputs[0].name != "logits" or outputs[0].shape[-1] != 10:
            raise ModelLoadError(
                f"{name}: first output must be 'logits' with 10 classes, found "
                f"{[(o.name, o.shape) for o in outputs[:1]]}"
            )
        if self.metadata.get("format") != "workbench-onnx-1":
            raise ModelLoadError(f"{name}: an ONNX model, but not one exported by the workbench")
        try:
            return ModelSpec.from_json(self.metadata["spec"])
        except (KeyError, SpecError) as exc:
            raise ModelLoadError(f"{name}: its stored model spec is unreadable ({exc})") from exc

    @property
    def lean_session(self):
        """The logits-only session, made on first use (thread-safe: evaluation shares it)."""
        if self._lean is None:
            with self._lean_lock:
                if self._lean is None:
                    self._lean = self._make_lean_session()
        return self._lean

    def _make_lean_session(self):
        import onnxruntime as ort

        from workbench.core.model.onnx_wire import keep_outputs

        providers = self._providers if self.provider == _CUDA else [_CPU]
        try:
            lean = keep_outputs(self._model_bytes, {"logits"})
            return ort.InferenceSession(lean, self._options, providers=providers)
        except Exception as exc:  # a file the wire editor or onnxruntime refuses: the full one
            log.warning("%s: no logits-only session (%s)", self.path.name, _short(exc))
            return self.session

    def run_raw(self, images: np.ndarray, names: list[str] | None = None) -> list[np.ndarray]:
        """Run the full session on float32 images [N, 28, 28] or [N, 1, 28, 28]."""
        return self.session.run(names, {"image": as_batch(images)})

    def run_logits(self, images: np.ndarray) -> np.ndarray:
        """The logits [N, 10] alone, from the lean session."""
        run = self._run_lean or self._lean_runner()  # the attribute first: one digit is ~25 µs
        return run(_LOGITS, {"image": as_batch(images)}, None)[0]

    def _lean_runner(self):
        """The lean session's run. On the CPU, its inner binding: the Python wrapper only checks
        the input names (ours, fixed) and offers a fallback for failing GPU providers, and costs
        2 µs of the 25 a digit takes. Elsewhere, or without that binding, the public run."""
        session = self.lean_session
        inner = getattr(session, "_sess", None)
        if session.get_providers()[0] == _CPU and callable(getattr(inner, "run", None)):
            self._run_lean = inner.run
        else:
            self._run_lean = session.run
        return self._run_lean

    def predict(self, images: np.ndarray, activations: bool = True) -> Prediction:
        """Softmax probabilities (and, unless turned off, every layer's output) for a batch."""
        if activations:
            outputs = self.run_raw(images)
            layers = dict(zip(self.layer_names, outputs[1:], strict=True))
            return Prediction(softmax(outputs[0]), layers)
        return Prediction(softmax(self.run_logits(images)))

    def model_card(self) -> dict:
        """The training summary stored in the model's metadata (empty if none)."""
        try:
            return json.loads(self.metadata.get("card", "{}"))
        except json.JSONDecodeError:
            return {}

    def describe(self) -> str:
        where = "CUDA" if self.provider == _CUDA else "CPU"
        return f"{self.path.name} on {where}"


def _read_model_bytes(path: Path) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # /dev/zero never ends, a FIFO blocks
            raise ModelLoadError(f"{path.name}: not a regular file (a folder, device or pipe)")
        if info.st_size > MAX_MODEL_BYTES:
            raise ModelLoadError(
                f"{path.name}: {info.st_size / 2**20:.0f} MB is too large for a workbench model"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_MODEL_BYTES + 1)
        if len(data) > MAX_MODEL_BYTES:
            raise ModelLoadError(f"{path.name}: the file grew past the model size limit")
    except OSError as exc:
        raise ModelLoadError(f"{path.name}: cannot read the model file ({exc.strerror})") from exc
    if not data:
        raise ModelLoadError(f"{path.name}: the model file is empty")
    return data


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__
