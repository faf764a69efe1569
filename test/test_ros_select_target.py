"""select_target: marking (freeze, drag, send, cancel) driven headless, the init box and frame it sends,
the compressed topic following the image remap, and a clear status 2 where no window can be opened."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from conftest import require_ros

require_ros()

import rclpy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from ostrack_ros.ros import select_target  # noqa: E402
from ostrack_ros.ros.conversions import detection_box, rgb_to_image  # noqa: E402

pytestmark = pytest.mark.ros


def test_selection_becomes_a_detection_with_the_frame_header():
    head = Header(frame_id="cam")
    head.stamp.sec, head.stamp.nanosec = 5, 42
    det = select_target.selection_to_detection(head, (10, 20, 30, 40))
    assert det.header == head and detection_box(det) == (10.0, 20.0, 30.0, 40.0)
    assert select_target.selection_to_detection(head, (0, 0, 0, 0)) is None
    assert select_target.selection_to_detection(head, None) is None
    assert det.id == "" and select_target.selection_to_detection(head, (1, 2, 3, 4), "person").id == "person"


def test_headless_opencv_or_no_display_exits_with_instructions(monkeypatch, capsys):
    headless = "NONE" in [
        ln.split(":", 1)[1].strip()
        for ln in cv2.getBuildInformation().splitlines()
        if ln.strip().startswith("GUI:")
    ]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert select_target.main([]) == 2
    err = capsys.readouterr().err
    assert "rqt_image_view" in err
    if headless:  # what the project venv has: the build is the first thing to fix
        assert "no GUI" in err and "pip install opencv-python" in err
    else:
        assert "no display" in err and "DISPLAY" in err


def test_a_display_that_cannot_be_opened_exits_2_instead_of_aborting(monkeypatch, capsys):
    """Qt abort()s (status 134) on a dead DISPLAY: the probe runs in a child, the tool exits 2."""
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(select_target.cv2, "getBuildInformation", lambda: "  GUI:   QT5\n")
    monkeypatch.setattr(
        select_target.subprocess,
        "run",
        lambda *a, **k: select_target.subprocess.CompletedProcess(a, 134, b"", b""),
    )
    assert select_target.main([]) == 2
    err = capsys.readouterr().err
    assert "the display ':99' cannot be opened" in err and "Xvfb" in err and "pip install" not in err


def test_marked_frame_is_published_on_init():
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = select_target.TargetSelector(
            context=context, cli_args=["--ros-args", "-r", "init:=select_test_init"]
        )
        received = []
        probe = rclpy.create_node("select_probe", context=context)
        probe.create_subscription(Detection2D, "select_test_init", received.append, 10)
        executor = rclpy.executors.SingleThreadedExecutor(context=context)
        executor.add_node(probe)
        head = Header(frame_id="cam")
        head.stamp.sec = 7
        node._on_image(rgb_to_image(np.zeros((4, 6, 3), np.uint8), head))
        assert node.frame[0].stamp.sec == 7 and node.frame[1].shape == (4, 6, 3)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            node.publish_selection(node.frame[0], (1, 1, 3, 2))
            executor.spin_once(timeout_sec=0.1)
        assert received and received[0].header.stamp.sec == 7
        assert detection_box(received[0]) == (1.0, 1.0, 3.0, 2.0)
        executor.shutdown()
        probe.destroy_node()
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


class FakeWindow:
    """Scripted keys and mouse events instead of a screen; records what would be shown."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.shown = []
        self.mouse = None

    def show(self, bgr):
        self.shown.append(bgr)

    def poll_key(self):
        item = self.keys.pop(0) if self.keys else -1
        if callable(item):  # a mouse gesture scripted between two key polls
            item(self.mouse)
            return -1
        return item

    def closed(self):
        return False

    def set_mouse(self, callback):
        self.mouse = callback

    def close(self):
        pass


def _drag(x0, y0, x1, y1):
    def gesture(mouse):
        mouse(cv2.EVENT_LBUTTONDOWN, x0, y0)
        mouse(cv2.EVENT_MOUSEMOVE, (x0 + x1) // 2, (y0 + y1) // 2)
        mouse(cv2.EVENT_LBUTTONUP, x1, y1)

    return gesture


def _frame(sec, value=0):
    head = Header(frame_id="cam")
    head.stamp.sec = sec
    return head, np.full((48, 64, 3), value, np.uint8)


def test_drag_and_enter_sends_the_box_on_the_frozen_frame_however_late():
    now = [100.0]
    window = FakeWindow([ord(" "), _drag(50, 40, 10, 5), -1, 13])
    session = select_target.SelectionSession(window, clock=lambda: now[0])
    frames = [_frame(1, 10), _frame(2, 20), _frame(3, 30), _frame(4, 40)]
    results = []
    for frame in frames:
        results.append(session.step(frame))
        now[0] += 30.0  # the person takes their time; newer frames keep arriving
    marked = [r for r in results if r is not None]
    assert len(marked) == 1 and marked[0].header.stamp.sec == 1 and marked[0].rgb[0, 0, 0] == 10
    assert marked[0].box == (10.0, 5.0, 40.0, 35.0)  # corners in any order
    assert session.frozen is None and not session.quit


def test_esc_cancels_the_selection_and_sends_nothing():
    window = FakeWindow([ord(" "), _drag(5, 5, 30, 30), 27, -1, ord("q")])
    session = select_target.SelectionSession(window, clock=lambda: 0.0)
    results = [session.step(_frame(sec)) for sec in range(5)]
    assert results == [None] * 5 and session.quit
    assert window.mouse is None  # mouse released with the frozen frame


def test_enter_without_a_box_keeps_waiting_and_q_quits_without_sending():
    window = FakeWindow([ord("s"), 13, ord("c"), ord(" "), ord("q")])
    session = select_target.SelectionSession(window, clock=lambda: 0.0)
    assert [session.step(_frame(1)) for _ in range(5)] == [None] * 5 and session.quit


def test_frozen_view_shows_a_running_timer_and_differs_from_the_live_view():
    from ostrack_ros.ros.selection_view import DragBox, render_frozen, render_live

    rgb = np.full((120, 160, 3), 90, np.uint8)
    drag = DragBox(160, 120)
    drag.on_mouse(cv2.EVENT_LBUTTONDOWN, 20, 20)
    drag.on_mouse(cv2.EVENT_LBUTTONUP, 60, 50)
    at_1s, at_9s = render_frozen(rgb, drag, 1.0), render_frozen(rgb, drag, 9.0)
    assert at_1s.shape == (120, 160, 3) and not np.array_equal(at_1s, at_9s)
    assert not np.array_equal(at_1s, render_live(rgb))
    assert (at_1s[35, 20] == (0, 255, 0)).all()  # the dragged box is drawn in green


def test_compressed_input_follows_the_image_remap_and_the_frame_goes_out_with_the_box():
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = select_target.TargetSelector(
            context=context,
            cli_args=[
                "--ros-args",
                "-p",
                "compressed:=true",
                "-r",
                "image:=/camera/image_raw",
                "-r",
                "init:=select_test_init2",
                "-r",
                "init_frame:=select_test_frame2",
            ],
        )
        assert node._image_topic == "/camera/image_raw/compressed"
        frames, inits = [], []
        probe = rclpy.create_node("select_probe2", context=context)
        probe.create_subscription(Image, "select_test_frame2", frames.append, 10)
        probe.create_subscription(Detection2D, "select_test_init2", inits.append, 10)
        executor = rclpy.executors.SingleThreadedExecutor(context=context)
        executor.add_node(probe)
        head, rgb = _frame(9, 77)
        deadline = time.monotonic() + 10
        while not (frames and inits) and time.monotonic() < deadline:
            node.publish_selection(head, (1.0, 2.0, 3.0, 4.0), rgb)
            executor.spin_once(timeout_sec=0.1)
        assert frames and inits
        assert frames[0].header.stamp.sec == 9 == inits[0].header.stamp.sec
        assert (frames[0].height, frames[0].width, frames[0].encoding) == (48, 64, "rgb8")
        executor.shutdown()
        probe.destroy_node()
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
