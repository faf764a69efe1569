"""Start the OSTrack tracker node on a camera topic.

    ros2 launch ostrack_ros tracker.launch.py image:=/camera/image_raw \
        weights:=OSTrack_ep0300.pth.tar config:=vitb_256_mae_ce_32x4_ep300 backend:=torch

The node's relative topics are remapped onto ``image``: it reads ``<image>`` (or
``<image>/compressed``) and takes clicks from rqt_image_view on ``<image>_mouse_left``.
Arguments left empty keep the value of ``params_file``, which must exist.

Fast DDS gets config/fastdds_large_frames.xml (camera-sized frames over shared memory) unless
FASTRTPS_DEFAULT_PROFILES_FILE / FASTDDS_DEFAULT_PROFILES_FILE already name a profile of yours.
When the node exits on its own (a start-up error: missing weights, bad config or parameter), the
launch shuts down and ``ros2 launch`` exits non-zero.
"""
from __future__ import annotations

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    OpaqueFunction,
    RegisterEventHandler,
    SetEnvironmentVariable,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from ostrack_ros.ros.middleware import large_frames_profile, profile_environment

OVERRIDABLE = ("weights", "config", "device", "precision", "backend")


def _on_tracker_exit(event, context):
    """The node ended while the launch was running: a failure makes the launch fail (non-zero)."""
    if context.is_shutdown:  # stopping on request (Ctrl-C, the launch ending): whatever the code
        return None
    if event.returncode != 0:  # launch turns an exception in a handler into exit status 1
        raise RuntimeError(f"tracker_node exited with code {event.returncode} (see its error line above)")
    return [EmitEvent(event=Shutdown(reason="tracker_node exited"))]


def _tracker_node(context, *args, **kwargs):
    params_file = os.path.expanduser(LaunchConfiguration("params_file").perform(context))
    if not os.path.isfile(params_file):
        raise RuntimeError(f"params_file not found: {params_file}")
    values = {name: LaunchConfiguration(name).perform(context) for name in OVERRIDABLE}
    overrides = {name: value for name, value in values.items() if value}
    use_sim_time = LaunchConfiguration("use_sim_time").perform(context).lower() in ("true", "1")
    overrides["use_sim_time"] = use_sim_time
    image = LaunchConfiguration("image").perform(context).rstrip("/") or "image"
    environment = [SetEnvironmentVariable(name, value) for name, value
                   in profile_environment(context.environment, large_frames_profile()).items()]
    node = Node(
        package="ostrack_ros",
        executable="tracker_node",
        name="ostrack_tracker",
        namespace=LaunchConfiguration("namespace").perform(context),
        parameters=[params_file, overrides],
        remappings=[("image", image), ("image/compressed", image + "/compressed"),
                    ("init_point", image + "_mouse_left")],
        output="screen",
        emulate_tty=True,
    )
    on_exit = RegisterEventHandler(OnProcessExit(target_action=node, on_exit=_on_tracker_exit))
    return [*environment, node, on_exit]


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("ostrack_ros")
    return LaunchDescription([
        DeclareLaunchArgument("weights", default_value="",
                              description="Checkpoint file; empty = params_file value (demo model if unset)"),
        DeclareLaunchArgument("config", default_value="",
                              description="Experiment YAML or preset name; empty = params_file value"),
        DeclareLaunchArgument("image", default_value="/camera/image_raw",
                              description="Camera image topic"),
        DeclareLaunchArgument("device", default_value="",
                              description="auto | cpu | cuda | cuda:N; empty = params_file value"),
        DeclareLaunchArgument("precision", default_value="",
                              description="auto | fp32 | fp16 | bf16 | int8; empty = params_file value"),
        DeclareLaunchArgument("backend", default_value="",
                              description="Inference runtime: torch | cuda-graph | torch-compile | "
                                          "onnxruntime | tensorrt; empty = params_file value (torch)"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "tracker.yaml"),
                              description="Node parameter file (must exist)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Use /clock (bag playback)"),
        OpaqueFunction(function=_tracker_node),
    ])
