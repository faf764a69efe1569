"""RGB frames from a video file, a folder of images or an ``.npz`` array: the one frame reader.

``ostrack-track`` iterates it; the ROS ``video_publisher`` reads it frame by frame, rewinding to loop.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import List, Optional, Union

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FPS = 30.0  # folders, arrays and videos that carry no rate


class FrameSourceError(OSError):
    """The path cannot be read as frames, or one frame cannot be decoded; str() says which and why."""


def natural_key(path: Path) -> list:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class FrameSource:
    """RGB uint8 frames of a video file, of the naturally sorted images in a folder, or of the
    ``frames`` (N, H, W, 3) array in an ``.npz`` file (the layout of the reference sequence)."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        self.path = Path(path).expanduser()
        self.images: Optional[List[Path]] = None
        self._array: Optional[np.ndarray] = None
        self._capture: Optional[cv2.VideoCapture] = None
        self._index = 0
        if self.path.is_dir():
            self.images = sorted(
                (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key
            )
            if not self.images:
                raise FrameSourceError(f"folder '{self.path}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
        elif not self.path.is_file():
            raise FrameSourceError(f"no such video file or image folder: '{self.path}' does not exist")
        elif self.path.suffix.lower() == ".npz":
            self._array = _npz_frames(self.path)
        else:
            self._open_video()

    def _open_video(self) -> None:
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise FrameSourceError(f"cannot open video '{self.path}' (not a video OpenCV can decode)")

    @property
    def native_fps(self) -> float:
        """The video's own frame rate; 30 for folders, arrays and files without one."""
        if self._capture is not None:
            fps = self._capture.get(cv2.CAP_PROP_FPS)
            if np.isfinite(fps) and 0 < fps < 1000:
                return float(fps)
        return DEFAULT_FPS

    def __len__(self) -> int:
        """Number of frames (a video's container count, which some codecs only estimate)."""
        if self.images is not None:
            return len(self.images)
        if self._array is not None:
            return len(self._array)
        return max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)

    def read(self) -> Optional[np.ndarray]:
        """The next RGB frame; None at the end. FrameSourceError for one undecodable image (the
        next call goes on with the following one)."""
        if self._capture is not None:
            ok, bgr = self._capture.read()
            return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None
        count = len(self._array) if self._array is not None else len(self.images)
        if self._index >= count:
            return None
        index, self._index = self._index, self._index + 1
        if self._array is not None:
            return self._array[index]
        bgr = cv2.imread(str(self.images[index]), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FrameSourceError(f"cannot decode image '{self.images[index]}'")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def rewind(self) -> None:
        """Start again from the first frame (for looping)."""
        self._index = 0
        if self._capture is not None:
            self._capture.release()
            self._open_video()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()

    def __iter__(self) -> Iterator[np.ndarray]:
        """Every frame from the first; an undecodable image ends the iteration with its error."""
        self.rewind()
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _npz_frames(path: Path) -> np.ndarray:
    """The ``frames`` array of an .npz file, checked to be (N, H, W, 3) uint8 RGB."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "frames" not in data.files:
                raise FrameSourceError(f"'{path}' has no 'frames' array (it holds {', '.join(data.files)})")
            frames = data["frames"]
    except (ValueError, OSError) as exc:
        if isinstance(exc, FrameSourceError):
            raise
        raise FrameSourceError(f"cannot read '{path}' as .npz: {exc}") from None
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
        raise FrameSourceError(
            f"'{path}': 'frames' must be a non-empty (N, H, W, 3) uint8 array, "
            f"got {frames.shape} {frames.dtype}"
        )
    return frames
