"""The official centred cosine (Hann) window that penalises large displacements."""

from __future__ import annotations

import math

import torch


def hann1d(size: int) -> torch.Tensor:
    """``0.5 * (1 - cos(2*pi*k / (size + 1)))`` for k = 1..size, float32 (not ``np.hanning``)."""
    return 0.5 * (1 - torch.cos((2 * math.pi / (size + 1)) * torch.arange(1, size + 1).float()))


def hann2d(height: int, width: int) -> torch.Tensor:
    """(1, 1, height, width) float32 outer product of two centred 1-D windows."""
    return hann1d(height).reshape(1, 1, -1, 1) * hann1d(width).reshape(1, 1, 1, -1)
