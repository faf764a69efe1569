"""Re-detection tiling: overlapping search-crop centres that cover the whole frame at several scales.

A search crop of the target at scale ``s`` is a square of side ``sqrt(w * h) * s * search_factor``
(the official crop of a box ``s`` times the target's size). Tiles are spaced so that every pixel of
the frame lies in the central ``1 - overlap`` part of at least one tile, where the network finds
targets best (training jitters the target only so far from the crop centre).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import List

from .result import Box


def tiles_per_axis(extent: int, side: float, overlap: float) -> int:
    """Tiles along a frame axis of ``extent`` pixels: centres at most ``(1 - overlap) * side`` apart."""
    return max(1, math.ceil(extent / ((1.0 - overlap) * side)))


def tile_boxes(
    width: int,
    height: int,
    target_wh: Sequence[float],
    search_factor: float,
    scales: Sequence[float],
    overlap: float = 0.5,
) -> List[Box]:
    """Boxes (x, y, w, h) whose official search crops tile a ``width`` x ``height`` frame.

    One grid per scale (in the order given), row-major; each box is the target size times the scale,
    centred on its tile, so ``sample_target(image, box, search_factor, ...)`` cuts the tile."""
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"tile overlap must be in [0, 1), got {overlap}")
    target_w, target_h = (float(v) for v in target_wh)
    if target_w <= 0 or target_h <= 0 or width < 1 or height < 1:
        raise ValueError(f"cannot tile a {width}x{height} frame for a {target_w}x{target_h} target")
    boxes: List[Box] = []
    for scale in scales:
        if scale <= 0:
            raise ValueError(f"tile scales must be positive, got {scale}")
        w, h = target_w * scale, target_h * scale
        side = math.sqrt(w * h) * search_factor
        cols, rows = tiles_per_axis(width, side, overlap), tiles_per_axis(height, side, overlap)
        for row in range(rows):
            cy = (row + 0.5) * height / rows
            for col in range(cols):
                cx = (col + 0.5) * width / cols
                boxes.append((cx - 0.5 * w, cy - 0.5 * h, w, h))
    return boxes


class TileSchedule:
    """Hands out a fixed tile list in frame-sized portions of at most ``max_per_frame`` tiles.

    ``take`` returns the next portion (``limit``: fewer this frame); ``cycle_done`` turns true when
    the portion just taken finished a pass over all tiles (the next ``take`` starts the next pass)."""

    def __init__(self, tiles: Sequence[Box], max_per_frame: int) -> None:
        if max_per_frame < 1:
            raise ValueError(f"max tiles per frame must be >= 1, got {max_per_frame}")
        if not tiles:
            raise ValueError("a tile schedule needs at least one tile")
        self.tiles = list(tiles)
        self.max_per_frame = max_per_frame
        self.position = 0
        self.cycle_done = False

    def take(self, limit: int | None = None) -> List[Box]:
        """The next at most ``limit`` (default ``max_per_frame``) tiles of the current pass."""
        if limit is not None and not 1 <= limit <= self.max_per_frame:
            raise ValueError(f"a portion takes 1..{self.max_per_frame} tiles, not {limit}")
        start = 0 if self.cycle_done else self.position
        portion = self.tiles[start : start + (limit or self.max_per_frame)]
        self.position = start + len(portion)
        self.cycle_done = self.position >= len(self.tiles)
        return portion

    @property
    def frames_per_cycle(self) -> int:
        return math.ceil(len(self.tiles) / self.max_per_frame)
