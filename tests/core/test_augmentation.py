"""The on-device distortions: strengths checked, off means untouched, each family does its job."""

from __future__ import annotations

import pytest
import torch

from workbench.core.training.augmentation import AugmentConfig, augment_batch


def bars(n: int = 64) -> torch.Tensor:
    """A batch of upright bars 4 px wide, 16 px tall: a plain '1'."""
    images = torch.zeros(n, 1, 28, 28)
    images[:, :, 6:22, 12:16] = 1.0
    return images


def extent(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    ink = images[:, 0] > 0.3
    return ink.any(dim=1).sum(dim=1).float(), ink.any(dim=2).sum(dim=1).float()


def test_strengths_out_of_range_are_refused():
    for bad in (-0.1, 2.5, float("nan")):
        with pytest.raises(ValueError, match="strength"):
            AugmentConfig(elastic=bad)


def test_all_off_leaves_images_as_they_are():
    images = torch.rand(8, 1, 28, 28)
    g = torch.Generator().manual_seed(0)
    cfg = AugmentConfig(affine=0, stretch=0, elastic=0, lowres=0)
    assert not cfg.active
    assert torch.allclose(augment_batch(images, cfg, g), images, atol=1e-5)


def test_stretch_changes_aspect_and_can_fill_the_box():
    g = torch.Generator().manual_seed(1)
    out = augment_batch(bars(400), AugmentConfig(affine=0, stretch=2), g)
    width, height = extent(out)
    ratio = width / height
    assert ratio.min() < 0.25 * 0.8  # narrower than the bar's 4:16
    assert ratio.max() > 0.9  # some bars were stretched to fill the square box (a wide 1)


def test_elastic_moves_ink_but_keeps_it():
    g = torch.Generator().manual_seed(2)
    images = bars()
    out = augment_batch(images, AugmentConfig(affine=0, elastic=1), g)
    moved = (out - images).abs().sum(dim=(1, 2, 3))
    assert (moved > 1).float().mean() > 0.5
    assert torch.allclose(out.sum(dim=(1, 2, 3)), images.sum(dim=(1, 2, 3)), rtol=0.35)


def test_lowres_blurs_a_share_of_the_batch():
    g = torch.Generator().manual_seed(3)
    images = bars(400)
    out = augment_batch(images, AugmentConfig(affine=0, lowres=2), g, step=0)
    changed = ((out - images).abs().amax(dim=(1, 2, 3)) > 0.1).float().mean()
    assert 0.15 < changed < 0.45  # 30 % chosen at strength 2
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
