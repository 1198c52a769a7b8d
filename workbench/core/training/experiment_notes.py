"""What an experiment's runs showed: a note written from their numbers, never a canned answer.

Each note quotes what the arms reached (accuracy, parameters, the epoch where validation loss
turned) and states the expected effect only when those numbers show it; otherwise it says that
these runs did not show it. Torch-free: arms are read from run folders with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.training.comparisons import ACTIVATION_TITLES, PRESET_TITLES, remedy
from workbench.core.training.early_stopping import best_epoch

TURN_MARGIN = 0.02  # validation loss "turned" when it ends this share above its lowest value
CLEAR_MARGIN = 0.005  # accuracies closer than half a point are "about the same"


@dataclass(frozen=True)
class Arm:
    """One finished run of an experiment: its history.json, and what is measured on its weights."""

    history: Mapping[str, Any] = field(repr=False)
    parameters: int | None = None
    unit_spread: float | None = None  # first layer: largest difference of a unit to unit 0

    @property
    def config(self) -> Mapping[str, Any]:
        return self.history.get("config", {})

    @property
    def rows(self) -> list[Mapping[str, Any]]:
        return list(self.history.get("epochs", []))

    def final(self, key: str) -> float | None:
        rows = [r for r in self.rows if r.get(key) is not None]
        return float(rows[-1][key]) if rows else None

    def best_accuracy(self) -> float | None:
        values = [r["val_accuracy"] for r in self.rows if r.get("val_accuracy") is not None]
        return max(values) if values else None

    def epochs(self) -> int:
        return len(self.rows)

    def trained(self) -> bool:
        """Finished at least one epoch without stalling or diverging."""
        return bool(self.rows) and self.history.get("state") not in ("stalled", "diverged")

    def ended(self) -> str:
        """'' for a run that finished its budget, else why it ended, in brackets."""
        state = self.history.get("state", "finished")
        return "" if state == "finished" else f" ({state}: {self.history.get('reason', '')})"


def turn(arm: Arm) -> tuple[int, float, float] | None:
    """(epoch of the lowest validation loss, that loss, the last one) when the loss climbed
    back by more than TURN_MARGIN after it; None when it did not turn."""
    best = best_epoch(arm.rows)
    last = arm.final("val_loss")
    if best is None or last is None:
        return None
    low = next(float(r["val_loss"]) for r in arm.rows if r["epoch"] == best)
    if best < arm.rows[-1]["epoch"] and last > low * (1 + TURN_MARGIN):
        return best, low, last
    return None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _budget(arms: Sequence[Arm]) -> str:
    epochs = sorted({int(a.config.get("epochs", a.epochs())) for a in arms})
    size = arms[0].history.get("n_train")
    images = f" on {size:,} training images" if size else ""
    return f"{' / '.join(map(str, epochs))} epochs each{images}"


def note_cnn_vs_mlp(arms: Sequence[Arm]) -> str:
    def is_cnn(arm: Arm) -> bool:
        layers = arm.history.get("spec", {}).get("layers", [])
        return any(layer.get("kind") == "conv" for layer in layers)

    cnn = next((a for a in arms if is_cnn(a)), None)
    mlp = next((a for a in arms if not is_cnn(a)), None)
    if cnn is None or mlp is None:
        return "CNN vs fully connected needs one run of each."
    name = {id(a): PRESET_TITLES.get(a.config.get("preset"), "custom") for a in arms}
    quoted = "; ".join(
        f"{name[id(a)]}: {_pct(a.best_accuracy())} best validation accuracy with "
        f"{a.parameters or 0:,} parameters{a.ended()}"
        for a in (cnn, mlp)
    )
    text = f"CNN vs fully connected, {_budget(arms)}. {quoted}."
    c_acc, m_acc = cnn.best_accuracy() or 0.0, mlp.best_accuracy() or 0.0
    fewer = (mlp.parameters or 0) / max(cnn.parameters or 1, 1)
    if c_acc > m_acc + CLEAR_MARGIN and fewer > 1:
        return text + (
            f" As expected, the CNN did better ({(c_acc - m_acc) * 100:.1f} points) with "
            f"{fewer:.1f}× fewer parameters: shared, local filters suit images."
        )
    return text + (
        " These runs did not show the CNN ahead by more than half a point"
        + (" with fewer parameters" if fewer > 1 else "")
        + " (a short budget can hide it)."
    )


def note_activation(arms: Sequence[Arm]) -> str:
    by = {a.config.get("activation"): a for a in arms}
    quoted = "; ".join(
        f"{ACTIVATION_TITLES.get(k, k)} {_pct(a.best_accuracy())}{a.ended()}" for k, a in by.items()
    )
    text = f"Activation, {_budget(arms)}: best validation accuracy {quoted}."
    linear = by.get("none")
    # Compared with the nonlinear arms that trained: a stalled or diverged one says nothing here.
    trained = [a.best_accuracy() or 0.0 for k, a in by.items() if k != "none" and a.trained()]
    if linear is not None and trained:
        lin, low = linear.best_accuracy() or 0.0, min(trained)
        if lin < low - CLEAR_MARGIN:
            text += (
                f" As expected, the linear network stayed below every nonlinear one that trained "
                f"({_pct(lin)} vs at least {_pct(low)}): without a nonlinearity its layers "
                "compose into one linear map, a linear classifier whatever its depth."
            )
        else:
            text += (
                " These runs did not show the linear network below every nonlinear one that "
                f"trained ({_pct(lin)} vs {_pct(low)} for the weakest)"
                + (
                    ": with max pooling it is not linear at all."
                    if linear.config.get("pooling") == "max"
                    else "."
                )
            )
    relu, sigmoid = by.get("relu"), by.get("sigmoid")
    if relu is not None and sigmoid is not None and relu.rows and sigmoid.rows:
        r1, s1 = relu.rows[0].get("val_accuracy") or 0.0, sigmoid.rows[0].get("val_accuracy") or 0.0
        if s1 < r1 - CLEAR_MARGIN:
            text += (
                f" Sigmoid started slower than ReLU (epoch 1: {_pct(s1)} vs {_pct(r1)}): its "
                "slope is at most 0.25, so gradients shrink layer by layer."
            )
        else:
            text += (
                f" Sigmoid did not start slower than ReLU here (epoch 1: {_pct(s1)} vs {_pct(r1)})."
            )
    return text


def note_initialisation(arms: Sequence[Arm]) -> str:
    by = {a.config.get("init", "default"): a for a in arms}
    default = by.get("default")
    base = (default.best_accuracy() or 0.0) if default else None
    parts = []
    for init, arm in by.items():
        title = (
            "random (default)"
            if init == "default"
            else (
                "all zeros"
                if init == "zeros"
                else f"constant {arm.config.get('init_constant', 0.1):g}"
            )
        )
        spread = (
            ""
            if arm.unit_spread is None
            else f", first-layer units differ by ≤ {arm.unit_spread:.3g}"
        )
        parts.append(f"{title}: {_pct(arm.best_accuracy())}{spread}{arm.ended()}")
    text = f"Initialisation, {_budget(arms)}. " + "; ".join(parts) + "."
    for init, arm in by.items():
        if init == "default":
            continue
        who = "zeros" if init == "zeros" else "the constant"
        if arm.unit_spread is not None and arm.unit_spread < 1e-6:
            text += (
                f" With {who}, every unit (filter) of the first layer is still identical after "
                f"{arm.epochs()} epoch(s): they all get the same gradient, so symmetry never "
                "breaks."
            )
        elif arm.unit_spread is not None:
            text += (
                f" With {who}, these runs did not keep the first layer's units identical "
                f"(they differ by up to {arm.unit_spread:.3g})."
            )
        acc = arm.best_accuracy() or 0.0
        if not arm.rows:
            text += f" With {who}, no epoch finished: there is no accuracy to compare."
        elif base is not None and acc < base - 0.05:
            text += f" It learned far less than random init ({_pct(acc)} vs {_pct(base)})."
        elif base is not None:
            text += (
                f" It did not learn clearly less than random init here ({_pct(acc)} vs "
                f"{_pct(base)})."
            )
    return text


def note_overfitting(arms: Sequence[Arm]) -> str:
    by = {remedy(a.config): a for a in arms}
    plain = by.get("none")
    if plain is None:
        return "Overfitting needs the run without regularisation."
    text = f"Overfitting on a small subset, {_budget(arms)}."
    turned = turn(plain)
    gap = (plain.final("train_accuracy") or 0.0) - (plain.final("val_accuracy") or 0.0)
    if turned:
        epoch, low, last = turned
        text += (
            f" Without regularisation the validation loss turned after epoch {epoch} "
            f"({low:.3f}, then up to {last:.3f} by epoch {plain.epochs()}) while training "
            f"accuracy reached {_pct(plain.final('train_accuracy'))} against "
            f"{_pct(plain.final('val_accuracy'))} on validation: it overfits."
        )
    else:
        text += (
            f" Without regularisation the validation loss did not turn within "
            f"{plain.epochs()} epochs ({_pct(plain.final('train_accuracy'))} train vs "
            f"{_pct(plain.final('val_accuracy'))} validation): these runs did not show overfitting."
        )
    plain_loss = plain.final("val_loss") or 0.0
    for key, arm in by.items():
        if key == "none":
            continue
        name = {"weight-decay": "weight decay", "early-stop": "early stopping"}.get(key, key)
        if key == "early-stop":
            kept = arm.history.get("kept_epoch") or best_epoch(arm.rows)
            row = next((r for r in arm.rows if r["epoch"] == kept), None)
            if row is None:
                text += " Early stopping kept no epoch."
                continue
            text += (
                f" Early stopping ran {arm.epochs()} epochs and kept epoch {kept} "
                f"(validation loss {row['val_loss']:.3f}, accuracy {_pct(row['val_accuracy'])})"
            )
            plain_acc = plain.final("val_accuracy") or 0.0
            if row["val_loss"] < plain_loss:
                text += (
                    f", a lower validation loss than the plain run's last epoch ({plain_loss:.3f})"
                )
                text += (
                    "."
                    if row["val_accuracy"] >= plain_acc
                    else f", though not a higher accuracy ({_pct(plain_acc)} there)."
                )
            else:
                text += f"; it did not beat the plain run's last epoch ({plain_loss:.3f})."
            continue
        loss = arm.final("val_loss") or 0.0
        arm_gap = (arm.final("train_accuracy") or 0.0) - (arm.final("val_accuracy") or 0.0)
        text += (
            f" With {name}: validation loss {loss:.3f} at the end, accuracy "
            f"{_pct(arm.final('val_accuracy'))}, train–validation gap {arm_gap * 100:.1f} points "
            f"(plain: {plain_loss:.3f}, {gap * 100:.1f})"
        )
        if loss < plain_loss and arm_gap < gap:
            text += ": it held overfitting back."
        elif loss < plain_loss:
            text += ": a lower validation loss, but these runs did not show a narrower gap."
        elif arm_gap < gap:
            text += ": a narrower gap, but these runs did not show a lower validation loss."
        else:
            text += ": these runs did not show it helping."
    return text


TITLES = {
    "cnn vs mlp": "CNN vs fully connected",
    "activation": "Activation",
    "initialisation": "Initialisation",
    "overfitting": "Overfitting and regularisation",
}
NOTES = {
    "cnn vs mlp": note_cnn_vs_mlp,
    "activation": note_activation,
    "initialisation": note_initialisation,
    "overfitting": note_overfitting,
}


def experiment_note(experiment: str, arms: Sequence[Arm]) -> str:
    """The note of a finished experiment, from its arms (in the order they ran)."""
    if experiment not in NOTES:
        raise ValueError(f"{experiment!r} is not one of the experiments: {', '.join(NOTES)}")
    if not arms:
        return "No run of this experiment has finished."
    return NOTES[experiment](arms)


def unit_spread(weights: np.ndarray) -> float:
    """Largest absolute difference between any unit's (filter's) weights and the first unit's."""
    weights = np.asarray(weights, dtype=np.float64)
    return float(np.abs(weights - weights[:1]).max(initial=0.0))


def arm_from_run(run_dir: str | Path) -> Arm:
    """An arm from a run folder: its history, the parameter count of its spec and the spread
    of its first layer's units in the checkpoint the run stands for."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from workbench.core.model.anatomy import anatomy
    from workbench.core.model.spec import ModelSpec
    from workbench.core.training.runs import kept_checkpoint, read_history

    history = read_history(run_dir)
    spec = ModelSpec.from_dict(history["spec"])
    spread = None
    kept = kept_checkpoint(run_dir)
    if kept is not None:
        first = next(layer.name for layer in spec.layers if layer.kind in ("conv", "fc"))
        try:
            weight = load_file(str(kept[1])).get(f"blocks.{first}.0.weight")
        except (SafetensorError, OSError):
            weight = None
        spread = None if weight is None else unit_spread(weight)
    return Arm(history, anatomy(spec).parameters, spread)


def _arm_value(experiment: str, config: Mapping[str, Any]) -> Any:
    if experiment == "cnn vs mlp":
        return config.get("preset") if not config.get("spec") else None
    if experiment == "activation":
        return config.get("activation")
    if experiment == "initialisation":
        return config.get("init", "default")
    return remedy(config) if config.get("train_size") else None


def experiment_of(configs: Sequence[Mapping[str, Any]]) -> str | None:
    """Which experiment these runs' settings are the arms of (each arm once), or None."""
    from workbench.core.training.comparisons import comparison_settings

    for experiment in NOTES:
        arms = {_arm_value(experiment, s) for _, s in comparison_settings(experiment, {})}
        values = [_arm_value(experiment, c) for c in configs]
        if len(configs) > 1 and len(set(values)) == len(values) and set(values) <= arms:
            return experiment
    return None


def note_for_runs(run_dirs: Sequence[str | Path]) -> tuple[str, str] | None:
    """(experiment, note) when these runs are the arms of an experiment; else None (also when
    a run cannot be read: the report goes on without the note)."""
    try:
        arms = [arm_from_run(path) for path in run_dirs]
    except (KeyError, TypeError, ValueError, OSError):
        return None
    experiment = experiment_of([arm.config for arm in arms])
    return None if experiment is None else (experiment, experiment_note(experiment, arms))
