"""``video_publisher``: plays a video file, an image folder or an .npz array as a camera on ``image``.

Point it at a recording to feed the tracker as if a camera were attached::

    ros2 run ostrack_ros video_publisher --ros-args -p path:=walk.mp4 -p fps:=15.0 -p loop:=true

Each frame is stamped with the time it is published (strictly increasing, like a camera driver),
so the tracker's latency figures and stamp matching work as on a robot.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np
import rclpy
from rcl_interfaces.msg import IntegerRange
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.time import Time
from sensor_msgs.msg import Image

from ..tracking.frames import FrameSource, FrameSourceError
from .conversions import bridge
from .middleware import use_large_frames_profile
from .node_lifecycle import declare_read_only, shutdown, until_stopped
from .throttle import ThrottledLog

NODE_NAME = "video_publisher"


class SourceError(RuntimeError):
    """The node cannot start (bad parameter, unplayable path); str() is the one-line reason."""


@dataclass(frozen=True)
class PublisherParams:
    """The node's read-only parameters."""

    path: str
    fps: float
    loop: bool
    frame_id: str
    encoding: str
    reliable: bool
    wait_for_subscribers: int
    max_frames: int


def _declare(node: Node) -> PublisherParams:
    def declare(name, default, description, **descriptor_fields):
        return declare_read_only(node, name, default, description, **descriptor_fields)

    return PublisherParams(
        path=declare("path", "", "video file or folder of images to play (required)"),
        # dynamic typing: `-p fps:=15` (an integer) must work as well as `fps:=15.0`
        fps=float(
            declare(
                "fps",
                0.0,
                "publishing rate in Hz; 0 = the video's own rate (30 for folders)",
                dynamic_typing=True,
            )
        ),
        loop=declare("loop", False, "start again at the end instead of exiting"),
        frame_id=declare("frame_id", "camera", "header.frame_id of the published images"),
        encoding=declare("encoding", "bgr8", "rgb8 or bgr8"),
        reliable=declare("reliable", True, "reliable QoS (else best effort); depth 5 either way"),
        wait_for_subscribers=declare(
            "wait_for_subscribers",
            0,
            "hold the first frame until this many subscriptions match",
            integer_range=[IntegerRange(from_value=0, to_value=100)],
        ),
        max_frames=declare(
            "max_frames",
            0,
            "stop after this many frames (0 = no limit)",
            integer_range=[IntegerRange(from_value=0, to_value=2**31 - 1)],
        ),
    )


class VideoPublisher(Node):
    """Publishes the frames of a FrameSource (video, image folder, .npz) on ``image`` at a fixed rate
    with fresh stamps."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__(NODE_NAME, **node_kwargs)
        try:
            self.params = p = _declare(self)
        except (ParameterException, TypeError, ValueError) as exc:
            raise SourceError(f"bad parameter: {exc}") from None
        if not p.path:
            raise SourceError("parameter 'path' is required (a video file or an image folder)")
        if not (p.fps >= 0 and np.isfinite(p.fps)):
            raise SourceError(f"parameter 'fps' must be >= 0, got {p.fps}")
        if p.encoding not in ("rgb8", "bgr8"):
            raise SourceError(f"parameter 'encoding' must be rgb8 or bgr8, got '{p.encoding}'")
        try:
            self._source = FrameSource(p.path)
        except FrameSourceError as exc:
            raise SourceError(str(exc)) from None
        self.fps = p.fps if p.fps > 0 else self._source.native_fps
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=5,
            reliability=ReliabilityPolicy.RELIABLE if p.reliable else ReliabilityPolicy.BEST_EFFORT,
        )
        self._pub = self.create_publisher(Image, "image", qos)
        self._warnings = ThrottledLog(self.get_logger().warning)
        self._last_stamp_ns = -1
        self.published = 0
        self.done = False
        self._waiting = False
        self._timer = self.create_timer(1.0 / self.fps, self._tick)
        self.get_logger().info(
            f"playing {self._source.path} at {self.fps:.1f} fps on "
            f"'{self._pub.topic_name}' ({p.encoding}, frame_id '{p.frame_id}'"
            f"{', looping' if p.loop else ''})"
        )

    def _next_frame(self) -> Optional[np.ndarray]:
        for _ in range(100):  # skip a run of undecodable images, but never spin forever
            try:
                frame = self._source.read()
            except FrameSourceError as exc:
                self._warnings.warn("decode", f"{exc}; skipped")
                continue
            if frame is None and self.params.loop and self.published > 0:
                self._source.rewind()
                continue
            return frame
        return None

    def _tick(self) -> None:
        if self.done:
            return
        if self.published == 0 and not self._subscribers_ready():
            return
        frame = self._next_frame()
        if frame is None:
            self._finish("end of input")
            return
        if self.params.encoding == "bgr8":
            frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        msg = bridge().cv2_to_imgmsg(frame, encoding=self.params.encoding)
        msg.header.frame_id = self.params.frame_id
        msg.header.stamp = self._fresh_stamp()
        self._pub.publish(msg)
        self.published += 1
        if self.params.max_frames and self.published >= self.params.max_frames:
            self._finish(f"max_frames={self.params.max_frames} reached")

    def _subscribers_ready(self) -> bool:
        """True once ``wait_for_subscribers`` subscriptions match (logs the wait once)."""
        wanted, have = self.params.wait_for_subscribers, self._pub.get_subscription_count()
        if have >= wanted:
            if self._waiting:
                self.get_logger().info(f"{have} subscriber(s) matched: starting")
            return True
        if not self._waiting:
            self.get_logger().info(f"waiting for {wanted} subscriber(s) on '{self._pub.topic_name}'")
            self._waiting = True
        return False

    def _fresh_stamp(self):
        """Now, nudged forward by 1 ns if the clock did not advance (stamps strictly increase)."""
        now_ns = max(self.get_clock().now().nanoseconds, self._last_stamp_ns + 1)
        self._last_stamp_ns = now_ns
        return Time(nanoseconds=now_ns).to_msg()

    def _finish(self, reason: str) -> None:
        self.done = True
        self._timer.cancel()
        self.get_logger().info(f"published {self.published} frames ({reason})")

    def destroy_node(self) -> None:
        self._source.close()
        super().destroy_node()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``ros2 run ostrack_ros video_publisher``; exits 0 at the end of the input."""
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
    rclpy.init(args=args)
    try:
        node = VideoPublisher()
    except SourceError as exc:
        rclpy.logging.get_logger(NODE_NAME).error(str(exc))
        shutdown()
        return 1
    with until_stopped(node):
        while rclpy.ok() and not node.done:
            rclpy.spin_once(node, timeout_sec=0.1)
        # Give reliable subscribers a moment to acknowledge the last frames before leaving.
        linger_until = time.monotonic() + 0.5
        while rclpy.ok() and time.monotonic() < linger_until:
            rclpy.spin_once(node, timeout_sec=0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
