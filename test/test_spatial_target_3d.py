"""3-D target from depth and intrinsics against synthetic scenes of known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ostrack_ros.spatial import CameraIntrinsics, bearing, box_depth, target_point
from ostrack_ros.spatial.target_3d import DEPTH_SCALE_TO_M

K = [500.0, 0.0, 320.0, 0.0, 520.0, 240.0, 0.0, 0.0, 1.0]


def _plane_depth_mm(distance_m: float, shape=(480, 640)) -> np.ndarray:
    return np.full(shape, round(distance_m * 1000), np.uint16)


def test_a_plane_at_known_distance_gives_the_point_within_one_percent():
    intr = CameraIntrinsics.from_k(K)
    depth = _plane_depth_mm(2.5)
    box = (400.0, 100.0, 60.0, 40.0)  # centre (430, 120)
    est = box_depth(depth, box, DEPTH_SCALE_TO_M["16UC1"])
    assert est is not None and est.valid_fraction == 1.0
    point = target_point(box, intr, est.z)
    truth = ((430 - 320) / 500 * 2.5, (120 - 240) / 520 * 2.5, 2.5)
    assert all(abs(p - t) <= 0.01 * abs(t) for p, t in zip(point, truth))


def test_holes_and_background_at_the_border_do_not_move_the_median():
    depth = np.full((100, 100), 4.0, np.float32)  # background 4 m
    depth[30:70, 30:70] = 1.2  # the target fills the box's centre
    depth[45:50, 45:50] = np.nan  # a hole
    depth[52:55, 40:60] = 0.0  # no return
    est = box_depth(depth, (25.0, 25.0, 50.0, 50.0), DEPTH_SCALE_TO_M["32FC1"])
    assert est.z == pytest.approx(1.2) and 0.5 < est.valid_fraction < 1.0


def test_no_valid_depth_gives_none_and_the_bearing_still_points_at_the_box():
    intr = CameraIntrinsics.from_k(K)
    assert box_depth(np.zeros((480, 640), np.uint16), (10, 10, 30, 30), 1e-3) is None
    ray = bearing(320.0, 240.0, intr)
    assert ray == pytest.approx((0.0, 0.0, 1.0))
    ray = bearing(820.0, 240.0, intr)  # one focal length right: 45 degrees
    assert math.isclose(math.hypot(*ray), 1.0) and ray[0] == pytest.approx(ray[2])


def test_uncalibrated_camera_info_is_refused():
    with pytest.raises(ValueError, match="uncalibrated"):
        CameraIntrinsics.from_k([0.0] * 9)
    with pytest.raises(ValueError, match="9 values"):
        CameraIntrinsics.from_k([1.0] * 4)
