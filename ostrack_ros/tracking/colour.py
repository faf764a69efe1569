"""The marked target's colour: a hue-saturation histogram that re-detection checks candidates against.

The network scores a look-alike (another object of similar shape and texture) as high as the
target; its colours often differ. Hue and saturation, not brightness, so a change of light or
exposure changes little; a grey frame (or a grey target) puts every pixel in the zero-saturation
bins, where every candidate matches and the check passes everything.
"""

from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np

from .result import Box

HUE_BINS, SATURATION_BINS = 16, 8  # coarse: a few pixels of background or noise move little


def histogram(image: np.ndarray, box: Box) -> Optional[np.ndarray]:
    """The L2-normalised hue-saturation histogram of ``box``'s pixels in the RGB ``image``; None
    when less than 2x2 pixels of the box lie in the image."""
    x, y, w, h = box
    height, width = image.shape[:2]
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SATURATION_BINS], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


class ColourModel:
    """The target's histogram, taken from the frame it was marked on (the one appearance a person
    vouched for; later frames may already show a look-alike)."""

    def __init__(self, image: np.ndarray, box: Box) -> None:
        self.histogram = histogram(image, box)

    def match(self, image: np.ndarray, box: Box) -> float:
        """Correlation of ``box``'s histogram in ``image`` with the target's, in [-1, 1]; 1.0 (no
        evidence against it) when either box has too few pixels to judge."""
        candidate = histogram(image, box)
        if self.histogram is None or candidate is None:
            return 1.0
        value = cv2.compareHist(self.histogram, candidate, cv2.HISTCMP_CORREL)
        return value if math.isfinite(value) else 1.0


__all__ = ["ColourModel", "histogram"]
