"""Per-epoch checkpoints (weights + optimizer state) in safetensors, a format without code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from workbench.core.fileio import atomic_writer
from workbench.core.model.network import ModelFileError, SpecNet
from workbench.core.model.spec import ModelSpec, SpecError

_OPTIM_PREFIX = "optim/"


def checkpoint_path(run_dir: str | Path, epoch: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"epoch-{epoch:03d}.safetensors"


def save_checkpoint(
    path: str | Path,
    net: SpecNet,
    optimizer: torch.optim.Optimizer | None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """One safetensors file: model tensors, optimizer tensors under `optim/`, JSON metadata."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}
    meta = {"format": "workbench-weights-1", "spec": net.spec.to_json()}
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, values in state["state"].items():
            for key, value in values.items():
                tensors[f"{_OPTIM_PREFIX}{index}/{key}"] = (
                    torch.as_tensor(value).detach().cpu().contiguous()
                )
        meta["optimizer"] = json.dumps(state["param_groups"])
    meta.update({k: json.dumps(v) for k, v in (metadata or {}).items()})
    data = save(tensors, metadata=meta)
    with atomic_writer(path) as handle:
        handle.write(data)


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path.name}: not a workbench weights file ({exc})") from exc
    if meta.get("format") != "workbench-weights-1" or "spec" not in meta:
        raise ModelFileError(f"{path.name}: safetensors file without a workbench model spec")
    return tensors, meta


def _decoded(path: str | Path, meta: dict[str, str]) -> dict[str, Any]:
    """Every metadata value but format and spec, JSON-decoded; a bad one names file and key."""
    values = {}
    for key, text in meta.items():
        if key in ("format", "spec"):
            continue
        try:
            values[key] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(
                f"{Path(path).name}: metadata {key!r} is not valid JSON ({exc.msg} at "
                f"character {exc.pos}: {text[:40]!r})"
            ) from exc
    return values


def load_checkpoint(
    path: str | Path, net: SpecNet, optimizer: torch.optim.Optimizer | None = None
) -> dict[str, Any]:
    """Load weights (and optimizer state) into existing objects; returns the extra metadata."""
    tensors, meta = read_checkpoint(path)
    values = _decoded(path, meta)
    model_state = {k: v for k, v in tensors.items() if not k.startswith(_OPTIM_PREFIX)}
    try:
        net.load_state_dict(model_state)
    except RuntimeError as exc:
        raise ModelFileError(f"{Path(path).name}: weights do not match the model ({exc})") from exc
    if optimizer is not None and "optimizer" in values:
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith(_OPTIM_PREFIX):
                index, name = key[len(_OPTIM_PREFIX) :].split("/", 1)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": values["optimizer"]})
    return {k: v for k, v in values.items() if k != "optimizer"}


def load_network(path: str | Path) -> tuple[SpecNet, dict[str, Any]]:
    """Rebuild a network from a workbench weights file or checkpoint; never unpickles anything."""
    _, meta = read_checkpoint(path)
    try:
        net = SpecNet(ModelSpec.from_json(meta["spec"]))
    except SpecError as exc:
        raise ModelFileError(f"{Path(path).name}: its model spec is invalid ({exc})") from exc
    extra = load_checkpoint(path, net)
    return net.eval(), extra
