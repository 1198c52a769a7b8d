"""The two-parameter network f(x, w) = σ(σ(x₁ + w₁)·w₂ + x₂) by the chain rule, one SGD step."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.lab.matrices import LabError, fmt, term

FUNCTION = "f(x, w) = σ(σ(x₁ + w₁)·w₂ + x₂)"
LOSS = "L = ½(f − y)²"
HALF_NOTE = (
    "The loss has the factor ½ so that dL/df = f − y; with L = (f − y)² every gradient "
    "is twice as large."
)


def sigmoid(v: float) -> float:
    # Written so neither branch overflows for large |v|.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Line:
    """One row of the worked answer: the quantity, its rule, the rule with numbers, the value."""

    name: str
    rule: str
    numbers: str
    value: float


@dataclass(frozen=True)
class ScalarNet:
    x1: float
    x2: float
    w1: float
    w2: float
    y: float
    lr: float
    a: float  # x₁ + w₁
    h: float  # σ(a)
    z: float  # h·w₂ + x₂
    f: float  # σ(z)
    loss: float
    dl_df: float
    df_dz: float
    dl_dz: float
    dl_dw2: float
    dl_dh: float
    dh_da: float
    dl_dw1: float
    w1_new: float
    w2_new: float

    def forward_lines(self) -> list[Line]:
        return [
            Line("a", "x₁ + w₁", f"{term(self.x1)} + {term(self.w1)}", self.a),
            Line("h", "σ(a)", f"σ({fmt(self.a)})", self.h),
            Line("z", "h·w₂ + x₂", f"{fmt(self.h)}·{term(self.w2)} + {term(self.x2)}", self.z),
            Line("f", "σ(z)", f"σ({fmt(self.z)})", self.f),
            Line("L", "½(f − y)²", f"½({fmt(self.f)} − {term(self.y)})²", self.loss),
        ]

    def backward_lines(self) -> list[Line]:
        return [
            Line("∂L/∂f", "f − y", f"{fmt(self.f)} − {term(self.y)}", self.dl_df),
            Line("∂f/∂z", "σ′(z) = f(1 − f)", f"{fmt(self.f)}·(1 − {fmt(self.f)})", self.df_dz),
            Line("∂L/∂z", "∂L/∂f · ∂f/∂z", f"{term(self.dl_df)}·{term(self.df_dz)}", self.dl_dz),
            Line("∂L/∂w₂", "∂L/∂z · h", f"{term(self.dl_dz)}·{term(self.h)}", self.dl_dw2),
            Line("∂L/∂h", "∂L/∂z · w₂", f"{term(self.dl_dz)}·{term(self.w2)}", self.dl_dh),
            Line("∂h/∂a", "σ′(a) = h(1 − h)", f"{fmt(self.h)}·(1 − {fmt(self.h)})", self.dh_da),
            Line("∂L/∂w₁", "∂L/∂h · ∂h/∂a", f"{term(self.dl_dh)}·{term(self.dh_da)}", self.dl_dw1),
        ]

    def step_lines(self) -> list[Line]:
        lr = fmt(self.lr)
        return [
            Line(
                "w₁ new", "w₁ − λ·∂L/∂w₁", f"{fmt(self.w1)} − {lr}·{term(self.dl_dw1)}", self.w1_new
            ),
            Line(
                "w₂ new", "w₂ − λ·∂L/∂w₂", f"{fmt(self.w2)} − {lr}·{term(self.dl_dw2)}", self.w2_new
            ),
        ]

    def unhalved_lines(self) -> list[Line]:
        """The same gradients for L = (f − y)² without the ½: each one twice as large."""
        return [
            Line("∂L/∂w₁ for (f − y)²", "2·∂L/∂w₁", f"2·{term(self.dl_dw1)}", 2 * self.dl_dw1),
            Line("∂L/∂w₂ for (f − y)²", "2·∂L/∂w₂", f"2·{term(self.dl_dw2)}", 2 * self.dl_dw2),
        ]

    def as_dict(self) -> dict[str, float]:
        values = {
            "a": self.a, "h": self.h, "z": self.z, "f": self.f, "loss": self.loss,
            "dL_df": self.dl_df, "df_dz": self.df_dz, "dL_dz": self.dl_dz,
            "dL_dw2": self.dl_dw2, "dL_dh": self.dl_dh, "dh_da": self.dh_da,
            "dL_dw1": self.dl_dw1, "w1_new": self.w1_new, "w2_new": self.w2_new,
        }  # fmt: skip
        return {key: value + 0.0 for key, value in values.items()}  # + 0.0 turns -0.0 into 0.0


def scalar_net(x1: float, x2: float, w1: float, w2: float, y: float, lr: float = 0.5) -> ScalarNet:
    """Forward values, each partial derivative by the chain rule, and w − λ·∂L/∂w."""
    values = tuple(float(v) for v in (x1, x2, w1, w2, y, lr))
    x1, x2, w1, w2, y, lr = values
    if not all(math.isfinite(v) for v in values):
        raise LabError("x, w, y and the learning rate must be finite numbers")
    a = x1 + w1
    h = sigmoid(a)
    z = h * w2 + x2
    f = sigmoid(z)
    loss = 0.5 * (f - y) * (f - y)  # float ** 2 raises on overflow; this gives inf
    dl_df = f - y
    df_dz = f * (1 - f)
    dl_dz = dl_df * df_dz
    dl_dw2 = dl_dz * h
    dl_dh = dl_dz * w2
    dh_da = h * (1 - h)
    dl_dw1 = dl_dh * dh_da
    return ScalarNet(
        *values, a, h, z, f, loss, dl_df, df_dz, dl_dz, dl_dw2, dl_dh, dh_da, dl_dw1,
        w1 - lr * dl_dw1, w2 - lr * dl_dw2,
    )  # fmt: skip
