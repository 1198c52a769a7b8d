"""Adam and SGD as the loop needs them, without torch.optim's start-up cost; the rate schedule.

Every torch.optim optimizer imports torch._dynamo on its first use (a graph break in `step`,
dynamo-disabled `zero_grad` and `add_param_group`): as long as importing torch itself, which
doubles the time before a run's first batch. These two do the same arithmetic as
torch.optim.Adam (L2 weight decay, no amsgrad) and torch.optim.SGD (momentum, no dampening)
with foreach kernels, and save and load the same state_dict, so checkpoints written by either
load into the other; tests/core/test_optimizers.py compares them step by step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from workbench.core.training.config import TrainConfig


class _Lean:
    """The part of torch.optim.Optimizer the workbench uses: param_groups, state,
    zero_grad, state_dict, load_state_dict."""

    defaults: dict[str, Any]

    def __init__(self, params: Iterable[torch.nn.Parameter], **defaults: Any):
        self.defaults = defaults
        self.param_groups = [{"params": list(params), **defaults}]
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def state_dict(self) -> dict[str, Any]:
        """torch.optim's form: state by parameter index, groups with indices for params."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            groups.append(
                {**{k: v for k, v in group.items() if k != "params"}}
                | {"params": [index[id(p)] for p in group["params"]]}
            )
        state = {
            index[id(p)]: dict(values)
            for group in self.param_groups
            for p in group["params"]
            if (values := self.state.get(p))
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("the saved optimizer has another number of parameter groups")
        params = [p for group in self.param_groups for p in group["params"]]
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("the saved optimizer's groups hold other parameters")
            changeable = set(self.defaults) - set(getattr(self, "FIXED", {}))
            group.update({k: v for k, v in saved.items() if k in changeable})
        self.state = {}
        for key, values in state_dict["state"].items():
            p = params[int(key)]
            self.state[p] = {
                # copies: the saved state may be another optimizer's live tensors
                name: (value.to(p.device, p.dtype) if name != "step" else value.float().cpu())
                .detach()
                .clone()
                for name, value in values.items()
            }


class Adam(_Lean):
    """torch.optim.Adam's arithmetic (foreach), weight decay added to the gradient."""

    # torch.optim.Adam's other settings, at the values this arithmetic is (saved with the state)
    FIXED = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "fused": None,
        "decoupled_weight_decay": False,
    }

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **self.FIXED
        )

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            for p in params:
                if p not in self.state:
                    self.state[p] = {
                        "step": torch.tensor(0.0),
                        "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                        "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
                    }
            states = [self.state[p] for p in params]
            for s in states:
                s["step"] += 1  # a CPU scalar: reading it never waits for the GPU
            step = float(states[0]["step"])
            exp_avg = [s["exp_avg"] for s in states]
            exp_avg_sq = [s["exp_avg_sq"] for s in states]
            torch._foreach_lerp_(exp_avg, grads, 1 - beta1)
            torch._foreach_mul_(exp_avg_sq, beta2)
            torch._foreach_addcmul_(exp_avg_sq, grads, grads, 1 - beta2)
            step_size = group["lr"] / (1 - beta1**step)
            denom = torch._foreach_sqrt(exp_avg_sq)
            torch._foreach_div_(denom, math.sqrt(1 - beta2**step))
            torch._foreach_add_(denom, group["eps"])
            torch._foreach_addcdiv_(params, exp_avg, denom, -step_size)


class SGD(_Lean):
    """torch.optim.SGD's arithmetic: momentum without dampening or Nesterov."""

    FIXED = {
        "dampening": 0.0,
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": None,
    }

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **self.FIXED)

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            if group["momentum"]:
                buffers = []
                for p, g in zip(params, grads, strict=True):
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.clone(g).detach()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(g)
                    buffers.append(state["momentum_buffer"])
                grads = buffers
            torch._foreach_add_(params, grads, alpha=-group["lr"])


# The learning-rate schedule, set before every batch.
def _lr_factor(schedule: str, step: int, total: int) -> float:
    progress = min(step / max(total, 1), 1.0)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "onecycle":
        warm = 0.15
        if progress < warm:
            return 0.1 + 0.9 * progress / warm
        return 0.5 * (1 + math.cos(math.pi * (progress - warm) / (1 - warm))) * 0.99 + 0.01
    return 1.0


def set_learning_rate(optimizer: Adam | SGD, config: TrainConfig, step: int, total: int) -> float:
    rate = config.learning_rate * _lr_factor(config.schedule, step, total)
    for group in optimizer.param_groups:
        group["lr"] = rate
    return rate


def make_optimizer(net: torch.nn.Module, config: TrainConfig) -> Adam | SGD:
    """The run's Adam or SGD (these, not torch.optim's: no torch._dynamo import)."""
    if config.optimizer == "sgd":
        return SGD(
            net.parameters(),
            lr=config.learning_rate,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
    return Adam(net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
