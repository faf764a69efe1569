"""Official OSTrack crop geometry: ``sample_target``, ``map_box_back`` and ``clip_box``.

Every rounding step follows the official code bit for bit (Python ``round`` half-to-even for the
crop origin, the ``x2_pad = max(x2 - W + 1, 0)`` padding quirk, OpenCV zero padding and bilinear
resize on uint8), because the tracker's crops and boxes must match the reference exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from .result import Box


@dataclass(frozen=True)
class Crop:
    """A square crop around a box, resized to the network input size."""

    image: np.ndarray  # (output_size, output_size, 3) uint8
    resize_factor: float  # output_size / size
    x1: int  # crop origin in image pixels (may be negative)
    y1: int
    size: int  # crop side in image pixels before resizing
    pads: tuple[int, int, int, int]  # zero padding (x1_pad, x2_pad, y1_pad, y2_pad), official formula

    @property
    def box(self) -> Box:
        """The crop as an (x, y, w, h) image-pixel box."""
        return (float(self.x1), float(self.y1), float(self.size), float(self.size))


def crop_window(box: Sequence[float], factor: float) -> tuple[int, int, int]:
    """Crop origin (x1, y1) and side of the square of area ``factor**2 * w * h`` centred on ``box``."""
    x, y, w, h = box
    size = math.ceil(math.sqrt(w * h) * factor)
    if size < 1:
        raise ValueError(f"box {tuple(box)} is too small to crop")
    # Python round(): half to even, exactly as the official code (not floor(v + 0.5)).
    return round(x + 0.5 * w - size * 0.5), round(y + 0.5 * h - size * 0.5), size


def sample_target(image: np.ndarray, box: Sequence[float], factor: float, output_size: int) -> Crop:
    """Cut the official search/template crop of ``image`` around ``box`` (x, y, w, h) and resize it."""
    x1, y1, size = crop_window(box, factor)
    height, width = image.shape[:2]
    x2, y2 = x1 + size, y1 + size
    x1_pad, y1_pad = max(0, -x1), max(0, -y1)
    # Official quirk: one pixel more padding than needed on the right/bottom edge.
    x2_pad, y2_pad = max(x2 - width + 1, 0), max(y2 - height + 1, 0)
    patch = image[y1 + y1_pad : y2 - y2_pad, x1 + x1_pad : x2 - x2_pad]
    if patch.size == 0:
        # The window sees no image pixel: the official crop is all padding, i.e. zeros (OpenCV 4 padded
        # an empty patch; OpenCV 5 refuses one, so the result is built here for every version).
        resized = np.zeros((output_size, output_size) + image.shape[2:], image.dtype)
    else:
        padded = cv2.copyMakeBorder(patch, y1_pad, y2_pad, x1_pad, x2_pad, cv2.BORDER_CONSTANT, value=0)
        resized = cv2.resize(padded, (output_size, output_size), interpolation=cv2.INTER_LINEAR)
    return Crop(resized, output_size / size, x1, y1, size, (x1_pad, x2_pad, y1_pad, y2_pad))


def map_box_back(
    pred_box: Sequence[float], prev_box: Sequence[float], search_size: int, resize_factor: float
) -> Box:
    """Map a crop-pixel (cx, cy, w, h) prediction to an image (x, y, w, h) box.

    Like the official tracker this uses the previous state's centre and ``crop_sz / 2`` as the crop
    origin, not the rounded origin the crop was actually cut at.
    """
    cx_prev = prev_box[0] + 0.5 * prev_box[2]
    cy_prev = prev_box[1] + 0.5 * prev_box[3]
    cx, cy, w, h = pred_box
    half_side = 0.5 * search_size / resize_factor
    cx_real = cx + (cx_prev - half_side)
    cy_real = cy + (cy_prev - half_side)
    return (cx_real - 0.5 * w, cy_real - 0.5 * h, w, h)


def clip_box(box: Sequence[float], height: int, width: int, margin: float = 0) -> Box:
    """Official ``clip_box``: keep at least ``margin`` pixels of the box inside the image."""
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1 = min(max(0, x1), width - margin)
    x2 = min(max(margin, x2), width)
    y1 = min(max(0, y1), height - margin)
    y2 = min(max(margin, y2), height)
    return (x1, y1, max(margin, x2 - x1), max(margin, y2 - y1))


def box_in_crop(box: Sequence[float], resize_factor: float, crop_size: int) -> torch.Tensor:
    """(1, 4) float32 (x, y, w, h) of ``box`` inside the crop centred on it, normalised by the crop size.

    Official ``transform_bbox_to_crop`` for the template (GT_BOX candidate-elimination masks). The
    official code adds ``(box centre - crop centre) * resize_factor`` to the crop centre; the template
    crop is centred on this very box, so that offset is exactly zero and is left out (same floats).
    """
    b = torch.tensor([float(v) for v in box])  # float32, like the official torch.tensor(list)
    size = torch.tensor([float(crop_size), float(crop_size)])
    out_centre = (size - 1) / 2
    out_wh = b[2:4] * resize_factor
    return (torch.cat((out_centre - 0.5 * out_wh, out_wh)) / size[0]).view(1, 4)
