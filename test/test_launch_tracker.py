"""tracker.launch.py end to end: the installed launch file starts the node (tiny fixture model) in a
namespace on a remapped camera topic; frames in, init by Detection2D and by clicks, detections out."""
from __future__ import annotations

import asyncio
import os
import time

import pytest

from conftest import require_ros

require_ros()

import launch_pytest  # noqa: E402
import numpy as np  # noqa: E402
import rclpy  # noqa: E402
from ament_index_python.packages import get_package_share_directory  # noqa: E402
from geometry_msgs.msg import Point  # noqa: E402
from launch import LaunchDescription  # noqa: E402
from launch.actions import IncludeLaunchDescription  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from vision_msgs.msg import Detection2D, Detection2DArray  # noqa: E402

from ostrack_ros.ros.conversions import make_detection, rgb_to_image  # noqa: E402

pytestmark = pytest.mark.ros
TINY = os.path.join(os.environ["OSTRACK_REFERENCE_DIR"], "tiny")
CAMERA = "/launch_test_cam/image_raw"
NAMESPACE = "launch_test"


@pytest.fixture
def params_file(tmp_path):
    """Defaults plus: never declare the (randomly weighted) tiny model's target lost."""
    path = tmp_path / "tracker_test.yaml"
    path.write_text("/**:\n  ros__parameters:\n    lost_score_threshold: 0.0\n"
                    "    reacquire_score_threshold: 0.0\n    class_id: launch_target\n")
    return str(path)


@launch_pytest.fixture
def tracker_launch(params_file):
    path = os.path.join(get_package_share_directory("ostrack_ros"), "launch", "tracker.launch.py")
    return LaunchDescription([
        IncludeLaunchDescription(PythonLaunchDescriptionSource(path), launch_arguments={
            "weights": os.path.join(TINY, "checkpoint.pth.tar"),
            "config": os.path.join(TINY, "config.yaml"),
            "image": CAMERA, "device": "cpu", "namespace": NAMESPACE,
            "params_file": params_file}.items()),
        launch_pytest.actions.ReadyToTest(),
    ])


@pytest.mark.launch(fixture=tracker_launch)
async def test_frames_in_detections_out_through_the_launch_file(ros_context):
    with np.load(os.path.join(TINY, "tracker_sequence.npz")) as data:
        frames, init_box = data["frames"], tuple(float(v) for v in data["init_box"])
    probe = rclpy.create_node("launch_test_probe", context=ros_context)
    arrays, singles = [], []
    probe.create_subscription(Detection2DArray, f"/{NAMESPACE}/detections", arrays.append, 50)
    probe.create_subscription(Detection2D, f"/{NAMESPACE}/detection", singles.append, 50)
    images = probe.create_publisher(Image, CAMERA, 10)
    init = probe.create_publisher(Detection2D, f"/{NAMESPACE}/init", 10)
    clicks = probe.create_publisher(Point, CAMERA + "_mouse_left", 10)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(probe)
    sent = {}
    state = {"t": 0}

    def publish_frame():
        t = state["t"]
        msg = rgb_to_image(frames[t % len(frames)], None)
        msg.header.stamp = probe.get_clock().now().to_msg()
        msg.header.frame_id = "launch_cam"
        sent[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = t
        images.publish(msg)
        state["t"] = t + 1

    async def pump_until(done, timeout, what):
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            publish_frame()
            for _ in range(10):
                executor.spin_once(timeout_sec=0)
                await asyncio.sleep(0.01)  # hand control back to the launch event loop

    try:
        # The node is up (model loaded) once it answers frames with (empty) detection arrays.
        await pump_until(lambda: arrays, 90.0, "the first detections array")
        assert arrays[-1].detections == [] and arrays[-1].header.frame_id == "launch_cam"
        # Mark the target on a frame the node has just processed (it is in its frame buffer).
        init.publish(make_detection(arrays[-1].header, init_box, 1.0, "user", ""))
        await pump_until(lambda: singles, 30.0, "a Detection2D after init")
        det = singles[-1]
        assert det.id == "1" and det.header.frame_id == "launch_cam"
        assert (det.header.stamp.sec, det.header.stamp.nanosec) in sent
        assert det.results[0].hypothesis.class_id == "launch_target"  # from params_file
        # Two clicks on the camera topic's <image>_mouse_left (rqt_image_view) start target 2.
        clicks.publish(Point(x=100.0, y=94.0))
        clicks.publish(Point(x=148.0, y=134.0))
        await pump_until(lambda: singles[-1].id == "2", 30.0, "a detection of the click-initialised target")
    finally:
        executor.shutdown()
        probe.destroy_node()
