"""The 3-D outputs through the node: depth of a plane at a known distance (16UC1 mm and 32FC1 m) gives
the target's point within 1 % of the pinhole truth for the tracked box, in the image's optical frame,
with Detection3D(+Array) and the bearing; camera_info alone gives the bearing; a hole in the depth or a
frame without depth gives no point (and an empty Detection3DArray), never a wrong one."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from conftest import require_ros

require_ros()

from geometry_msgs.msg import PointStamped, Vector3Stamped  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image  # noqa: E402
from vision_msgs.msg import Detection3D, Detection3DArray  # noqa: E402

from ros_harness import (  # noqa: E402
    FRAME_ID,
    KEEP_PUBLISHING,
    MS,
    Harness,
    header,
    stamp_ns,
    tiny_sequence,
    tiny_tracker,
)

pytestmark = pytest.mark.ros
FX, FY, CX, CY = 300.0, 310.0, 160.0, 120.0  # the tiny sequence's frames are 320x240
DISTANCE_M = 2.5


@pytest.fixture(scope="module")
def seq():
    return tiny_sequence()


class Spatial:
    """A Harness for a node with ``spatial_input`` plus the probe's depth / camera_info publishers and
    recorders of the 3-D outputs."""

    def __init__(self, mode: str, max_targets: int = 1) -> None:
        params = dict(KEEP_PUBLISHING, spatial_input=mode, max_targets=max_targets)
        self.h = Harness(tiny_tracker(), params, name=f"spatial_{mode}_{max_targets}")
        probe, qos = self.h.probe, 10
        self.depth_pub = probe.create_publisher(Image, "depth", qos)
        self.info_pub = probe.create_publisher(CameraInfo, "camera_info", qos)
        self.lock = threading.Lock()
        self.received = {name: [] for name in ("point", "bearing", "detection", "array")}
        for name, msg_type, topic in (
            ("point", PointStamped, "target_point"),
            ("bearing", Vector3Stamped, "target_bearing"),
            ("detection", Detection3D, "detection_3d"),
            ("array", Detection3DArray, "detections_3d"),
        ):
            probe.create_subscription(msg_type, topic, self._keep(name), 50)
        self.h.wait_for(lambda: self.info_pub.get_subscription_count() > 0, what="camera_info subscription")

    def _keep(self, name):
        def callback(msg):
            with self.lock:
                self.received[name].append(msg)

        return callback

    def at(self, name: str, ns: int):
        with self.lock:
            return [m for m in self.received[name] if stamp_ns(m.header) == ns]

    def send_info(self, ns: int) -> None:
        info = CameraInfo(header=header(ns), width=320, height=240)
        info.k = [FX, 0.0, CX, 0.0, FY, CY, 0.0, 0.0, 1.0]
        self.info_pub.publish(info)

    def send_depth(self, depth: np.ndarray, ns: int) -> None:
        encoding = "16UC1" if depth.dtype == np.uint16 else "32FC1"
        msg = Image(
            header=header(ns),
            height=depth.shape[0],
            width=depth.shape[1],
            encoding=encoding,
            step=depth.shape[1] * depth.itemsize,
        )
        msg.data = depth.tobytes()
        self.depth_pub.publish(msg)

    def start_tracking(self, seq) -> None:
        frames, box = seq["frames"], tuple(float(v) for v in seq["init_box"])
        self.h.track_frame(frames[0], 100 * MS)
        self.h.init_and_wait(lambda: self.h.send_init(box, 100 * MS))

    def close(self) -> None:
        self.h.close()


@pytest.fixture
def spatial(ros, request):
    harness = Spatial(*request.param) if isinstance(request.param, tuple) else Spatial(request.param)
    yield harness
    harness.close()


def centre_of_detection_at(h: Harness, ns: int):
    h.wait_for(lambda: any(stamp_ns(d.header) == ns for d in h.detections), what="the Detection2D")
    det = next(d for d in h.detections if stamp_ns(d.header) == ns)
    return det.bbox.center.position.x, det.bbox.center.position.y, det


@pytest.mark.parametrize("spatial", ["depth"], indirect=True)
@pytest.mark.parametrize(
    "depth",
    [np.full((240, 320), round(DISTANCE_M * 1000), np.uint16), np.full((240, 320), DISTANCE_M, np.float32)],
    ids=["16UC1_mm", "32FC1_m"],
)
def test_a_plane_at_a_known_distance_gives_the_point_within_one_percent(spatial, seq, depth):
    spatial.start_tracking(seq)
    for i in range(1, 4):
        ns = (100 + 33 * i) * MS
        spatial.send_info(ns)
        spatial.send_depth(depth, ns)  # the depth reaches the node before its frame
        spatial.h.track_frame(seq["frames"][i], ns)
        u, v, det2d = centre_of_detection_at(spatial.h, ns)
        spatial.h.wait_for(lambda ns=ns: spatial.at("point", ns), what=f"target_point at {ns}")
        point = spatial.at("point", ns)[0]
        truth = ((u - CX) / FX * DISTANCE_M, (v - CY) / FY * DISTANCE_M, DISTANCE_M)
        got = (point.point.x, point.point.y, point.point.z)
        assert all(abs(g - t) <= 0.01 * max(abs(t), 1e-3) for g, t in zip(got, truth)), (got, truth)
        assert point.header.frame_id == FRAME_ID  # the image's optical frame

        det3d = spatial.at("detection", ns)[0]
        assert det3d.id == det2d.id and det3d.header.frame_id == FRAME_ID
        assert det3d.bbox.center.position.z == pytest.approx(point.point.z)
        assert det3d.bbox.size.x == pytest.approx(det2d.bbox.size_x * DISTANCE_M / FX, rel=0.01)
        assert det3d.results[0].hypothesis.score == 1.0  # every depth pixel in the box centre valid
        assert [d.id for d in spatial.at("array", ns)[0].detections] == [det2d.id]
        ray = spatial.at("bearing", ns)[0].vector
        norm = math.sqrt(got[0] ** 2 + got[1] ** 2 + got[2] ** 2)
        assert (ray.x, ray.y, ray.z) == pytest.approx(tuple(c / norm for c in got), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("spatial", ["depth"], indirect=True)
def test_holes_or_no_depth_give_no_point_and_an_empty_array(spatial, seq):
    spatial.start_tracking(seq)
    hole = np.zeros((240, 320), np.uint16)  # the sensor saw nothing (too near, too far, absorbing)
    ns = 200 * MS
    spatial.send_info(ns)
    spatial.send_depth(hole, ns)
    spatial.h.track_frame(seq["frames"][1], ns)
    spatial.h.wait_for(lambda: spatial.at("array", ns), what="detections_3d")
    assert spatial.at("array", ns)[0].detections == [] and spatial.at("point", ns) == []
    assert spatial.at("bearing", ns)  # the direction is still known from camera_info

    ns = 300 * MS  # no depth at all for this frame (nor within depth_sync_slop of it)
    spatial.h.track_frame(seq["frames"][2], ns)
    spatial.h.wait_for(lambda: spatial.at("array", ns), what="detections_3d")
    assert spatial.at("array", ns)[0].detections == [] and spatial.at("point", ns) == []
    assert spatial.h.node.state.value == "TRACKING"  # tracking itself never waits for depth


@pytest.mark.parametrize("spatial", ["camera_info"], indirect=True)
def test_camera_info_alone_gives_the_bearing_of_the_box_centre(spatial, seq):
    spatial.send_info(0)
    spatial.h.wait_for(lambda: spatial.h.node._spatial._intrinsics is not None, what="camera_info")
    spatial.start_tracking(seq)
    ns = 150 * MS
    spatial.h.track_frame(seq["frames"][1], ns)
    u, v, _ = centre_of_detection_at(spatial.h, ns)
    spatial.h.wait_for(lambda: spatial.at("bearing", ns), what="target_bearing")
    ray = spatial.at("bearing", ns)[0]
    x, y = (u - CX) / FX, (v - CY) / FY
    norm = math.sqrt(x * x + y * y + 1.0)
    assert (ray.vector.x, ray.vector.y, ray.vector.z) == pytest.approx((x / norm, y / norm, 1 / norm))
    assert ray.header.frame_id == FRAME_ID
    assert spatial.h.node.count_publishers("target_point") == 0  # no depth, no point topic


@pytest.mark.parametrize("spatial", [("depth", 2)], indirect=True)
def test_several_targets_each_get_a_3d_detection_and_the_point_follows_the_primary(spatial, seq):
    frames = seq["frames"]
    spatial.h.track_frame(frames[0], 100 * MS)
    spatial.h.send_init(tuple(float(v) for v in seq["init_box"]), 100 * MS, "first")
    spatial.h.send_init((20.0, 20.0, 60.0, 60.0), 100 * MS, "second")
    spatial.h.wait_for(
        lambda: spatial.h.states and spatial.h.state_values()["targets"] == "first=TRACKING,second=TRACKING",
        what="two targets",
    )
    ns = 133 * MS
    spatial.send_info(ns)
    spatial.send_depth(np.full((240, 320), DISTANCE_M, np.float32), ns)
    spatial.h.track_frame(frames[1], ns)
    u, v, det2d = centre_of_detection_at(spatial.h, ns)
    assert det2d.id == "first"
    spatial.h.wait_for(lambda: spatial.at("array", ns) and spatial.at("point", ns), what="3-D outputs")
    assert [d.id for d in spatial.at("array", ns)[0].detections] == ["first", "second"]
    point = spatial.at("point", ns)[0].point
    assert (point.x, point.y) == pytest.approx(
        ((u - CX) / FX * DISTANCE_M, (v - CY) / FY * DISTANCE_M), rel=0.01
    )
    assert [d.id for d in spatial.at("detection", ns)] == ["first"]
