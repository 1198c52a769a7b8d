"""Turn a trained network into a model: ONNX, safetensors and a card with its test metrics."""

from __future__ import annotations

import contextlib
import hashlib
import platform
from pathlib import Path
from typing import Any

import numpy as np

from workbench import __version__
from workbench.core.data.mnist import FILES, load_split
from workbench.core.evaluation.evaluation import evaluate
from workbench.core.fileio import set_onnx_metadata, write_json_atomic
from workbench.core.model.checkpoint import save_checkpoint
from workbench.core.model.export import export_onnx
from workbench.core.model.network import SpecNet
from workbench.core.recognition.predictor import Predictor


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModelWriteError(OSError):
    """The model's files could not be written (full disk, lost folder); none of them was left."""


def write_model(
    net: SpecNet,
    onnx_path: str | Path,
    history: dict[str, Any],
    data_folder: Path | None,
    verify: bool = True,
) -> dict[str, Any]:
    """Write NAME.onnx, NAME.safetensors and the model card NAME.json; return the card.

    With `data_folder`, the test set is evaluated once, here, and its metrics go in the card.
    The temperature fitted on the run's validation split (`history["calibration"]`) goes into
    the ONNX graph; a run without one (`--val-size 0`) is exported with T = 1, and the card
    says it is not calibrated.
    All three files or none: on a write error (a full disk) the ones already written are
    removed and ModelWriteError says which file failed and why.
    """
    onnx_path = Path(onnx_path)
    outputs = [onnx_path, onnx_path.with_suffix(".safetensors"), onnx_path.with_suffix(".json")]
    existed = {path for path in outputs if path.exists()}
    try:
        return _write_model(net, onnx_path, history, data_folder, verify)
    except OSError as exc:
        for path in outputs:
            if path not in existed:
                with contextlib.suppress(OSError):
                    path.unlink()
        where = f" ({exc.filename})" if exc.filename else ""
        raise ModelWriteError(
            f"could not write the model {onnx_path}: {exc.strerror or exc}{where}; "
            "no model files were left behind"
        ) from exc


def _write_model(
    net: SpecNet,
    onnx_path: Path,
    history: dict[str, Any],
    data_folder: Path | None,
    verify: bool,
) -> dict[str, Any]:
    import torch

    onnx_path = Path(onnx_path)
    net = net.cpu().eval()
    calibration = calibration_of(history)
    check = None
    test = None
    if data_folder is not None:
        test = load_split(data_folder, "test", verify=verify)
        check = test[0][:1000].astype(np.float32) / 255
    report = export_onnx(net, onnx_path, check_images=check, temperature=calibration["temperature"])
    save_checkpoint(
        onnx_path.with_suffix(".safetensors"),
        net,
        None,
        {"temperature": calibration["temperature"]},
    )
    card: dict[str, Any] = {
        "format": "workbench-card-1",
        "name": onnx_path.stem,
        "workbench_version": __version__,
        "torch_version": torch.__version__,
        "machine": f"{platform.machine()}, {platform.system()}",
        "spec": net.spec.to_dict(),
        "recipe": history.get("config", {}),
        "seed": history.get("config", {}).get("seed"),
        "state": history.get("state"),
        "training_seconds": history.get("seconds"),
        "n_train": history.get("n_train"),
        "n_val": history.get("n_val"),
        **({"extra_training": history["extra_training"]} if "extra_training" in history else {}),
        "history": history.get("epochs", []),
        "calibration": calibration,
        "export": {
            "max_abs_difference": report.max_abs_difference,
            "argmax_agreement": report.argmax_agreement,
            "n_checked": report.n_checked,
        },
    }
    if data_folder is not None and test is not None:
        card["data_md5"] = {name: _md5(Path(data_folder) / name) for name in FILES}
        result = evaluate(Predictor(onnx_path, device="cpu"), *test)
        card["test"] = result.to_json()
        card["calibration"]["test"] = calibration_on(onnx_path, *test, calibration["temperature"])
    # How it reads digits that are not MNIST's: the standard non-MNIST set (1,000, seed 14).
    from workbench.core.evaluation import nonmnist_score

    card["non_mnist"] = nonmnist_score.score(Predictor(onnx_path, device="cpu")).to_json()
    set_onnx_metadata(onnx_path, {"card": card})
    write_json_atomic(onnx_path.with_suffix(".json"), card)
    return card


def calibration_of(history: dict[str, Any]) -> dict[str, Any]:
    """The run's calibration record, or T = 1 with the reason when it has none."""
    fitted = history.get("calibration")
    if isinstance(fitted, dict) and fitted.get("temperature"):
        return {**fitted, "calibrated": True}
    return {
        "temperature": 1.0,
        "calibrated": False,
        "note": "no validation split was held out, so no temperature was fitted (T = 1)",
    }


def calibration_on(
    onnx_path: Path, images: np.ndarray, labels: np.ndarray, temperature: float
) -> dict[str, float]:
    """ECE (15 bins) on the test set with the exported, calibrated logits, and without T."""
    from workbench.core.evaluation.calibration import expected_calibration_error, softmax

    predictor = Predictor(onnx_path, device="cpu")
    logits = np.concatenate(
        [
            predictor.run_raw(images[i : i + 2500].astype(np.float32) / 255, ["logits"])[0]
            for i in range(0, len(images), 2500)
        ]
    ).astype(np.float64)
    return {
        "ece_before": expected_calibration_error(softmax(logits * temperature), labels),
        "ece_after": expected_calibration_error(softmax(logits), labels),
    }
