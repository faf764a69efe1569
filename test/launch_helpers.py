"""Shared pieces of the launch_pytest tests: the installed tracker.launch.py with the tiny fixture
model, and a params file that never declares the (randomly weighted) tiny model's target lost."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import launch_pytest
import numpy as np
import rclpy
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image
from vision_msgs.msg import Detection2D, Detection2DArray

from ostrack_ros.ros.conversions import rgb_to_image

TINY = os.path.join(os.environ["OSTRACK_REFERENCE_DIR"], "tiny")
TINY_MODEL = {
    "weights": os.path.join(TINY, "checkpoint.pth.tar"),
    "config": os.path.join(TINY, "config.yaml"),
    "device": "cpu",
}


def write_params_file(folder: Path, extra: str = "") -> str:
    """A params file: defaults, no LOST for the tiny model, plus ``extra`` YAML lines (4-space indent)."""
    path = folder / "tracker_test.yaml"
    path.write_text(
        "/**:\n  ros__parameters:\n    lost_score_threshold: 0.0\n"
        "    reacquire_score_threshold: 0.0\n" + extra
    )
    return str(path)


def tracker_launch_description(**arguments: str) -> LaunchDescription:
    """The installed tracker.launch.py with these launch arguments, then ReadyToTest."""
    path = os.path.join(get_package_share_directory("ostrack_ros"), "launch", "tracker.launch.py")
    return LaunchDescription(
        [
            IncludeLaunchDescription(PythonLaunchDescriptionSource(path), launch_arguments=arguments.items()),
            launch_pytest.actions.ReadyToTest(),
        ]
    )


class LaunchProbe:
    """A probe node inside a launch test: publishes the tiny sequence's frames (stamped now) on a camera
    topic, records the namespace's detections, and pumps ROS and the launch event loop until a
    condition holds."""

    def __init__(
        self, ros_context, name: str, camera: str, namespace: str, init_topic: str, frame_id: str
    ) -> None:
        with np.load(os.path.join(TINY, "tracker_sequence.npz")) as data:
            self.frames, self.init_box = data["frames"], tuple(float(v) for v in data["init_box"])
        self.node = rclpy.create_node(name, context=ros_context)
        self.arrays: List[Detection2DArray] = []
        self.singles: List[Detection2D] = []
        self.node.create_subscription(Detection2DArray, f"/{namespace}/detections", self.arrays.append, 50)
        self.node.create_subscription(Detection2D, f"/{namespace}/detection", self.singles.append, 50)
        self.images = self.node.create_publisher(Image, camera, 10)
        self.init = self.node.create_publisher(Detection2D, init_topic, 10)
        self.executor = SingleThreadedExecutor(context=ros_context)
        self.executor.add_node(self.node)
        self.frame_id = frame_id
        self.sent: Dict[Tuple[int, int], int] = {}  # stamp -> frame index
        self.count = 0

    def publish_frame(self) -> None:
        msg = rgb_to_image(self.frames[self.count % len(self.frames)], None)
        msg.header.stamp = self.node.get_clock().now().to_msg()
        msg.header.frame_id = self.frame_id
        self.sent[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = self.count
        self.images.publish(msg)
        self.count += 1

    async def pump_until(
        self, done: Callable[[], bool], timeout: float, what: str, send: bool = True
    ) -> None:
        """Publish a frame (unless ``send`` is False) and spin, until ``done()``; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            if send:
                self.publish_frame()
            for _ in range(10):
                self.executor.spin_once(timeout_sec=0)
                await asyncio.sleep(0.01)  # hand control back to the launch event loop

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
