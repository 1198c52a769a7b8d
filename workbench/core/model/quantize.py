"""An int8 twin of an exported model: onnxruntime's static quantisation (QDQ), calibrated on
training images, written beside the float file as NAME.int8.onnx with the same metadata. A
first convolution on the one-channel image is quantised in its pool-phase form (`phases`)."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.fileio import set_onnx_metadata, write_onnx_atomic
from workbench.core.model.phases import pool_by_phases

INT8_SUFFIX = ".int8.onnx"
# Only the layers with weights and the shape-keeping ops between them run in int8. Everything
# else stays float: the input normalisation (Sub, Div) and the temperature (a Div on the logits),
# so the int8 model carries the float model's calibration unchanged.
QUANTISED_OPS = ("Conv", "Gemm", "Relu", "MaxPool", "AveragePool", "Reshape", "Flatten")
CALIBRATION_COUNT = 500
CALIBRATION_BATCH = 100


class QuantizeError(ValueError):
    """The model could not be quantised; the message says why and names the file."""


@dataclass(frozen=True)
class QuantizeReport:
    path: Path
    float_bytes: int
    int8_bytes: int
    argmax_agreement: float  # top-1 digit the same as the float model's, over the check images
    max_probability_difference: float  # largest |softmax int8 - softmax float|
    n_calibration: int
    n_checked: int


def int8_path(float_path: str | Path) -> Path:
    """`out.onnx` -> `out.int8.onnx`: where the int8 twin of a float model lives."""
    float_path = Path(float_path)
    return float_path.with_name(float_path.name.removesuffix(".onnx") + INT8_SUFFIX)


def is_int8_path(path: str | Path) -> bool:
    return Path(path).name.endswith(INT8_SUFFIX)


def float_path_of(path: str | Path) -> Path:
    """`out.int8.onnx` -> `out.onnx` (a float path is returned as it is)."""
    path = Path(path)
    if not is_int8_path(path):
        return path
    return path.with_name(path.name.removesuffix(INT8_SUFFIX) + ".onnx")


def int8_sibling(path: str | Path) -> Path | None:
    """The int8 twin of a float model, or the float twin of an int8 one, when it exists."""
    path = Path(path)
    other = float_path_of(path) if is_int8_path(path) else int8_path(path)
    return other if other.is_file() and other != path else None


def calibration_images(
    images: np.ndarray, count: int = CALIBRATION_COUNT, seed: int = 0
) -> np.ndarray:
    """`count` images drawn at random from uint8 [N, 28, 28] (or float in 0..1), as float32."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), size=min(count, len(images)), replace=False)
    picked = np.asarray(images)[np.sort(chosen)]
    if picked.dtype == np.uint8:
        return picked.astype(np.float32) * (1 / 255)
    return picked.astype(np.float32)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _reader(images: np.ndarray):
    from onnxruntime.quantization import CalibrationDataReader

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = self._make()

        @staticmethod
        def _make() -> Iterator[dict[str, np.ndarray]]:
            for start in range(0, len(images), CALIBRATION_BATCH):
                chunk = images[start : start + CALIBRATION_BATCH]
                yield {"image": np.ascontiguousarray(chunk[:, None], dtype=np.float32)}

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

        def rewind(self) -> None:
            self._batches = self._make()

    return Batches()


def quantize_model(
    float_model: str | Path,
    calibration: np.ndarray,
    out: str | Path | None = None,
    check_images: np.ndarray | None = None,
) -> QuantizeReport:
    """Write the int8 twin of `float_model` (default: beside it, NAME.int8.onnx), atomically.

    `calibration`: float32 [N, 28, 28] images in 0..1 (see `calibration_images`); activation
    ranges are their min/max, weights are int8 per output channel. The float model's metadata
    (spec, layers, card) is copied, with an `int8` entry naming the source and its digest.
    """
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    float_model = Path(float_model)
    out = Path(out) if out is not None else int8_path(float_model)
    calibration = np.asarray(calibration, dtype=np.float32)
    if calibration.ndim != 3 or calibration.shape[1:] != (28, 28) or not len(calibration):
        raise QuantizeError(f"calibration images must be [N, 28, 28], got {calibration.shape}")
    try:
        source = onnx.load_model(str(float_model), load_external_data=False)
    except Exception as exc:  # onnx raises protobuf's DecodeError and OSError
        raise QuantizeError(f"{float_model.name}: cannot read it as ONNX ({exc})") from exc
    metadata = {p.key: p.value for p in source.metadata_props}
    if metadata.get("format") != "workbench-onnx-1":
        raise QuantizeError(f"{float_model.name}: not a model exported by the workbench")
    if "int8" in metadata:
        raise QuantizeError(f"{float_model.name}: already an int8 model")
    quant_log = logging.getLogger()  # the quantiser warns through the root logger
    with tempfile.TemporaryDirectory(prefix="workbench-int8-") as scratch:
        written = Path(scratch) / "model.int8.onnx"
        level = quant_log.level
        quant_log.setLevel(max(level, logging.ERROR))
        try:
            work = onnx.ModelProto()
            work.CopyFrom(source)  # quantize_static rewrites the proto it is given
            phased = pool_by_phases(work)  # int8 is slow on a one-channel convolution
            quantize_static(
                work,
                written,
                _reader(calibration),
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=list(QUANTISED_OPS),
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                # 7-bit weights: a CPU without VNNI (AVX2 alone) multiplies uint8 by int8 in
                # int16 pairs that saturate at 8 bits (test agreement 0.91 -> 0.98 there).
                reduce_range=True,
                extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
            )
        except (OSError, MemoryError):
            raise
        except Exception as exc:  # the quantiser raises whatever its graph passes hit
            message = f"{float_model.name}: onnxruntime could not quantise it ({exc})"
            raise QuantizeError(message) from exc
        finally:
            quant_log.setLevel(level)
        model = onnx.load_model(str(written))
    metadata["int8"] = json.dumps(
        {
            "source": float_model.name,
            "source_sha256": file_sha256(float_model),
            "calibration_images": len(calibration),
            "method": "onnxruntime static QDQ, activations uint8 (min/max), weights int8 "
            "per channel (7-bit range)",
            "quantised_ops": list(QUANTISED_OPS),
            "first_layer": "by pool phases (SpaceToDepth)" if phased else "as exported",
        }
    )
    write_onnx_atomic(model, out, metadata)
    if check_images is None:
        check_images = calibration
    agreement, difference = compare_models(float_model, out, check_images)
    return QuantizeReport(
        out,
        float_model.stat().st_size,
        out.stat().st_size,
        agreement,
        difference,
        len(calibration),
        len(check_images),
    )


def compare_models(
    float_model: str | Path, int8_model: str | Path, images: np.ndarray
) -> tuple[float, float]:
    """Argmax agreement and the largest probability difference of two models on `images`."""
    from workbench.core.recognition.predictor import Predictor

    images = np.asarray(images)
    images = images * np.float32(1 / 255) if images.dtype == np.uint8 else images.astype(np.float32)
    one, two = Predictor(float_model, device="cpu"), Predictor(int8_model, device="cpu")
    agree, worst = 0, 0.0
    for start in range(0, len(images), 1000):
        chunk = images[start : start + 1000]
        p = one.predict(chunk, activations=False).probabilities
        q = two.predict(chunk, activations=False).probabilities
        agree += int((p.argmax(1) == q.argmax(1)).sum())
        worst = max(worst, float(np.abs(p - q).max()))
    return agree / len(images), worst


def int8_info(metadata: dict[str, str]) -> dict | None:
    """The `int8` metadata entry of a model (None for a float model)."""
    try:
        value = json.loads(metadata["int8"])
    except (KeyError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def int8_card(
    float_model: str | Path, int8_model: str | Path, images: np.ndarray, labels: np.ndarray
) -> dict:
    """Score both models on a labelled set (uint8 [N, 28, 28]) and give the int8 model its card.

    The card is the float model's (its training story) with `test` measured on the int8 model
    and an `int8` section comparing the two; it goes into the int8 file's metadata and beside
    it as NAME.int8.json.
    """
    from workbench.core.evaluation.evaluation import evaluate
    from workbench.core.fileio import write_json_atomic
    from workbench.core.recognition.predictor import Predictor

    float_model, int8_model = Path(float_model), Path(int8_model)
    fast, slow = Predictor(int8_model, device="cpu"), Predictor(float_model, device="cpu")
    quantised, reference = evaluate(fast, images, labels), evaluate(slow, images, labels)
    card = dict(slow.model_card())
    card["name"] = int8_model.name.removesuffix(".onnx")
    card["test"] = quantised.to_json()
    card["int8"] = {
        **(int8_info(fast.metadata) or {}),
        "test_accuracy": quantised.accuracy,
        "float_test_accuracy": reference.accuracy,
        "argmax_agreement": float(
            (quantised.probabilities.argmax(1) == reference.probabilities.argmax(1)).mean()
        ),
        "n_test": quantised.n,
        "bytes": int8_model.stat().st_size,
        "float_bytes": float_model.stat().st_size,
    }
    set_onnx_metadata(int8_model, {"card": json.dumps(card, allow_nan=False)})
    write_json_atomic(int8_model.with_suffix(".json"), card)
    return card
