"""The node started through tracker.launch.py with ``backend:=onnxruntime`` (tiny fixture model on
CPU): it exports the graphs on start, then answers frames and tracks after an init box."""

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
from launch import LaunchDescription  # noqa: E402
from launch.actions import IncludeLaunchDescription, SetEnvironmentVariable  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from vision_msgs.msg import Detection2D, Detection2DArray  # noqa: E402

from ostrack_ros.ros.conversions import make_detection, rgb_to_image  # noqa: E402

pytestmark = pytest.mark.ros
TINY = os.path.join(os.environ["OSTRACK_REFERENCE_DIR"], "tiny")
CAMERA = "/export_launch_cam/image_raw"
NAMESPACE = "export_launch"


@pytest.fixture
def params_file(tmp_path):
    """Defaults plus: never declare the (randomly weighted) tiny model's target lost."""
    path = tmp_path / "tracker_backend.yaml"
    path.write_text(
        "/**:\n  ros__parameters:\n    lost_score_threshold: 0.0\n    reacquire_score_threshold: 0.0\n"
    )
    return str(path)


@launch_pytest.fixture
def onnxruntime_launch(params_file, tmp_path):
    path = os.path.join(get_package_share_directory("ostrack_ros"), "launch", "tracker.launch.py")
    return LaunchDescription(
        [
            SetEnvironmentVariable("OSTRACK_CACHE_DIR", str(tmp_path / "cache")),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(path),
                launch_arguments={
                    "weights": os.path.join(TINY, "checkpoint.pth.tar"),
                    "config": os.path.join(TINY, "config.yaml"),
                    "image": CAMERA,
                    "device": "cpu",
                    "backend": "onnxruntime",
                    "namespace": NAMESPACE,
                    "params_file": params_file,
                }.items(),
            ),
            launch_pytest.actions.ReadyToTest(),
        ]
    )


@pytest.mark.launch(fixture=onnxruntime_launch)
async def test_node_tracks_with_the_onnxruntime_backend(ros_context, tmp_path):
    with np.load(os.path.join(TINY, "tracker_sequence.npz")) as data:
        frames, init_box = data["frames"], tuple(float(v) for v in data["init_box"])
    probe = rclpy.create_node("export_launch_probe", context=ros_context)
    arrays, singles = [], []
    probe.create_subscription(Detection2DArray, f"/{NAMESPACE}/detections", arrays.append, 50)
    probe.create_subscription(Detection2D, f"/{NAMESPACE}/detection", singles.append, 50)
    images = probe.create_publisher(Image, CAMERA, 10)
    init = probe.create_publisher(Detection2D, f"/{NAMESPACE}/init", 10)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(probe)
    count = {"t": 0}

    async def pump_until(done, timeout, what):
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            msg = rgb_to_image(frames[count["t"] % len(frames)], None)
            msg.header.stamp = probe.get_clock().now().to_msg()
            msg.header.frame_id = "export_cam"
            images.publish(msg)
            count["t"] += 1
            for _ in range(10):
                executor.spin_once(timeout_sec=0)
                await asyncio.sleep(0.01)  # hand control back to the launch event loop

    try:
        await pump_until(lambda: arrays, 120.0, "the first detections array (graphs exported)")
        assert list((tmp_path / "cache" / "onnx").glob("*/frame.onnx")), "the node did not use onnxruntime"
        for _ in range(6):  # a loaded machine can delay the init past its frame: send it again
            init.publish(make_detection(arrays[-1].header, init_box, 1.0, "user", ""))
            retry_at = time.monotonic() + 10.0
            await pump_until(
                lambda t=retry_at: len(singles) >= 3 or time.monotonic() > t, 15.0, "detections after init"
            )
            if len(singles) >= 3:
                break
        assert len(singles) >= 3, "no detections within 60 s of the init"
        assert singles[-1].header.frame_id == "export_cam"
        assert all(np.isfinite(d.bbox.size_x) and d.bbox.size_x > 0 for d in singles)
    finally:
        executor.shutdown()
        probe.destroy_node()
