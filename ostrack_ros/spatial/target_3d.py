"""Pinhole back-projection of a box centre and a robust depth statistic inside the box."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

Box = Tuple[float, float, float, float]
Vector = Tuple[float, float, float]
# sensor_msgs/Image depth encodings (REP-118): 16UC1 is millimetres, 32FC1 metres.
DEPTH_SCALE_TO_M = {"16UC1": 1e-3, "mono16": 1e-3, "32FC1": 1.0}


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of the (rectified) image the boxes are in, in pixels."""

    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_k(cls, k: Sequence[float]) -> "CameraIntrinsics":
        """From a row-major 3x3 camera matrix (``CameraInfo.k``); ValueError when it is unusable."""
        values = [float(v) for v in k]
        if len(values) != 9:
            raise ValueError(f"camera matrix needs 9 values, got {len(values)}")
        fx, fy, cx, cy = values[0], values[4], values[2], values[5]
        if not all(math.isfinite(v) for v in values) or fx <= 0 or fy <= 0:
            raise ValueError(
                f"camera matrix is not a calibrated pinhole: fx={fx}, fy={fy} (uncalibrated camera?)"
            )
        return cls(fx, fy, cx, cy)

    def scaled(self, sx: float, sy: float) -> "CameraIntrinsics":
        """The intrinsics of the same camera in an image resized by (sx, sy) (as image_geometry bins)."""
        return CameraIntrinsics(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy)


@dataclass(frozen=True)
class DepthEstimate:
    """Range along the optical axis (m) inside a box and the share of its pixels that had a valid depth."""

    z: float
    valid_fraction: float


def bearing(u: float, v: float, intrinsics: CameraIntrinsics) -> Vector:
    """Unit ray through pixel (u, v) in the optical frame: what a gimbal can servo on without depth."""
    x = (u - intrinsics.cx) / intrinsics.fx
    y = (v - intrinsics.cy) / intrinsics.fy
    norm = math.sqrt(x * x + y * y + 1.0)
    return (x / norm, y / norm, 1.0 / norm)


def box_depth(
    depth: np.ndarray,
    box: Box,
    scale_to_m: float,
    central_fraction: float = 0.5,
    min_valid_fraction: float = 0.05,
) -> Optional[DepthEstimate]:
    """Median depth over the central ``central_fraction`` of ``box`` (per side), zeros/NaN/inf ignored.

    The centre of a tracking box is mostly target; its border is often background, which a median
    over the central region resists. None when fewer than ``min_valid_fraction`` of the pixels there
    carry a depth (a hole, a target too close or too far for the sensor).
    """
    if depth.ndim != 2:
        raise ValueError(f"depth image must be single-channel (H, W), got shape {depth.shape}")
    x, y, w, h = (float(v) for v in box)
    cx, cy = x + w / 2.0, y + h / 2.0
    half_w, half_h = max(w * central_fraction / 2.0, 0.5), max(h * central_fraction / 2.0, 0.5)
    height, width = depth.shape
    x0, x1 = max(int(math.floor(cx - half_w)), 0), min(int(math.ceil(cx + half_w)), width)
    y0, y1 = max(int(math.floor(cy - half_h)), 0), min(int(math.ceil(cy + half_h)), height)
    if x1 <= x0 or y1 <= y0:
        return None
    region = depth[y0:y1, x0:x1].astype(np.float64) * scale_to_m
    valid = region[np.isfinite(region) & (region > 0)]
    fraction = valid.size / region.size
    if fraction < min_valid_fraction:
        return None
    return DepthEstimate(float(np.median(valid)), float(fraction))


def target_point(box: Box, intrinsics: CameraIntrinsics, z: float) -> Vector:
    """The 3-D point (m, optical frame) at range ``z`` along the optical axis behind the box centre."""
    x, y, w, h = (float(v) for v in box)
    u, v = x + w / 2.0, y + h / 2.0
    return ((u - intrinsics.cx) / intrinsics.fx * z, (v - intrinsics.cy) / intrinsics.fy * z, z)
