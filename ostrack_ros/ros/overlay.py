"""Debug overlay: the frame with the box, score, state, search region and CE kept-token map. ROS-free.

The frame is downscaled first and everything is drawn at the output scale, so a small debug image
costs little even for large camera frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

Box = Tuple[float, float, float, float]
STATE_COLOURS = {"TRACKING": (40, 220, 40), "LOST": (230, 60, 40), "IDLE": (200, 200, 200)}
SEARCH_COLOUR = (250, 200, 40)
REMOVED_SHADE = 0.45  # brightness kept for search tokens removed by candidate elimination


@dataclass(frozen=True)
class OverlayOptions:
    """What to draw and at which scale (1 = input size)."""

    scale: float = 1.0
    draw_search_region: bool = True
    draw_kept_tokens: bool = True


@dataclass(frozen=True)
class TargetMark:
    """Another target drawn on the overlay: its box and a small ``id score`` label."""

    id: str
    state: str
    box: Box
    score: float


def draw_overlay(
    rgb: np.ndarray,
    state: str,
    box: Optional[Box] = None,
    score: Optional[float] = None,
    search_box: Optional[Box] = None,
    kept_mask: Optional[np.ndarray] = None,
    options: OverlayOptions = OverlayOptions(),
    label: str = "",
    others: Sequence[TargetMark] = (),
    searched: Sequence[Box] = (),
) -> np.ndarray:
    """A new RGB image (input untouched) with the tracker's view of this frame drawn on it: the
    (primary) target's box, search region and kept tokens, the other crops ``searched`` (re-detection
    tiles while lost), the state line (prefixed by ``label``), and the boxes of ``others`` labelled
    with their ids."""
    s = options.scale
    if s != 1.0:
        size = (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s)))
        canvas = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    else:
        canvas = rgb.copy()
    if search_box is not None:
        scaled_search = _scaled(search_box, s)
        if options.draw_kept_tokens and kept_mask is not None:
            _shade_removed_tokens(canvas, scaled_search, kept_mask)
        if options.draw_search_region:
            _rectangle(canvas, scaled_search, SEARCH_COLOUR, 1)
    if options.draw_search_region:
        for crop in searched:
            _rectangle(canvas, _scaled(crop, s), SEARCH_COLOUR, 1)
    colour = STATE_COLOURS.get(state, (255, 255, 255))
    font_scale = max(0.4, min(1.0, canvas.shape[0] / 600))
    for mark in others:
        other_box = _scaled(mark.box, s)
        other_colour = STATE_COLOURS.get(mark.state, (255, 255, 255))
        _rectangle(canvas, other_box, other_colour, 2)
        corner = (int(round(other_box[0])), max(int(round(other_box[1])) - 4, 10))
        _text(canvas, _labelled(mark.id, mark.score), corner, 0.8 * font_scale, other_colour)
    if box is not None:
        _rectangle(canvas, _scaled(box, s), colour, 2)
    text = _labelled(state, score)
    _text(canvas, f"{label}: {text}" if label else text, (6, int(22 * font_scale) + 6), font_scale, colour)
    return canvas


def _labelled(name: str, score: Optional[float]) -> str:
    """``name`` with its score; without one when there is none (NaN: a lost frame that ran only
    re-detection tiles scores no box of its own)."""
    return name if score is None or not math.isfinite(score) else f"{name} {score:.2f}"


def _text(canvas: np.ndarray, text: str, origin: Tuple[int, int], font_scale: float, colour) -> None:
    """Coloured text with a black outline, readable on any background."""
    thickness = 1 if canvas.shape[0] < 400 else 2
    for ink, width in (((0, 0, 0), thickness + 2), (colour, thickness)):
        cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, ink, width, cv2.LINE_AA)


def _scaled(box: Sequence[float], s: float) -> Box:
    return (box[0] * s, box[1] * s, box[2] * s, box[3] * s)


def _rectangle(canvas: np.ndarray, box: Box, colour, thickness: int) -> None:
    x, y, w, h = box
    cv2.rectangle(
        canvas,
        (int(round(x)), int(round(y))),
        (int(round(x + w)), int(round(y + h))),
        colour,
        thickness,
        cv2.LINE_AA,
    )


def _shade_removed_tokens(canvas: np.ndarray, search_box: Box, kept_mask: np.ndarray) -> None:
    """Darken the visible pixels under search tokens that candidate elimination removed."""
    x, y, w, h = search_box
    if w <= 0 or h <= 0:
        return
    x1, y1 = max(int(np.floor(x)), 0), max(int(np.floor(y)), 0)
    x2, y2 = min(int(np.ceil(x + w)), canvas.shape[1]), min(int(np.ceil(y + h)), canvas.shape[0])
    if x2 <= x1 or y2 <= y1:
        return
    removed = (~np.asarray(kept_mask, bool)).astype(np.uint8)
    rows, cols = removed.shape
    # Token row/column of each visible pixel centre (nearest-neighbour lookup into the grid).
    row_of = np.clip(((np.arange(y1, y2) + 0.5 - y) * rows / h).astype(np.intp), 0, rows - 1)
    col_of = np.clip(((np.arange(x1, x2) + 0.5 - x) * cols / w).astype(np.intp), 0, cols - 1)
    pixel_removed = removed.take(row_of, axis=0).take(col_of, axis=1)
    if pixel_removed.any():
        region = canvas[y1:y2, x1:x2]
        cv2.copyTo(cv2.convertScaleAbs(region, alpha=REMOVED_SHADE), pixel_removed, region)


__all__ = ["OverlayOptions", "TargetMark", "draw_overlay"]
