"""Gaussian centre heat-map targets on the search grid (CenterNet style, as OSTrack trains them)."""

from __future__ import annotations

import numpy as np


def gaussian_radius(width: float, height: float, min_overlap: float = 0.7) -> float:
    """CornerNet radius for a (w, h) box in grid cells; the variant OSTrack uses (its "bug version")."""
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + np.sqrt(b1**2 - 4 * c1)) / 2
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + np.sqrt(b2**2 - 16 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + np.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return float(min(r1, r2, r3))


def center_heatmap(box: np.ndarray, grid: int, min_overlap: float = 0.7) -> np.ndarray:
    """(grid, grid) float32 target for a normalised x, y, w, h box: a Gaussian peaking at 1 at the
    rounded centre cell, radius from the box size, sigma = (2r + 1) / 6."""
    x, y, w, h = (float(v) * grid for v in box)
    radius = max(0, int(gaussian_radius(w, h, min_overlap)))
    cx, cy = int(round(x + w / 2)), int(round(y + h / 2))  # numpy/Python round: half to even, like torch
    heatmap = np.zeros((grid, grid), np.float32)
    sigma = (2 * radius + 1) / 6
    offsets = np.arange(-radius, radius + 1)
    gauss = np.exp(-(offsets[None, :] ** 2 + offsets[:, None] ** 2) / (2 * sigma * sigma))
    gauss[gauss < np.finfo(gauss.dtype).eps * gauss.max()] = 0
    left, right = min(cx, radius), min(grid - cx, radius + 1)
    top, bottom = min(cy, radius), min(grid - cy, radius + 1)
    if left + right <= 0 or top + bottom <= 0 or cx < 0 or cy < 0:
        return heatmap  # centre outside the grid: no positive cell, like the official drawing
    patch = gauss[radius - top : radius + bottom, radius - left : radius + right]
    heatmap[cy - top : cy + bottom, cx - left : cx + right] = patch
    return heatmap
