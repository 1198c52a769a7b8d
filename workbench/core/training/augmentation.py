"""Batch augmentation on torch tensors: the ways real digits differ from MNIST, as distortions.

Drawn, scanned and photographed digits differ from MNIST in slant, size, position and stroke width
(the affine family), in aspect (scanners that stretch a digit to fill a square box), in the wobble
of a hand (elastic) and in resolution (blurry low-resolution scans). Each family has a strength:
0 is off, 1 the recommended level, up to 2. Everything runs batched on the training device with
masks, never a branch on tensor values, so a GPU batch needs no host synchronisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

MAX_STRENGTH = 2.0
LOWRES_SIZES = (7, 12, 8, 10, 9, 14, 11, 13)  # cycled by batch index: no host-side random draw


@dataclass(frozen=True)
class AugmentConfig:
    affine: float = 1.0  # rotation, shift, scale, shear, stroke width, blur
    stretch: float = 0.0  # independent x/y scale (aspect 0.5–1.3), some digits filling the box
    elastic: float = 0.0  # a smoothed random displacement field
    lowres: float = 0.0  # down to 7–14 px and back up

    def __post_init__(self) -> None:
        for name in ("affine", "stretch", "elastic", "lowres"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= MAX_STRENGTH):
                raise ValueError(f"augmentation strength {name} must be in 0–{MAX_STRENGTH:g}")

    @property
    def active(self) -> bool:
        return any(v > 0 for v in (self.affine, self.stretch, self.elastic, self.lowres))


def augment_batch(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator, step: int = 0
) -> torch.Tensor:
    """Distort ink-on-black images [N, 1, H, W] in [0, 1]; `step` picks the low-res size."""
    n, _, h, w = images.shape
    device = images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=device) * (high - low) + low

    a = cfg.affine
    angle = uniform(-9.0 * a, 9.0 * a) * (math.pi / 180)
    scale = uniform(1 - 0.1 * a, 1 + 0.1 * a)
    shear = uniform(-0.12 * a, 0.12 * a)
    shift = 0.14 * a
    tx, ty = uniform(-shift, shift), uniform(-shift, shift)
    # aspect = x scale / y scale, log-uniform in [0.5, 1.3] at strength 1
    log_aspect = uniform(math.log(0.5) * cfg.stretch, math.log(1.3) * cfg.stretch)
    sx = scale * torch.exp(log_aspect / 2)
    sy = scale * torch.exp(-log_aspect / 2)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Inverse map (output → input coordinates): rotation, then x/y scale, then a horizontal shear.
    theta = torch.stack(
        [
            torch.stack([cos / sx, (-sin + shear * cos) / sx, tx], dim=1),
            torch.stack([sin / sy, (cos + shear * sin) / sy, ty], dim=1),
        ],
        dim=1,
    )
    theta = _fill_box(images, theta, uniform(0, 1) < 0.12 * cfg.stretch)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    if cfg.elastic > 0:
        grid = grid + _elastic_field(n, h, w, cfg.elastic, generator, device)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    pick = uniform(0, 1)
    blur = uniform(0, 1) < 0.1 * a
    out = _where(pick < 0.15 * a, out, lambda x: F.max_pool2d(x, 3, 1, 1) * 0.6 + x * 0.4)
    thinner = (pick >= 0.15 * a) & (pick < 0.2 * a)
    out = _where(thinner, out, lambda x: -F.max_pool2d(-x, 3, 1, 1) * 0.6 + x * 0.4)
    kernel = torch.tensor([0.25, 0.5, 0.25], device=device)
    kernel2d = (kernel[:, None] * kernel[None, :])[None, None]
    out = _where(blur, out, lambda x: F.conv2d(x, kernel2d, padding=1))
    if cfg.lowres > 0:
        size = LOWRES_SIZES[step % len(LOWRES_SIZES)]

        def coarse(x: torch.Tensor) -> torch.Tensor:
            small = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
            return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)

        out = _where(uniform(0, 1) < 0.15 * cfg.lowres, out, coarse)
    return out.clamp_(0.0, 1.0)


def _where(chosen: torch.Tensor, images: torch.Tensor, change) -> torch.Tensor:
    """`change` applied to the chosen images: by index on the CPU (cheap there), by mask elsewhere
    (a GPU then never waits for the host to learn which images were chosen)."""
    if images.device.type == "cpu":
        index = chosen.nonzero()[:, 0]
        if len(index):
            images = images.clone()
            images[index] = change(images[index])
        return images
    return torch.where(chosen[:, None, None, None], change(images), images)


def _fill_box(images: torch.Tensor, theta: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """For the chosen images, map the ink's bounding box onto the 20×20 centre (a scanner's box)."""
    n, _, h, w = images.shape
    ink = images[:, 0] > 0.2
    rows, cols = ink.any(dim=2), ink.any(dim=1)
    ys = torch.arange(h, device=images.device, dtype=images.dtype)
    xs = torch.arange(w, device=images.device, dtype=images.dtype)
    big = float(max(h, w))
    top = torch.where(rows, ys, big).amin(dim=1)
    bottom = torch.where(rows, ys, -1.0).amax(dim=1) + 1
    left = torch.where(cols, xs, big).amin(dim=1)
    right = torch.where(cols, xs, -1.0).amax(dim=1) + 1
    valid = chosen & (bottom > top + 1) & (right > left + 1)
    # normalised coordinates (align_corners=False): pixel edge p ↦ 2p/size − 1
    half_w = ((right - left) / w).clamp(min=1e-3)
    half_h = ((bottom - top) / h).clamp(min=1e-3)
    centre_x, centre_y = (left + right) / w - 1, (top + bottom) / h - 1
    target = 20.0 / 28.0  # the output box covers ±20/28 of the half-width
    box = torch.zeros_like(theta)
    box[:, 0, 0], box[:, 0, 2] = half_w / target, centre_x
    box[:, 1, 1], box[:, 1, 2] = half_h / target, centre_y
    return torch.where(valid[:, None, None], box, theta)


def _elastic_field(
    n: int, h: int, w: int, strength: float, generator: torch.Generator, device
) -> torch.Tensor:
    """A displacement field [N, H, W, 2] in grid units: coarse 5×5 noise, smoothly upsampled."""
    noise = torch.rand(n, 2, 5, 5, generator=generator, device=device) * 2 - 1
    smooth = F.interpolate(noise, size=(h, w), mode="bicubic", align_corners=True)
    # a root-mean-square displacement up to 1.1 px at strength 1, random per image
    rms = smooth.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp(min=1e-6)
    size = torch.rand(n, 1, 1, 1, generator=generator, device=device) * 1.1 * strength
    return (smooth / rms * size * (2.0 / max(h, w))).permute(0, 2, 3, 1)
