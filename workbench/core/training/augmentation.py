"""Batch augmentation on torch tensors: small affine distortions, stroke width and blur.

Drawn and photographed digits differ from MNIST in slant, size, position and stroke width; these
distortions teach the network to ignore exactly that. It runs batched on the training device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    rotate_degrees: float = 9.0
    shift_fraction: float = 0.07
    scale: float = 0.1
    shear: float = 0.12
    thicker_p: float = 0.15
    thinner_p: float = 0.05
    blur_p: float = 0.1


def augment_batch(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Distort a batch [N, 1, H, W] of ink-on-black images in [0, 1]."""
    n = images.shape[0]
    device = images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=device) * (high - low) + low

    angle = uniform(-cfg.rotate_degrees, cfg.rotate_degrees) * (math.pi / 180)
    scale = uniform(1 - cfg.scale, 1 + cfg.scale)
    shear = uniform(-cfg.shear, cfg.shear)
    shift = cfg.shift_fraction * 2
    tx, ty = uniform(-shift, shift), uniform(-shift, shift)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # Inverse map (output → input coordinates): rotation·scale, then a horizontal shear.
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, tx], dim=1),
            torch.stack([sin, cos + shear * sin, ty], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    pick = torch.rand(n, generator=generator, device=device)
    thicker = pick < cfg.thicker_p
    thinner = (pick >= cfg.thicker_p) & (pick < cfg.thicker_p + cfg.thinner_p)
    if thicker.any():
        out[thicker] = F.max_pool2d(out[thicker], 3, stride=1, padding=1) * 0.6 + out[thicker] * 0.4
    if thinner.any():
        eroded = -F.max_pool2d(-out[thinner], 3, stride=1, padding=1)
        out[thinner] = eroded * 0.6 + out[thinner] * 0.4
    blurred = torch.rand(n, generator=generator, device=device) < cfg.blur_p
    if blurred.any():
        kernel = torch.tensor([0.25, 0.5, 0.25], device=device)
        kernel2d = (kernel[:, None] * kernel[None, :])[None, None]
        out[blurred] = F.conv2d(out[blurred], kernel2d, padding=1)
    return out.clamp_(0.0, 1.0)
