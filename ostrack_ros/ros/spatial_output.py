"""The tracker node's 3-D outputs (``spatial_input``): the target's bearing from ``camera_info``, and
with ``depth`` its point and a Detection3D from an aligned depth image matched to the tracked frame.

Depth and camera_info are paired by message_filters' ApproximateTimeSynchronizer (bounded queue,
``depth_sync_slop``); the pairs wait in a small stamp-keyed buffer where the worker finds the one of
the frame it tracked (within the same slop). Everything is in the image's optical frame (REP-103).
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from geometry_msgs.msg import Point, PointStamped, Vector3, Vector3Stamped
from rclpy.qos import HistoryPolicy, QoSProfile
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection3D, Detection3DArray, ObjectHypothesisWithPose

from ..spatial import bearing, box_depth, target_point
from .conversions import BadImageError
from .depth_input import DepthFrame, Intrinsics, depth_to_array, intrinsics_from_info
from .init_requests import FrameRingBuffer

#: synchronised depth frames kept for the worker (a few frame periods of a 30 Hz camera)
DEPTH_BUFFER_SIZE = 8
Box = Sequence[float]


class SpatialOutput:
    """Publishers, subscriptions and per-frame messages of the 3-D outputs for one ``spatial_input``."""

    def __init__(self, node: Any, params: Any, warn: Callable[[str, str], None]) -> None:
        self._node, self._warn = node, warn
        self.mode = params.spatial_input
        self._intrinsics: Optional[Intrinsics] = None  # the newest usable camera_info
        self._depth: FrameRingBuffer[DepthFrame] = FrameRingBuffer(DEPTH_BUFFER_SIZE)
        self.publishers: List[Any] = []
        if self.mode == "none":
            return
        self._bearing_pub = node.create_publisher(Vector3Stamped, "target_bearing", 10)
        self.publishers.append(self._bearing_pub)
        if self.mode == "depth":
            self._point_pub = node.create_publisher(PointStamped, "target_point", 10)
            self._detection_pub = node.create_publisher(Detection3D, "detection_3d", 10)
            self._detections_pub = node.create_publisher(Detection3DArray, "detections_3d", 10)
            self.publishers += [self._point_pub, self._detection_pub, self._detections_pub]

    def subscribe(self, image_qos: QoSProfile) -> List[Any]:
        """Create the input subscriptions (at activation); returns the rclpy subscriptions to destroy."""
        self._depth.clear()
        if self.mode == "camera_info":
            return [self._node.create_subscription(CameraInfo, "camera_info", self._on_info, image_qos)]
        if self.mode != "depth":
            return []
        import message_filters  # only a depth setup needs it (package.xml exec_depend)

        p = self._node.params
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=p.depth_sync_queue_size, reliability=image_qos.reliability
        )
        depth_sub = message_filters.Subscriber(self._node, Image, "depth", qos_profile=qos)
        info_sub = message_filters.Subscriber(self._node, CameraInfo, "camera_info", qos_profile=qos)
        self._sync = message_filters.ApproximateTimeSynchronizer(
            [depth_sub, info_sub], p.depth_sync_queue_size, p.depth_sync_slop
        )
        self._sync.registerCallback(self._on_depth)
        return [depth_sub.sub, info_sub.sub]

    # ------------------------------------------------------------------ callbacks (executor thread)
    def _on_info(self, msg: CameraInfo) -> Optional[Intrinsics]:
        try:
            self._intrinsics = intrinsics_from_info(msg)
        except ValueError as exc:
            self._warn("camera_info", f"camera_info ignored: {exc}")
            return None
        return self._intrinsics

    def _on_depth(self, depth_msg: Image, info_msg: CameraInfo) -> None:
        intrinsics = self._on_info(info_msg)
        if intrinsics is None:
            return
        try:
            depth, scale = depth_to_array(depth_msg)
        except BadImageError as exc:
            self._warn(f"depth:{exc.kind}", f"depth image dropped: {exc}")
            return
        stamp = depth_msg.header.stamp
        self._depth.add(
            int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec),
            DepthFrame(depth, scale, intrinsics, depth_msg.header.frame_id),
        )

    # ------------------------------------------------------------------ worker thread
    def messages(
        self,
        header: Header,
        stamp_ns: int,
        image_hw: Tuple[int, int],
        targets: Sequence[Tuple[str, Box]],
        params: Any,
    ) -> List[Tuple[Any, Any]]:
        """(publisher, message) pairs for one processed frame; ``targets`` are the (id, box) of the
        targets tracked in it, primary first. ``target_bearing`` and ``target_point`` follow the
        primary target; ``detections_3d`` holds every target with a 3-D point and goes out on every
        frame (empty without one); ``detection_3d`` is the primary target's."""
        if self.mode == "none":
            return []
        out: List[Tuple[Any, Any]] = []
        detections = []
        depth = self._depth_frame(stamp_ns, params) if targets and self.mode == "depth" else None
        for index, (track_id, box) in enumerate(targets):
            located = self._locate(header, depth, image_hw, box, track_id, params)
            if located is None:
                break  # no intrinsics: nothing to say about any target
            ray, point, detection = located
            if index == 0:
                out.append((self._bearing_pub, Vector3Stamped(header=header, vector=_vector(ray))))
            if point is not None:
                if index == 0:
                    out.append((self._point_pub, PointStamped(header=header, point=_point(point))))
                    out.append((self._detection_pub, detection))
                detections.append(detection)
        if self.mode == "depth":
            out.append((self._detections_pub, Detection3DArray(header=header, detections=detections)))
        return out

    def _depth_frame(self, stamp_ns: int, params: Any) -> Optional[Any]:
        """The depth frame matching the image stamp (waits up to ``depth_sync_slop``), or None."""
        slop_ns = int(params.depth_sync_slop * 1e9)
        if not stamp_ns:
            self._warn("depth_unstamped", "image has a zero stamp: no depth matches it, no 3-D point")
            return None
        frame = self._depth.find(stamp_ns, slop_ns, wait_s=params.depth_sync_slop)
        if frame is None:
            self._warn(
                "depth_missing",
                f"no depth image within {params.depth_sync_slop:g} s "
                f"(depth_sync_slop) of the frame at {stamp_ns / 1e9:.3f} s: no 3-D point",
            )
        return frame

    def _locate(
        self,
        header: Header,
        frame: Optional[Any],
        image_hw: Tuple[int, int],
        box: Box,
        track_id: str,
        params: Any,
    ):
        """(bearing, point or None, Detection3D or None) of ``box`` with the matched depth ``frame``
        (None: bearing only), or None without intrinsics."""
        height, width = image_hw
        intrinsics = frame.intrinsics if frame is not None else self._intrinsics
        if intrinsics is None:
            self._warn("camera_info_missing", "no usable camera_info received yet: no bearing / 3-D point")
            return None
        camera = intrinsics.for_image(height, width)
        x, y, w, h = (float(v) for v in box)
        ray = bearing(x + w / 2.0, y + h / 2.0, camera)
        if frame is None:
            return ray, None, None
        if frame.frame_id != header.frame_id:
            self._warn(
                "depth_frame",
                f"depth frame_id '{frame.frame_id}' differs from the image's "
                f"'{header.frame_id}': the depth must be aligned (registered) to the image",
            )
        depth_h, depth_w = frame.depth.shape
        sx, sy = depth_w / width, depth_h / height
        estimate = box_depth(
            frame.depth,
            (x * sx, y * sy, w * sx, h * sy),
            frame.scale_to_m,
            params.depth_central_fraction,
            params.depth_min_valid_fraction,
        )
        if estimate is None:
            self._warn(
                "depth_invalid",
                f"fewer than {100 * params.depth_min_valid_fraction:g}% of the depth "
                "pixels in the box centre are valid (hole, too near or too far): no 3-D point",
            )
            return ray, None, None
        point = target_point(box, camera, estimate.z)
        detection = Detection3D(header=header, id=track_id)
        detection.bbox.center.position = _point(point)
        detection.bbox.center.orientation.w = 1.0
        detection.bbox.size.x = w * estimate.z / camera.fx  # the box's extent at the target's range
        detection.bbox.size.y = h * estimate.z / camera.fy
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id = params.class_id
        hypothesis.hypothesis.score = estimate.valid_fraction  # depth quality; tracker score: Detection2D
        hypothesis.pose.pose.position = _point(point)
        hypothesis.pose.pose.orientation.w = 1.0
        detection.results.append(hypothesis)
        return ray, point, detection


def _point(xyz) -> Point:
    return Point(x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))


def _vector(xyz) -> Vector3:
    return Vector3(x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))


__all__ = ["SpatialOutput", "DEPTH_BUFFER_SIZE"]
