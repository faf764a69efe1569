"""Validation of what users hand the tracker: RGB frames, boxes and precisions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from .errors import TrackingError
from .result import Box

# int8 names the onnxruntime backend's quantized graph (torch.int8 marks it; see export/quantize.py)
PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "int8": torch.int8}
PRECISION_NAMES = ("auto", *PRECISIONS)  # what --precision and the node parameter accept


def as_dtype(precision: torch.dtype | str) -> torch.dtype:
    """``torch.float32/float16/bfloat16/int8`` or their names ``fp32/fp16/bf16/int8`` -> the torch dtype
    (``auto`` is resolved before, by ``resolve_precision``, which needs the device)."""
    if isinstance(precision, torch.dtype) and precision in PRECISIONS.values():
        return precision
    if isinstance(precision, str) and precision.lower() in PRECISIONS:
        return PRECISIONS[precision.lower()]
    raise TrackingError(f"unsupported precision {precision!r}: use one of {', '.join(PRECISION_NAMES)}")


def check_image(image: object) -> np.ndarray:
    """An (H, W, 3) uint8 RGB frame of at least 2x2 pixels, C-contiguous for OpenCV."""
    if not isinstance(image, np.ndarray):
        raise TrackingError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise TrackingError(f"image must be HxWx3 (RGB), got shape {image.shape}")
    if image.dtype != np.uint8:
        raise TrackingError(f"image must be uint8, got {image.dtype}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise TrackingError(f"image is too small to track in: {image.shape[1]}x{image.shape[0]} pixels")
    return np.ascontiguousarray(image)


def check_box(box: Sequence[float], image_shape: Sequence[int] | None = None) -> Box:
    """A finite (x, y, w, h) box with positive size that overlaps the image (when its shape is given)."""
    try:
        values = tuple(float(v) for v in box)
    except (TypeError, ValueError):
        raise TrackingError(f"box must be 4 numbers (x, y, w, h), got {box!r}") from None
    if len(values) != 4:
        raise TrackingError(f"box must be 4 numbers (x, y, w, h), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise TrackingError(f"box has non-finite values: {values}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise TrackingError(f"box must have positive width and height, got w={w}, h={h}")
    if image_shape is not None:
        height, width = image_shape[:2]
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise TrackingError(f"box {values} lies entirely outside the {width}x{height} image")
        if w > 2 * width or h > 2 * height:
            raise TrackingError(f"box {values} is more than twice the size of the {width}x{height} image")
    return values
