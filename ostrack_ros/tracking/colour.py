"""The marked target's colour: hue-saturation histograms that re-detection checks candidates against.

The network scores a look-alike (another object of similar shape and texture) as high as the
target; its colours often differ. Hue and saturation, not brightness, so a change of exposure
changes little. A camera's white balance, though, shifts every hue: the target that comes back
after the robot turned may be seen through another colour cast. So while a frame's grey-world
balance (the per-channel gains that make its channel means equal) is within ``CAST`` of the marked
frame's, colours are compared as seen; beyond it, after balancing both frames. (Always taking the
better of the two let more look-alikes through: the gains also move with the scene's content.) A
grey frame (or a grey target) puts every pixel in the zero-saturation bins, where every candidate
matches and the check passes everything.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import cv2
import numpy as np

from .result import Box

HUE_BINS, SATURATION_BINS = 16, 8  # coarse: a few pixels of background or noise move little
CAST = 1.1  # a channel's gain changed by more than 10 % relative to the others: a colour cast
MAX_GAIN = 4.0  # grey-world gains are clamped: a frame of one colour has a channel near zero


def grey_world_gains(image: np.ndarray) -> np.ndarray:
    """Per-channel gains that give ``image``'s channels the same mean (grey-world white balance)."""
    means = np.array(cv2.mean(image)[:3], np.float32)
    return np.clip(means.mean() / np.maximum(means, 1.0), 1.0 / MAX_GAIN, MAX_GAIN)


def histogram(image: np.ndarray, box: Box, gains: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """The L2-normalised hue-saturation histogram of ``box``'s pixels in the RGB ``image``, its
    channels scaled by ``gains`` first; None when less than 2x2 pixels of the box lie in the image."""
    x, y, w, h = box
    height, width = image.shape[:2]
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = image[y0:y1, x0:x1].astype(np.float32) * np.float32(1.0 / 255.0)
    if gains is not None:
        patch = np.minimum(patch * gains, 1.0)
    hsv = cv2.cvtColor(patch, cv2.COLOR_RGB2HSV)  # float: hue in [0, 360), saturation in [0, 1]
    hist = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SATURATION_BINS], [0, 360, 0, 1])
    return cv2.normalize(hist, hist).flatten()


def correlation(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> float:
    """Histogram correlation in [-1, 1]; 1.0 (no evidence of a difference) when either is missing."""
    if a is None or b is None:
        return 1.0
    value = cv2.compareHist(a, b, cv2.HISTCMP_CORREL)
    return value if math.isfinite(value) else 1.0


class ColourModel:
    """The target's histograms, as seen and balanced, taken from the frame it was marked on (the
    one appearance a person vouched for; later frames may already show a look-alike)."""

    def __init__(self, image: np.ndarray, box: Box) -> None:
        self.gains = grey_world_gains(image)
        self.seen = histogram(image, box)
        self.balanced = histogram(image, box, self.gains)

    def matcher(self, image: np.ndarray) -> Callable[[Box], float]:
        """``match(box)``: how well ``box`` in ``image`` has the target's colours, in [-1, 1] (the
        frame's balance is computed once)."""
        gains = grey_world_gains(image)
        if float(np.abs(np.log(gains / self.gains)).max()) <= math.log(CAST):
            return lambda box: correlation(self.seen, histogram(image, box))
        return lambda box: correlation(self.balanced, histogram(image, box, gains))


__all__ = ["ColourModel", "correlation", "grey_world_gains", "histogram"]
