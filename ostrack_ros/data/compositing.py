"""Alpha compositing of a sprite into a canvas, shared by the synthetic renderers."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np


def alpha_blend(
    canvas: np.ndarray,
    texture: np.ndarray,
    alpha: np.ndarray,
    x: int,
    y: int,
    coverage: Optional[np.ndarray] = None,
) -> None:
    """Blend ``texture`` (h, w, 3) with ``alpha`` (h, w) into float ``canvas`` with its top-left
    corner at (x, y), clipped to the canvas; record the alpha in ``coverage`` (max) when given."""
    h, w = alpha.shape[:2]
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    sub_t = texture[y0 - y : y1 - y, x0 - x : x1 - x]
    sub_a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - sub_a) + sub_t * sub_a
    if coverage is not None:
        coverage[y0:y1, x0:x1] = np.maximum(coverage[y0:y1, x0:x1], sub_a[..., 0])


def sprite_pixels(canvas_shape, texture: np.ndarray, alpha: np.ndarray, box) -> Optional[tuple]:
    """``texture`` and ``alpha`` resized to the integer box (x, y, w, h), or None when the box
    misses the canvas (nothing to draw)."""
    x, y, w, h = box
    H, W = canvas_shape[:2]
    if min(W, x + w) <= max(0, x) or min(H, y + h) <= max(0, y):
        return None
    return (
        cv2.resize(texture, (w, h), interpolation=cv2.INTER_LINEAR),
        cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR),
    )
