"""Depth images and camera_info as the arrays and intrinsics of ``ostrack_ros.spatial``, with one-line
errors (``BadImageError``) instead of numpy tracebacks for malformed messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from ..spatial import CameraIntrinsics
from ..spatial.target_3d import DEPTH_SCALE_TO_M
from .conversions import MAX_IMAGE_SIDE, BadImageError

#: numpy element type of each supported depth encoding (little-endian; is_bigendian swaps it)
DEPTH_DTYPES = {"16UC1": np.dtype("<u2"), "mono16": np.dtype("<u2"), "32FC1": np.dtype("<f4")}


@dataclass(frozen=True)
class Intrinsics:
    """A camera_info's pinhole intrinsics with the image size and frame they belong to."""

    camera: CameraIntrinsics
    width: int
    height: int
    frame_id: str

    def for_image(self, height: int, width: int) -> CameraIntrinsics:
        """The intrinsics for an image of this size (a resized stream of the same camera)."""
        if (width, height) == (self.width, self.height) or not self.width or not self.height:
            return self.camera
        return self.camera.scaled(width / self.width, height / self.height)


@dataclass(frozen=True)
class DepthFrame:
    """One synchronised depth image (metres = values * scale_to_m) and its intrinsics."""

    depth: np.ndarray
    scale_to_m: float
    intrinsics: Intrinsics
    frame_id: str


def intrinsics_from_info(msg: CameraInfo) -> Intrinsics:
    """Intrinsics of a CameraInfo; ValueError (one line) for an uncalibrated or malformed one."""
    return Intrinsics(CameraIntrinsics.from_k(msg.k), int(msg.width), int(msg.height), msg.header.frame_id)


def depth_to_array(msg: Image) -> Tuple[np.ndarray, float]:
    """A 16UC1 (mm) or 32FC1 (m) depth image as an (H, W) array view and its scale to metres."""
    dtype = DEPTH_DTYPES.get(msg.encoding)
    if dtype is None:
        raise BadImageError(
            f"unsupported depth encoding '{msg.encoding}' (supported: {', '.join(DEPTH_DTYPES)})",
            "depth_encoding",
        )
    if msg.width == 0 or msg.height == 0 or max(msg.width, msg.height) > MAX_IMAGE_SIDE:
        raise BadImageError(f"depth image size {msg.width}x{msg.height} is unusable", "depth_size")
    row_bytes = msg.width * dtype.itemsize
    if msg.step < row_bytes or len(msg.data) != msg.step * msg.height:
        raise BadImageError(
            f"depth image step {msg.step} / {len(msg.data)} bytes do not fit "
            f"{msg.width}x{msg.height} {msg.encoding}",
            "depth_data",
        )
    if msg.is_bigendian:
        dtype = dtype.newbyteorder(">")
    rows = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)[:, :row_bytes]
    return rows.view(dtype).reshape(msg.height, msg.width), DEPTH_SCALE_TO_M[msg.encoding]


__all__ = ["DepthFrame", "Intrinsics", "intrinsics_from_info", "depth_to_array", "DEPTH_DTYPES"]
