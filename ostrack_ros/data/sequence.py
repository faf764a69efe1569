"""One annotated video: frame paths, per-frame boxes and visibility, and RGB frame loading."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np


@dataclass
class Sequence:
    """A tracking sequence: ``boxes`` are (N, 4) float64 x, y, w, h in pixels; ``visible`` is (N,) bool."""

    name: str
    frames: List[Path]
    boxes: np.ndarray
    visible: np.ndarray
    attributes: Dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.visible = np.asarray(self.visible, dtype=bool).reshape(-1)
        if len(self.frames) != len(self.boxes) or len(self.boxes) != len(self.visible):
            raise ValueError(
                f"sequence '{self.name}': {len(self.frames)} frames, {len(self.boxes)} boxes "
                f"and {len(self.visible)} visibility flags must match"
            )

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as an RGB uint8 (H, W, 3) array."""
        return load_rgb(self.frames[index])


def load_rgb(path: Path) -> np.ndarray:
    """Read an image file as RGB uint8 (the official pipeline reads with OpenCV and converts BGR->RGB)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot read image '{path}'")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def valid_boxes(boxes: np.ndarray) -> np.ndarray:
    """(N,) bool: finite boxes with positive width and height."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
