"""RGB frames from a video file or a folder of images, for the command-line tracker."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def natural_key(path: Path) -> list:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class FrameSource:
    """Iterates RGB uint8 frames of a video file or of the sorted images in a folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        self.images: list[Path] | None = None
        if self.path.is_dir():
            self.images = sorted((p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                                 key=natural_key)
            if not self.images:
                raise FileNotFoundError(f"'{self.path}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
        elif not self.path.is_file():
            raise FileNotFoundError(f"video or image folder '{self.path}' does not exist")

    def __len__(self) -> int:
        """Number of frames (a video's container count, which some codecs only estimate)."""
        if self.images is not None:
            return len(self.images)
        capture = cv2.VideoCapture(str(self.path))
        try:
            return max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        finally:
            capture.release()

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.images is not None:
            for image_path in self.images:
                bgr = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
                if bgr is None:
                    raise OSError(f"cannot read image '{image_path}'")
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            return
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise OSError(f"cannot open video '{self.path}' (not a video OpenCV can decode)")
        try:
            while True:
                ok, bgr = capture.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()
