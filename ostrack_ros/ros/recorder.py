"""``recorder``: writes the tracker's ``debug_image`` stream to a video and ``detections`` to CSV.

    ros2 run ostrack_ros recorder --ros-args -p video_path:=run.mp4 -p detections_path:=run.csv

The CSV has one row per ``Detection2DArray`` (an empty array = not tracked), flushed as it comes,
so a crashed run still leaves its data; the video is finalised when the node shuts down. The latched
``~/ready`` (std_msgs/Bool) turns true once the recorded topics' publishers reach the recorder.
"""

from __future__ import annotations

import csv
import math
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import Image
from std_msgs.msg import Bool
from vision_msgs.msg import Detection2DArray

from .conversions import BadImageError, detection_box, image_to_rgb
from .middleware import use_large_frames_profile
from .node_lifecycle import declare_read_only, shutdown, until_stopped
from .throttle import ThrottledLog

NODE_NAME = "recorder"
#: latched: True once every recorded topic has a matched publisher (the demo starts its camera then)
READY_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
READY_CHECK_S = 0.05
CSV_COLUMNS = ("stamp", "frame_id", "tracked", "x", "y", "w", "h", "score", "track_id")
FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


class RecorderError(RuntimeError):
    """The recorder cannot start; str() is the one-line reason."""


@dataclass(frozen=True)
class RecorderParams:
    """Where to write and at which nominal frame rate (read-only)."""

    video_path: str
    detections_path: str
    fps: float


def _declare(node: Node) -> RecorderParams:
    def declare(name, default, description, **descriptor_fields):
        return declare_read_only(node, name, default, description, **descriptor_fields)

    return RecorderParams(
        video_path=declare(
            "video_path",
            "recording/overlay.mp4",
            "video of 'debug_image' (.mp4 / .avi / .mkv); empty = no video",
        ),
        detections_path=declare(
            "detections_path",
            "recording/detections.csv",
            "CSV of 'detections', one row per message; empty = no CSV",
        ),
        fps=float(declare("fps", 15.0, "frame rate written into the video file", dynamic_typing=True)),
    )


class VideoSink:
    """cv2.VideoWriter opened on the first frame; later frames of another size are resized to it."""

    def __init__(self, path: Path, fps: float) -> None:
        fourcc = FOURCC_BY_SUFFIX.get(path.suffix.lower())
        if fourcc is None:
            raise RecorderError(f"video_path must end in {', '.join(FOURCC_BY_SUFFIX)}: {path}")
        self.path, self.fps, self._fourcc = path, fps, fourcc
        self._writer: Optional[cv2.VideoWriter] = None
        self.size: Optional[tuple] = None

    def write(self, bgr: np.ndarray) -> bool:
        """Append one frame; returns False when it had to be resized to the video's size."""
        h, w = bgr.shape[:2]
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = cv2.VideoWriter(
                str(self.path), cv2.VideoWriter_fourcc(*self._fourcc), self.fps, (w, h)
            )
            if not self._writer.isOpened():
                raise RecorderError(f"OpenCV cannot write {self.path} ({self._fourcc})")
            self.size = (w, h)
        same_size = (w, h) == self.size
        if not same_size:
            bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(np.ascontiguousarray(bgr))
        return same_size

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class Recorder(Node):
    """Subscribes ``debug_image`` and ``detections`` (reliable, as the tracker publishes them)."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__(NODE_NAME, **node_kwargs)
        try:
            self.params = p = _declare(self)
        except (ParameterException, TypeError, ValueError) as exc:
            raise RecorderError(f"bad parameter: {exc}") from None
        if not (p.fps > 0 and math.isfinite(p.fps)):
            raise RecorderError(f"parameter 'fps' must be > 0, got {p.fps}")
        if not p.video_path and not p.detections_path:
            raise RecorderError("nothing to record: both video_path and detections_path are empty")
        self._warnings = ThrottledLog(self.get_logger().warning)
        self._video = VideoSink(Path(p.video_path).expanduser(), p.fps) if p.video_path else None
        self._csv_file = None
        self._csv = None
        if p.detections_path:
            path = Path(p.detections_path).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._csv_file = path.open("w", newline="", buffering=1)
            self._csv = csv.writer(self._csv_file)
            self._csv.writerow(CSV_COLUMNS)
        self.video_frames = 0
        self.detection_rows = 0
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._subscriptions_recorded = []
        if self._video is not None:
            self._subscriptions_recorded.append(
                self.create_subscription(Image, "debug_image", self._on_image, qos)
            )
        if self._csv is not None:
            self._subscriptions_recorded.append(
                self.create_subscription(Detection2DArray, "detections", self._on_detections, qos)
            )
        self.ready = False
        self._ready_pub = self.create_publisher(Bool, "~/ready", READY_QOS)
        self._ready_pub.publish(Bool(data=False))
        self._ready_timer = self.create_timer(READY_CHECK_S, self._check_ready)
        self.get_logger().info(
            f"recording: video {p.video_path or '-'}, detections {p.detections_path or '-'}"
        )

    def _publishers_matched(self, subscription) -> bool:
        """A publisher of ``subscription``'s topic reaches it: matched by the middleware where rclpy
        says so (Iron and later), else (Humble) one publisher in the graph."""
        if hasattr(subscription, "get_publisher_count"):
            return subscription.get_publisher_count() >= 1
        return self.count_publishers(subscription.topic_name) >= 1

    def _check_ready(self) -> None:
        """Say ``~/ready`` once every recorded topic has a matched publisher: the graph-level counts
        that a supervisor sees do not tell whether the tracker's publishers reach this process yet,
        and a short run played before they do records nothing."""
        if all(self._publishers_matched(sub) for sub in self._subscriptions_recorded):
            self.destroy_timer(self._ready_timer)
            self.ready = True
            self._ready_pub.publish(Bool(data=True))
            self.get_logger().info("the recorded topics' publishers are matched: ready")

    def _on_image(self, msg: Image) -> None:
        if self._video is None:  # stopped after a write error
            return
        try:
            rgb = image_to_rgb(msg)
        except BadImageError as exc:
            self._warnings.warn("image", f"skipped a debug_image: {exc}")
            return
        try:
            same_size = self._video.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        except RecorderError as exc:
            self.get_logger().error(f"{exc}; video recording stopped")
            self._video.close()
            self._video = None
            return
        self.video_frames += 1
        if self.video_frames == 1:  # the tracker's publisher reaches us (the log a lost-delivery run lacks)
            self.get_logger().info(f"first debug_image ({msg.width}x{msg.height}) written")
        if not same_size:
            self._warnings.warn(
                "size", f"debug_image is {msg.width}x{msg.height}, the video {self._video.size}: resized"
            )

    def _on_detections(self, msg: Detection2DArray) -> None:
        stamp = f"{msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d}"
        if msg.detections:
            det = msg.detections[0]
            score = det.results[0].hypothesis.score if det.results else float("nan")
            row = (
                stamp,
                msg.header.frame_id,
                1,
                *(f"{v:.2f}" for v in detection_box(det)),
                f"{score:.4f}",
                det.id,
            )
        else:
            row = (stamp, msg.header.frame_id, 0, "", "", "", "", "", "")
        self._csv.writerow(row)
        self.detection_rows += 1
        if self.detection_rows == 1:
            self.get_logger().info("first detections message written")

    def close(self) -> None:
        """Finalise the video and the CSV (idempotent)."""
        if self._video is not None:
            self._video.close()
        if self._csv_file is not None and not self._csv_file.closed:
            self._csv_file.close()

    def destroy_node(self) -> None:
        self.close()
        super().destroy_node()


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``ros2 run ostrack_ros recorder``; files are finalised on Ctrl-C or SIGTERM."""
    # Our own SIGINT/SIGTERM handling (KeyboardInterrupt) instead of rclpy's, so the context is still
    # valid in the finally below and the closing log line reaches /rosout.
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        node = Recorder()
    except (RecorderError, OSError) as exc:
        rclpy.logging.get_logger(NODE_NAME).error(str(exc))
        shutdown()
        return 1
    with until_stopped(node):
        try:
            while rclpy.ok():  # short waits: without rclpy's handler a signal is seen between them
                rclpy.spin_once(node, timeout_sec=0.2)
        finally:
            node.get_logger().info(
                f"recorded {node.video_frames} video frames and {node.detection_rows} detection rows"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
