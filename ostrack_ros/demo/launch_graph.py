"""The demo's launch description: the real ``tracker.launch.py`` plus a camera and a recorder node."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch_ros.actions import Node

from .supervisor import Topics

PACKAGE = "ostrack_ros"


@dataclass(frozen=True)
class GraphSpec:
    """Everything the launched processes need to know."""

    video_path: Path
    fps: float
    overlay_path: Path
    detections_path: Path
    weights: Optional[str] = None
    config: Optional[str] = None
    device: str = "auto"
    topics: Topics = Topics()


def tracker_launch_file() -> Path:
    """``share/ostrack_ros/launch/tracker.launch.py`` of the installed package."""
    try:
        share = Path(get_package_share_directory(PACKAGE))
    except (PackageNotFoundError, KeyError, OSError) as exc:
        raise RuntimeError(
            f"ROS package {PACKAGE} is not installed in the ament prefix ({exc}); run `make setup` first"
        ) from None
    path = share / "launch" / "tracker.launch.py"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `make setup` to install the launch files")
    return path


def demo_launch_description(spec: GraphSpec, on_process_exit: Callable) -> LaunchDescription:
    """tracker.launch.py (camera topic, model, device) + video_publisher + recorder; every process
    exit is reported to ``on_process_exit(event, context)``, which may return launch actions."""
    tracker_args = {"image": spec.topics.image, "device": spec.device}
    if spec.weights:
        tracker_args["weights"] = spec.weights
    if spec.config:
        tracker_args["config"] = spec.config
    camera = Node(
        package=PACKAGE,
        executable="video_publisher",
        name="demo_camera",
        output="screen",
        parameters=[
            {
                "path": str(spec.video_path),
                "fps": float(spec.fps),
                "loop": False,
                "frame_id": "camera",
                "encoding": "rgb8",
                # the tracker and the demo supervisor: play nothing to an unready graph
                "wait_for_subscribers": 2,
            }
        ],
        remappings=[("image", spec.topics.image)],
    )
    recorder = Node(
        package=PACKAGE,
        executable="recorder",
        name="demo_recorder",
        output="screen",
        parameters=[
            {
                "video_path": str(spec.overlay_path),
                "detections_path": str(spec.detections_path),
                "fps": float(spec.fps),
            }
        ],
        remappings=[("debug_image", spec.topics.debug_image), ("detections", spec.topics.detections)],
    )
    return LaunchDescription(
        [
            RegisterEventHandler(OnProcessExit(on_exit=on_process_exit)),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(str(tracker_launch_file())),
                launch_arguments=tracker_args.items(),
            ),
            camera,
            recorder,
        ]
    )
