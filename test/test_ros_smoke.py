"""ROS plumbing smoke tests: rclpy pub/sub of Detection2D, the installed package, a launch_pytest run."""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import require_ros

require_ros()

import launch_pytest  # noqa: E402
import rclpy  # noqa: E402
from launch import LaunchDescription  # noqa: E402
from launch.actions import ExecuteProcess  # noqa: E402
from launch.launch_description_sources import get_launch_description_from_python_launch_file  # noqa: E402
from launch_pytest.tools import process as process_tools  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from vision_msgs.msg import Detection2D, ObjectHypothesisWithPose  # noqa: E402

pytestmark = pytest.mark.ros

REPO_ROOT = Path(__file__).resolve().parents[1]
ROS_EXECUTABLES = {"tracker_node", "tracker_lifecycle_node", "select_target", "video_publisher", "recorder"}
CONSOLE_SCRIPTS = {"ostrack-track", "ostrack-convert", "ostrack-train", "ostrack-eval", "ostrack-export"}
TALKER_LAUNCH = Path(__file__).parent / "launch_files" / "detection_talker.launch.py"


def make_detection() -> Detection2D:
    msg = Detection2D()
    msg.header.stamp.sec, msg.header.stamp.nanosec = 1234, 567_000_000
    msg.header.frame_id = "camera_optical"
    msg.bbox.center.position.x, msg.bbox.center.position.y = 101.5, 42.25
    msg.bbox.size_x, msg.bbox.size_y = 30.0, 20.0
    hypothesis = ObjectHypothesisWithPose()
    hypothesis.hypothesis.class_id, hypothesis.hypothesis.score = "target", 0.875
    msg.results.append(hypothesis)
    return msg


def spin_until(executor: SingleThreadedExecutor, done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)


def test_detection2d_round_trip_between_two_nodes(ros_context):
    """A Detection2D published by one node arrives intact (header, box, hypothesis) at another."""
    talker = rclpy.create_node("smoke_talker", context=ros_context)
    listener = rclpy.create_node("smoke_listener", context=ros_context)
    received: list[Detection2D] = []
    listener.create_subscription(Detection2D, "smoke_detections", received.append, 10)
    publisher = talker.create_publisher(Detection2D, "smoke_detections", 10)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(talker)
    executor.add_node(listener)
    try:
        spin_until(executor, lambda: publisher.get_subscription_count() > 0, timeout=10.0)
        sent = make_detection()
        deadline = time.monotonic() + 10.0
        while not received and time.monotonic() < deadline:
            publisher.publish(sent)
            spin_until(executor, lambda: bool(received), timeout=0.2)
    finally:
        executor.shutdown()
        talker.destroy_node()
        listener.destroy_node()
    assert received, "no Detection2D arrived within 10 s"
    assert received[0] == sent


def run_ros2(*args: str) -> str:
    """Run the venv's ros2 CLI (the one `make setup` installed) and return its stdout."""
    ros2 = Path(sys.executable).with_name("ros2")
    result = subprocess.run([str(ros2), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"ros2 {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_ros2_pkg_finds_the_installed_package():
    """`ros2 pkg prefix` finds ostrack_ros in the venv, with package.xml and all five ROS executables."""
    prefix = Path(run_ros2("pkg", "prefix", "ostrack_ros").strip())
    assert (prefix / "share" / "ostrack_ros" / "package.xml").is_file()
    listed = {line.split()[1] for line in run_ros2("pkg", "executables", "ostrack_ros").splitlines()}
    assert listed == ROS_EXECUTABLES


def test_every_executable_runs_an_existing_main():
    """scripts/<node> and the console scripts each name a module whose main() exists."""
    from importlib import metadata

    targets = {}
    for name in ROS_EXECUTABLES:
        script = (REPO_ROOT / "scripts" / name).read_text()
        targets[name] = re.search(r"^from (\S+) import main$", script, re.MULTILINE).group(1) + ":main"
    entry_points = metadata.distribution("ostrack_ros").entry_points.select(group="console_scripts")
    targets.update({ep.name: ep.value for ep in entry_points})
    assert set(targets) == ROS_EXECUTABLES | CONSOLE_SCRIPTS
    broken = {}
    for name, target in sorted(targets.items()):
        module, _, function = target.partition(":")
        try:
            if not callable(getattr(importlib.import_module(module), function, None)):
                broken[name] = f"{target}: no callable {function}"
        except ImportError as exc:
            broken[name] = f"{target}: {exc}"
    assert not broken, broken


@pytest.fixture
def talker_launch() -> LaunchDescription:
    """The smoke launch file, loaded the way `ros2 launch` loads a Python launch file."""
    return get_launch_description_from_python_launch_file(str(TALKER_LAUNCH))


@pytest.fixture
def talker(talker_launch: LaunchDescription) -> ExecuteProcess:
    return next(entity for entity in talker_launch.entities if isinstance(entity, ExecuteProcess))


@launch_pytest.fixture
def launch_description(talker_launch: LaunchDescription) -> LaunchDescription:
    return LaunchDescription([talker_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=launch_description)
async def test_launch_file_starts_a_detection_publisher(talker, launch_context, ros_context):
    """The launched process reports on stdout and its Detection2D reaches a subscriber in this test."""
    assert await process_tools.wait_for_output(
        launch_context, talker, lambda out: "detection_talker: publishing" in out, timeout=30
    ), talker.get_stdout()

    listener = rclpy.create_node("smoke_launch_listener", context=ros_context)
    received: list[Detection2D] = []
    listener.create_subscription(Detection2D, "detections", received.append, 10)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(listener)
    try:
        deadline = time.monotonic() + 30.0
        while not received and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0)
            await asyncio.sleep(0.05)  # hand control back to the launch event loop
    finally:
        executor.shutdown()
        listener.destroy_node()
    assert received, "no Detection2D from the launched process within 30 s"
    msg = received[0]
    assert msg.header.frame_id == "smoke_camera"
    assert (msg.bbox.size_x, msg.bbox.size_y) == (64.0, 48.0)
    assert [(r.hypothesis.class_id, r.hypothesis.score) for r in msg.results] == [("target", 0.75)]
