"""``ros2 run ostrack_ros select_target``: drag a box on the live camera image to start tracking it.

Shows the ``image`` stream in an OpenCV window with the keys drawn on it. SPACE (or s) freezes the
newest frame; drag a box on it and press ENTER (or SPACE) to send it, Esc (or c) to cancel and go back
to the live view, q to quit. A sent box goes out on ``init`` as a Detection2D carrying the frozen
frame's header, and the frozen frame itself goes out on ``init_frame`` first (same header), so the
tracker builds the template from the frame you marked however long you took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, Protocol, Sequence, Tuple

import cv2
import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection2D

from .conversions import BadImageError, compressed_to_rgb, image_to_rgb, make_detection, rgb_to_image
from .middleware import use_large_frames_profile
from .node_lifecycle import until_stopped
from .selection_view import Action, Box, DragBox, key_action, render_frozen, render_live

WINDOW = "select_target"
NO_GUI_HELP = (
    "select_target needs an OpenCV with GUI support and a display, but {reason}. {fix}, or mark the "
    "target without it: click two corners in rqt_image_view with 'publish click location' (see "
    "docs/ROS.md)."
)
INSTALL_GUI = (
    "Install the GUI build (pip: `pip uninstall opencv-python-headless && pip install "
    "opencv-python`; ROS install: `sudo apt install python3-opencv`)"
)
FIX_DISPLAY = (
    "Run it on a desktop session, or point DISPLAY at a running X server (e.g. `ssh -X`, or "
    "`Xvfb :1 &` then `DISPLAY=:1`)"
)
# Opens and closes a window in a child process: a display that cannot be opened makes Qt abort() the
# process (status 134), which must not be ours. Exit 3 = a build without GUI support.
_GUI_PROBE = (
    "import cv2, sys\n"
    "try:\n    cv2.namedWindow('select_target_probe'); cv2.waitKey(1); cv2.destroyAllWindows()\n"
    "except cv2.error:\n    sys.exit(3)\n"
)


def gui_unavailable_reason(probe_timeout_s: float = 20.0) -> Optional[str]:
    """None when cv2 can open windows here, else why not: a build without GUI, no display set, or a
    display that cannot be opened (probed in a child process, see ``_GUI_PROBE``)."""
    gui = [
        line.split(":", 1)[1].strip()
        for line in cv2.getBuildInformation().splitlines()
        if line.strip().startswith("GUI:")
    ]
    if gui and gui[0].upper() == "NONE":
        return "this OpenCV build has no GUI (probably opencv-python-headless)"
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not display:
        return "no display is set (DISPLAY / WAYLAND_DISPLAY)"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", _GUI_PROBE], capture_output=True, timeout=probe_timeout_s
        )
    except subprocess.TimeoutExpired:
        return f"opening a window on display '{display}' did not finish within {probe_timeout_s:.0f} s"
    if probe.returncode == 3:
        return "this OpenCV build has no GUI (probably opencv-python-headless)"
    if probe.returncode != 0:
        return f"the display '{display}' cannot be opened (a test window exited with {probe.returncode})"
    return None


def selection_to_detection(header: Header, box: Optional[Box], target_id: str = "") -> Optional[Detection2D]:
    """A Detection2D (the frame's header, class 'selection', id ``target_id``: which of several
    targets it marks) for an (x, y, w, h) box; None if empty."""
    if box is None:
        return None
    x, y, w, h = (float(v) for v in box)
    if w <= 0 or h <= 0:
        return None
    return make_detection(header, (x, y, w, h), 1.0, "selection", target_id)


Frame = Tuple[Header, np.ndarray]


class TargetSelector(Node):
    """Keeps the newest frame with its header and publishes marked boxes (and their frames)."""

    def __init__(self, **node_kwargs) -> None:
        super().__init__("select_target", **node_kwargs)
        compressed = self.declare_parameter("compressed", False).value
        self.once = self.declare_parameter("once", False).value
        self.send_frame = self.declare_parameter("send_frame", True).value
        # which target the box marks when the tracker follows several (max_targets); empty: a new one
        self.target_id = self.declare_parameter("target_id", "").value
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        if compressed:  # image_transport's naming: the compressed stream of a remapped `image` follows it
            msg_type, topic = CompressedImage, self.resolve_topic_name("image") + "/compressed"
        else:
            msg_type, topic = Image, "image"
        self._image_topic = self.create_subscription(msg_type, topic, self._on_image, qos).topic_name
        self._init_pub = self.create_publisher(Detection2D, "init", 10)
        self._frame_pub = self.create_publisher(Image, "init_frame", 2)
        self.frame: Optional[Frame] = None
        self._no_image_timer = self.create_timer(3.0, self._hint_if_no_image)

    def _hint_if_no_image(self) -> None:
        """Once: the usual reason for an empty window is a camera on another topic name."""
        self._no_image_timer.cancel()
        if self.frame is None:
            self.get_logger().warning(
                f"no image on '{self._image_topic}' after 3 s: point the tool at "
                "your camera with --ros-args -r image:=/camera/image_raw"
            )

    def _on_image(self, msg) -> None:
        try:
            rgb = compressed_to_rgb(msg) if isinstance(msg, CompressedImage) else image_to_rgb(msg)
        except BadImageError as exc:
            self.get_logger().warning(f"image skipped: {exc}", throttle_duration_sec=2.0)
            return
        self.frame = (msg.header, rgb)

    def publish_selection(self, header: Header, box: Optional[Box], rgb: Optional[np.ndarray] = None) -> bool:
        """Send ``box`` for the frame with ``header`` (and that frame on ``init_frame`` when given)."""
        detection = selection_to_detection(header, box, self.target_id)
        if detection is None:
            self.get_logger().info("empty selection: nothing sent")
            return False
        if rgb is not None and self.send_frame:
            self._frame_pub.publish(rgb_to_image(rgb, header))
        self._init_pub.publish(detection)
        x, y, w, h = (round(v) for v in box)
        target = f" for target '{self.target_id}'" if self.target_id else ""
        self.get_logger().info(
            f"sent init box ({x}, {y}, {w}, {h}){target} for the frame stamped "
            f"{header.stamp.sec}.{header.stamp.nanosec:09d}"
        )
        return True


class Window(Protocol):
    """The part of an OpenCV window the selection loop uses (a fake one in the tests)."""

    def show(self, bgr: np.ndarray) -> None: ...

    def poll_key(self) -> int: ...

    def closed(self) -> bool: ...

    def set_mouse(self, callback: Optional[Callable]) -> None: ...

    def close(self) -> None: ...


class CvWindow:
    """A real ``cv2.namedWindow``."""

    def __init__(self, name: str = WINDOW) -> None:
        self.name = name
        cv2.namedWindow(name, cv2.WINDOW_NORMAL)

    def show(self, bgr: np.ndarray) -> None:
        cv2.imshow(self.name, bgr)

    def poll_key(self) -> int:
        return cv2.waitKey(10)

    def closed(self) -> bool:
        return cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1

    def set_mouse(self, callback: Optional[Callable]) -> None:
        cv2.setMouseCallback(self.name, callback if callback is not None else lambda *args: None)

    def close(self) -> None:
        cv2.destroyWindow(self.name)


@dataclass
class Marked:
    """A confirmed selection: the frozen frame's header and pixels, and the box on it."""

    header: Header
    rgb: np.ndarray
    box: Box


class SelectionSession:
    """Live view -> SPACE freezes -> drag -> ENTER sends / Esc cancels; one ``step`` per GUI tick."""

    def __init__(self, window: Window, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self.frozen: Optional[Tuple[Frame, float]] = None  # the frame and when it was frozen
        self.drag: Optional[DragBox] = None
        self.quit = False
        self._shown: Optional[Frame] = None

    def step(self, newest: Optional[Frame]) -> Optional[Marked]:
        """Handle one key (or none) and redraw; returns a selection when one was confirmed."""
        key = self.window.poll_key()
        if self.window.closed():
            self.quit = True
            return None
        marked = self._frozen_key(key) if self.frozen is not None else self._live_key(key, newest)
        self._draw(newest)
        return marked

    def _live_key(self, key: int, newest: Optional[Frame]) -> Optional[Marked]:
        action = key_action(key, frozen=False)
        if action is Action.QUIT:
            self.quit = True
        elif action is Action.FREEZE and newest is not None:
            self.frozen = (newest, self.clock())
            self.drag = DragBox(width=newest[1].shape[1], height=newest[1].shape[0])
            self.window.set_mouse(self.drag.on_mouse)
        return None

    def _frozen_key(self, key: int) -> Optional[Marked]:
        action = key_action(key, frozen=True)
        if action is Action.QUIT:
            self.quit = True
        elif action is Action.CANCEL:
            self._unfreeze()
        elif action is Action.SEND and self.drag.box() is not None:
            (header, rgb), _ = self.frozen
            marked = Marked(header, rgb, self.drag.box())
            self._unfreeze()
            return marked
        return None

    def _unfreeze(self) -> None:
        self.frozen, self.drag, self._shown = None, None, None
        self.window.set_mouse(None)

    def _draw(self, newest: Optional[Frame]) -> None:
        if self.frozen is not None:
            (_, rgb), since = self.frozen
            self.window.show(render_frozen(rgb, self.drag, self.clock() - since))
        elif newest is not None and newest is not self._shown:
            self._shown = newest
            self.window.show(render_live(newest[1]))


def run_gui(node: TargetSelector, window: Optional[Window] = None) -> None:
    """Live view until q/Esc (or the window is closed); publishes each confirmed selection."""
    window = window if window is not None else CvWindow()
    session = SelectionSession(window)
    try:
        while rclpy.ok() and not session.quit:
            rclpy.spin_once(node, timeout_sec=0.005)
            marked = session.step(node.frame)
            if (
                marked is not None
                and node.publish_selection(marked.header, marked.box, marked.rgb)
                and node.once
            ):
                rclpy.spin_once(node, timeout_sec=0.2)  # let the messages leave before exiting
                break
    finally:
        window.close()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point; exits with status 2 and a clear message where no OpenCV window can be opened."""
    reason = gui_unavailable_reason()
    if reason:
        fix = INSTALL_GUI if "no GUI" in reason else FIX_DISPLAY
        print(NO_GUI_HELP.format(reason=reason, fix=fix), file=sys.stderr)
        return 2
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
    rclpy.init(args=args)
    node = TargetSelector()
    with until_stopped(node):
        run_gui(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
