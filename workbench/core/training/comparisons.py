"""Ready-made comparisons (the classic homework experiments) and what differs between configs.

Torch-free: configs are handled as plain settings dicts (what history.json holds, what
`TrainConfig.to_dict` gives), so the window lists and labels runs; `comparison_configs` builds
TrainConfigs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workbench.core.training.config import (
    CLASSIC_STRENGTHS,
    FAMILIES,
    NO_AUGMENTATION,
    upgraded,
)

if TYPE_CHECKING:
    from workbench.core.training.config import TrainConfig

# The homework setting: plain SGD at a constant learning rate, no augmentation, no weight decay.
PLAIN_SGD: dict[str, Any] = {
    "optimizer": "sgd",
    "schedule": "constant",
    **NO_AUGMENTATION,
    "weight_decay": 0.0,
}
# Each comparison: the settings of its runs, on top of PLAIN_SGD; everything else (epochs, batch
# size, seed, split, the architecture unless it is what varies) comes from one base, so only
# the varied setting differs between the runs.
COMPARISONS: dict[str, list[dict[str, Any]]] = {
    "learning rate": [
        {**PLAIN_SGD, "momentum": 0.0, "learning_rate": rate} for rate in (0.01, 1.0, 1e-5)
    ],
    "momentum": [
        {**PLAIN_SGD, "learning_rate": 0.01, "momentum": momentum} for momentum in (0.0, 0.9)
    ],
    "depth": [
        {**PLAIN_SGD, "preset": name, "spec": None, "learning_rate": 0.01, "momentum": 0.9}
        for name in ("conv1", "conv2")
    ],
    "activation": [
        {**PLAIN_SGD, "activation": name, "spec": None, "learning_rate": 0.01, "momentum": 0.9}
        for name in ("relu", "sigmoid")
    ],
}
# The setting each comparison varies, which names its runs ("lr-0.01", "depth-conv2").
VARIED = {
    "learning rate": ("lr", "learning_rate"),
    "momentum": ("momentum", "momentum"),
    "depth": ("depth", "preset"),
    "activation": ("activation", "activation"),
}
PRESET_TITLES = {"lenet5": "LeNet-5", "conv1": "1 conv layer", "conv2": "2 conv layers"}
ACTIVATION_TITLES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "none": "linear"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam"}
SCHEDULE_TITLES = {"constant": "constant", "cosine": "cosine", "onecycle": "one-cycle"}
# TrainConfig's fields in the order a legend names them; threads and device are left out:
# they say how a run was computed, not what was trained.
FIELD_ORDER = (
    "preset",
    "spec",
    "activation",
    "pooling",
    "optimizer",
    "learning_rate",
    "momentum",
    "weight_decay",
    "schedule",
    "batch_size",
    "epochs",
    *FAMILIES,
    "seed",
    "val_size",
)
_IGNORED = ("threads", "device")


def number(value: float) -> str:
    """0.01 → "0.01", 1e-05 → "1e-5", 1.0 → "1": how a person writes a learning rate."""
    text = f"{value:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def settings_of(config: TrainConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A config as a plain dict (a TrainConfig, or the dict saved in history.json)."""
    return upgraded(config) if isinstance(config, Mapping) else config.to_dict()


def comparison_settings(name: str, base: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(run name, settings) for each run of a comparison, built on `base` settings."""
    try:
        variants = COMPARISONS[name]
    except KeyError:
        raise ValueError(
            f"unknown comparison {name!r}; choose one of {', '.join(COMPARISONS)}"
        ) from None
    slug, varied = VARIED[name]
    runs = []
    for variant in variants:
        settings = {**dict(base), **variant}
        value = settings[varied]
        runs.append((f"{slug}-{number(value) if isinstance(value, float) else value}", settings))
    return runs


def comparison_configs(name: str, base: TrainConfig | None = None) -> list[TrainConfig]:
    """The runs of a ready-made comparison, built on `base` (same seed, split and epochs)."""
    from workbench.core.training.config import TrainConfig

    base_settings = settings_of(base or TrainConfig())
    return [TrainConfig.from_dict(s) for _, s in comparison_settings(name, base_settings)]


def _part(settings: Mapping[str, Any], key: str) -> str:
    value = settings.get(key)
    if key == "preset":
        return PRESET_TITLES.get(value, str(value))
    if key == "spec":
        return f"custom spec {value.get('name', '')}".strip() if value else "preset"
    if key == "activation":
        return ACTIVATION_TITLES.get(value, str(value))
    if key == "pooling":
        return {"max": "max pooling", "avg": "average pooling"}.get(value, str(value))
    if key == "optimizer":
        return OPTIMIZER_TITLES.get(value, str(value))
    if key == "learning_rate":
        return f"learning rate {number(value)}"
    if key == "momentum":
        return f"momentum {number(value)}" if value else "no momentum"
    if key == "weight_decay":
        return f"weight decay {number(value)}" if value else "no weight decay"
    if key == "batch_size":
        return f"batch {value}"
    if key == "epochs":
        return f"{value} epochs"
    if key == "seed":
        return f"seed {value}"
    if key == "val_size":
        return f"{value} held out"
    if key in FAMILIES:
        return f"{key} {number(value)}" if value else f"no {key}"
    if key == "schedule":
        return f"{SCHEDULE_TITLES.get(value, value)} schedule"
    return f"{key} {value}"


def _uses_momentum(settings: Mapping[str, Any]) -> bool:
    return settings.get("optimizer") == "sgd"


def describe_difference(configs: Sequence[TrainConfig | Mapping[str, Any]]) -> list[str]:
    """One label per config naming only what differs between them, for a plot legend.

    ["learning rate 0.01", "learning rate 1", "learning rate 1e-5"]; momentum counts only for
    SGD runs (Adam has none). Configs that do not differ at all get "".
    """
    all_settings = [settings_of(c) for c in configs]
    if len(all_settings) < 2:
        return ["" for _ in all_settings]
    keys = [k for k in FIELD_ORDER if any(k in s for s in all_settings)]
    keys += sorted({k for s in all_settings for k in s} - set(keys) - set(_IGNORED))
    differing = []
    for key in keys:
        if key == "momentum":
            # Only SGD has momentum; beside an Adam run, an SGD run says which momentum it used.
            values = {s.get("momentum") for s in all_settings if _uses_momentum(s)}
            optimizers = {s.get("optimizer") for s in all_settings}
            if len(values) > 1 or (values and len(optimizers) > 1):
                differing.append(key)
        elif len({repr(s.get(key)) for s in all_settings}) > 1:
            differing.append(key)
    return [
        ", ".join(_part(s, key) for key in differing if key != "momentum" or _uses_momentum(s))
        for s in all_settings
    ]


def describe_config(config: TrainConfig | Mapping[str, Any]) -> str:
    """The whole recipe in one line, for the runs table."""
    s = settings_of(config)
    spec = s.get("spec")
    preset = s.get("preset", "lenet5")
    architecture = (
        f"custom {spec.get('name', '')}".strip() if spec else PRESET_TITLES.get(preset, str(preset))
    )
    optimizer = s.get("optimizer", "adam")
    recipe = f"{OPTIMIZER_TITLES.get(optimizer, optimizer)} lr {number(s.get('learning_rate', 0))}"
    if optimizer == "sgd" and s.get("momentum"):
        recipe += f" m {number(s['momentum'])}"
    parts = [
        architecture,
        ACTIVATION_TITLES.get(s.get("activation"), str(s.get("activation"))),
        f"{s.get('pooling')} pool",
        recipe,
        f"batch {s.get('batch_size')}",
        f"{s.get('epochs')} ep",
    ]
    if s.get("schedule", "constant") != "constant":
        parts.append(SCHEDULE_TITLES.get(s["schedule"], str(s["schedule"])))
    strengths = {k: s.get(k, 0) for k in FAMILIES}
    if strengths == CLASSIC_STRENGTHS:
        parts.append("augmented")  # the classic distortions, what the flag used to mean
    elif any(strengths.values()):
        listed = ", ".join(f"{k} {number(v)}" for k, v in strengths.items() if v)
        parts.append(f"augmented ({listed})")
    parts.append(f"seed {s.get('seed')}")
    return " · ".join(parts)
