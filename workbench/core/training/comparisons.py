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
OVERFIT: dict[str, Any] = {
    **PLAIN_SGD,
    "learning_rate": 0.01,
    "momentum": 0.9,
    "train_size": 1000,
    "batch_size": 32,
    "epochs": 30,
    "early_stop": None,
}
DROPOUT = "dropout"  # not a TrainConfig field: becomes a spec with dropout layers at this rate
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
    # Average pooling throughout: max pooling is a nonlinearity of its own, and the arm without
    # an activation is only a linear network (a linear classifier, whatever its depth) without it.
    "activation": [
        {
            **PLAIN_SGD,
            "activation": name,
            "pooling": "avg",
            "spec": None,
            "learning_rate": 0.01,
            "momentum": 0.9,
        }
        for name in ("relu", "sigmoid", "tanh", "none")
    ],
    "cnn vs mlp": [
        {**PLAIN_SGD, "preset": name, "spec": None, "learning_rate": 0.01, "momentum": 0.9}
        for name in ("lenet5", "mlp")
    ],
    "initialisation": [
        {**PLAIN_SGD, "init": init, "learning_rate": 0.01, "momentum": 0.9}
        for init in ("default", "zeros", "constant")
    ],
    # 1,000 training images, 30 epochs of batches of 32: long enough for the plain run's
    # validation loss to turn; then each remedy alone.
    "overfitting": [
        {**OVERFIT, **remedy}
        for remedy in (
            {},
            {DROPOUT: 0.5},
            {"weight_decay": 5e-3},
            dict(CLASSIC_STRENGTHS),
            {"early_stop": 3},
        )
    ],
}
# The setting each comparison varies, which names its runs ("lr-0.01", "depth-conv2").
VARIED = {
    "learning rate": ("lr", "learning_rate"),
    "momentum": ("momentum", "momentum"),
    "depth": ("depth", "preset"),
    "activation": ("activation", "activation"),
    "cnn vs mlp": ("arch", "preset"),
    "initialisation": ("init", "init"),
    "overfitting": ("overfit", "remedy"),
}
# The experiments of the course (issue 16); each has a note written from its runs' numbers.
EXPERIMENTS = ("cnn vs mlp", "activation", "initialisation", "overfitting")

PRESET_TITLES = {
    "lenet5": "LeNet-5",
    "conv1": "1 conv layer",
    "conv2": "2 conv layers",
    "mlp": "MLP 784-300-100-10",
}
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
    "train_size",
    "early_stop",
    "init",
    "init_constant",
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
        if DROPOUT in settings:
            settings = _with_dropout(settings, settings.pop(DROPOUT))
        value = remedy(settings) if varied == "remedy" else settings[varied]
        runs.append((f"{slug}-{number(value) if isinstance(value, float) else value}", settings))
    return runs


def _with_dropout(settings: dict[str, Any], rate: float) -> dict[str, Any]:
    """The settings with their architecture as a spec that has dropout after each hidden fc."""
    from workbench.core.model.spec import ModelSpec, preset, with_dropout

    spec = settings.get("spec")
    base = (
        ModelSpec.from_dict(spec)
        if spec
        else preset(
            settings.get("preset", "lenet5"), settings.get("activation"), settings.get("pooling")
        )
    )
    return {**settings, "spec": with_dropout(base, rate).to_dict()}


def remedy(settings: Mapping[str, Any]) -> str:
    """Which remedy against overfitting a run's settings use: none, dropout, weight-decay,
    augmentation or early-stop (the first that applies)."""
    spec = settings.get("spec") or {}
    if any(layer.get("kind") == DROPOUT for layer in spec.get("layers", ())):
        return "dropout"
    if settings.get("weight_decay"):
        return "weight-decay"
    if settings.get("augment") or any(settings.get(k) for k in FAMILIES):
        return "augmentation"
    if settings.get("early_stop"):
        return "early-stop"
    return "none"


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
    if key == "train_size":
        return f"{value:,} training images" if value else "all training images"
    if key == "early_stop":
        return f"early stopping (patience {value})" if value else "no early stopping"
    if key == "init":
        return {"default": "random init", "zeros": "all-zero init"}.get(
            value, f"constant init {number(settings.get('init_constant', 0.1))}"
        )
    if key == "init_constant":
        return f"constant {number(value)}"
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
    if len(differing) > 1 and set(differing) <= set(_REMEDIES):
        # Regularisation arms: each names its remedy alone, not every other remedy's absence.
        return [REMEDY_TITLES[remedy(s)] for s in all_settings]
    return [
        ", ".join(_part(s, key) for key in differing if key != "momentum" or _uses_momentum(s))
        for s in all_settings
    ]


_REMEDIES = ("spec", "weight_decay", "augment", *FAMILIES, "early_stop")
REMEDY_TITLES = {
    "none": "no regularisation",
    "dropout": "dropout",
    "weight-decay": "weight decay",
    "augmentation": "augmentation",
    "early-stop": "early stopping",
}


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
    if s.get("weight_decay"):
        parts.append(f"wd {number(s['weight_decay'])}")
    if s.get("train_size"):
        parts.append(f"{s['train_size']:,} images")
    if s.get("init", "default") != "default":
        parts.append(_part(s, "init"))
    if s.get("early_stop"):
        parts.append(f"early stop {s['early_stop']}")
    parts.append(f"seed {s.get('seed')}")
    return " · ".join(parts)
