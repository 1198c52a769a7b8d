"""Files for the fault tests: strict JSON lines, checkpoints with doctored metadata."""

from __future__ import annotations

import json
from pathlib import Path


def strict_json_lines(text: str) -> list[dict]:
    """Parse each line as JSON that a strict parser accepts (no NaN, no Infinity)."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines() if line]


def checkpoint(path: Path, **meta_changes: str) -> Path:
    """A LeNet-5 checkpoint, with some metadata entries replaced as they are stored (text)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from workbench.core.model.checkpoint import save_checkpoint
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    save_checkpoint(path, build_network(PRESETS["lenet5"], seed=0), None, {"epoch": 1})
    if meta_changes:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata()
        tensors = load_file(str(path))
        save_file(tensors, str(path), metadata={**meta, **meta_changes})
    return path


def spec_json(**layer_changes: dict) -> str:
    from workbench.core.model.spec import PRESETS

    spec = PRESETS["lenet5"].to_dict()
    for layer in spec["layers"]:
        layer.update(layer_changes.get(layer["name"], {}))
    return json.dumps(spec)
