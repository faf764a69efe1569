"""select_target: a selectROI box becomes an init Detection2D with its frame header; no GUI exits clearly."""
from __future__ import annotations

import time

import numpy as np
import pytest

from conftest import require_ros

require_ros()

import rclpy  # noqa: E402
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
    assert select_target.selection_to_detection(head, (0, 0, 0, 0)) is None  # selectROI cancelled


def test_headless_opencv_or_no_display_exits_with_instructions(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert select_target.main([]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "pip install opencv-python" in err and "rqt_image_view" in err
    monkeypatch.setenv("DISPLAY", ":99")
    if select_target.gui_unavailable_reason() is None:
        pytest.skip("this OpenCV has a GUI backend")
    assert select_target.main([]) == 2
    assert "no GUI" in capsys.readouterr().err


def test_marked_frame_is_published_on_init():
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = select_target.TargetSelector(context=context,
                                            cli_args=["--ros-args", "-r", "init:=select_test_init"])
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
