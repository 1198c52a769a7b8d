"""The loop's Adam and SGD against torch.optim's: the same steps, the same saved state."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from workbench.core.training import optimizers


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(48, 4)
    )


def _train(net, optimizer, steps: int, rates: list[float]) -> list[float]:
    generator = torch.Generator().manual_seed(1)
    losses = []
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = rates[step % len(rates)]
        x = torch.randn(8, 1, 6, 6, generator=generator)
        y = torch.randint(0, 4, (8,), generator=generator)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(
    ("ours", "reference", "settings"),
    [
        (optimizers.Adam, torch.optim.Adam, {"lr": 0.01}),
        (optimizers.Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.01}),
        (optimizers.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
        (optimizers.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.001}),
    ],
)
def test_same_steps_as_torch_optim(ours, reference, settings):
    mine, theirs = _net(0), _net(0)
    rates = [settings["lr"], settings["lr"] / 3]  # the loop changes the rate every batch
    losses = _train(mine, ours(mine.parameters(), **settings), 12, rates)
    expected = _train(theirs, reference(theirs.parameters(), **settings), 12, rates)
    assert losses == pytest.approx(expected, rel=1e-5, abs=1e-6)
    for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("ours", "reference"), [(optimizers.Adam, torch.optim.Adam), (optimizers.SGD, torch.optim.SGD)]
)
def test_state_dict_loads_both_ways(ours, reference):
    """A checkpoint written with either optimizer resumes in the other, step for step."""
    settings = {"lr": 0.01, "momentum": 0.9} if ours is optimizers.SGD else {"lr": 0.01}
    first, second = _net(2), _net(2)
    mine = ours(first.parameters(), **settings)
    _train(first, mine, 3, [0.01])
    theirs = reference(second.parameters(), **settings)
    second.load_state_dict(first.state_dict())
    theirs.load_state_dict(mine.state_dict())
    back = ours(first.parameters(), **settings)
    back.load_state_dict(theirs.state_dict())
    assert _train(first, back, 4, [0.01]) == pytest.approx(
        _train(second, theirs, 4, [0.01]), rel=1e-5
    )


def test_training_imports_no_dynamo():
    """torch.optim would import torch._dynamo (seconds before a run's first batch)."""
    code = (
        "import sys, torch\n"
        "from workbench.core.training.optimizers import Adam\n"
        "net = torch.nn.Linear(3, 2); opt = Adam(net.parameters())\n"
        "net(torch.randn(4, 3)).sum().backward(); opt.step(); opt.zero_grad(); opt.state_dict()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
