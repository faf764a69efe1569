"""``ros2 run ostrack_ros select_target``: drag a box on the live camera image to start tracking it.

Shows the ``image`` stream in an OpenCV window; press SPACE (or s) to freeze the current frame and drag a
box with cv2.selectROI, ENTER to confirm. The box goes out on ``init`` as a Detection2D carrying that
frame's header, so the tracker initialises on exactly the frame the user marked. q or Esc quits.
"""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection2D

from .conversions import BadImageError, compressed_to_rgb, image_to_rgb, make_detection
from .middleware import use_large_frames_profile
from .node_lifecycle import until_stopped

WINDOW = "select_target: SPACE = mark target, q = quit"
NO_GUI_HELP = (
    "select_target needs an OpenCV with GUI support and a display, but {reason}. "
    "Install the GUI build (pip: `pip uninstall opencv-python-headless && pip install opencv-python`; "
    "ROS install: `sudo apt install python3-opencv`), or mark the target without it: click two corners "
    "in rqt_image_view with 'publish click location' (see docs/ROS.md).")


def gui_unavailable_reason() -> Optional[str]:
    """None when cv2 can open windows here, else why not (headless build or no display)."""
    has_display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not has_display:
        return "no display is set (DISPLAY / WAYLAND_DISPLAY)"
    try:
        cv2.namedWindow("select_target_probe", cv2.WINDOW_AUTOSIZE)
        cv2.destroyWindow("select_target_probe")
    except cv2.error:
        return "this OpenCV build has no GUI (probably opencv-python-headless)"
    return None


def selection_to_detection(header: Header, roi: Tuple[int, int, int, int]) -> Optional[Detection2D]:
    """A Detection2D (the frame's header, class 'selection') for a cv2.selectROI result; None if empty."""
    x, y, w, h = (float(v) for v in roi)
    if w <= 0 or h <= 0:
        return None
    return make_detection(header, (x, y, w, h), 1.0, "selection", "")


class TargetSelector(Node):
    """Keeps the newest frame with its header and publishes marked boxes on ``init``."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__("select_target", **node_kwargs)
        compressed = self.declare_parameter("compressed", False).value
        self.once = self.declare_parameter("once", False).value
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        msg_type, topic = (CompressedImage, "image/compressed") if compressed else (Image, "image")
        self._image_topic = self.create_subscription(msg_type, topic, self._on_image, qos).topic_name
        self._init_pub = self.create_publisher(Detection2D, "init", 10)
        self.frame: Optional[Tuple[Header, np.ndarray]] = None
        self._no_image_timer = self.create_timer(3.0, self._hint_if_no_image)

    def _hint_if_no_image(self) -> None:
        """Once: the usual reason for an empty window is a camera on another topic name."""
        self._no_image_timer.cancel()
        if self.frame is None:
            self.get_logger().warning(f"no image on '{self._image_topic}' after 3 s: point the tool at "
                                      "your camera with --ros-args -r image:=/camera/image_raw")

    def _on_image(self, msg) -> None:
        try:
            rgb = compressed_to_rgb(msg) if isinstance(msg, CompressedImage) else image_to_rgb(msg)
        except BadImageError as exc:
            self.get_logger().warning(f"image skipped: {exc}", throttle_duration_sec=2.0)
            return
        self.frame = (msg.header, rgb)

    def publish_selection(self, header: Header, roi) -> bool:
        detection = selection_to_detection(header, roi)
        if detection is None:
            self.get_logger().info("empty selection: nothing sent")
            return False
        self._init_pub.publish(detection)
        x, y, w, h = roi
        self.get_logger().info(f"sent init box ({x}, {y}, {w}, {h}) for the frame stamped "
                               f"{header.stamp.sec}.{header.stamp.nanosec:09d}")
        return True


def run_gui(node: TargetSelector) -> None:
    """Live view until q/Esc; SPACE or s freezes the frame for selectROI."""
    cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
    shown = None
    while rclpy.ok():
        rclpy.spin_once(node, timeout_sec=0.02)
        if node.frame is not None and node.frame is not shown:
            shown = node.frame
            cv2.imshow(WINDOW, cv2.cvtColor(shown[1], cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(10) & 0xFF
        if key in (ord("q"), 27) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
            break
        if key in (ord(" "), ord("s")) and shown is not None:
            header, rgb = shown
            roi = cv2.selectROI(WINDOW, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), showCrosshair=True)
            if node.publish_selection(header, roi) and node.once:
                rclpy.spin_once(node, timeout_sec=0.2)  # let the message leave before exiting
                break
    cv2.destroyAllWindows()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point; exits with status 2 and a clear message where no OpenCV window can be opened."""
    reason = gui_unavailable_reason()
    if reason:
        print(NO_GUI_HELP.format(reason=reason), file=sys.stderr)
        return 2
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
    rclpy.init(args=args)
    node = TargetSelector()
    with until_stopped(node):
        run_gui(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
