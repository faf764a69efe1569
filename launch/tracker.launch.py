"""Start the OSTrack tracker node on a camera topic.

    ros2 launch ostrack_ros tracker.launch.py image:=/camera/image_raw \
        weights:=OSTrack_ep0300.pth.tar config:=vitb_256_mae_ce_32x4_ep300

The node's relative topics are remapped onto ``image``: it reads ``<image>`` (or
``<image>/compressed``) and takes clicks from rqt_image_view on ``<image>_mouse_left``.
Arguments left empty keep the value of ``params_file``.
"""
from __future__ import annotations

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

OVERRIDABLE = ("weights", "config", "device", "precision", "backend")


def _tracker_node(context, *args, **kwargs):
    values = {name: LaunchConfiguration(name).perform(context) for name in OVERRIDABLE}
    overrides = {name: value for name, value in values.items() if value}
    use_sim_time = LaunchConfiguration("use_sim_time").perform(context).lower() in ("true", "1")
    overrides["use_sim_time"] = use_sim_time
    image = LaunchConfiguration("image").perform(context).rstrip("/") or "image"
    return [Node(
        package="ostrack_ros",
        executable="tracker_node",
        name="ostrack_tracker",
        namespace=LaunchConfiguration("namespace").perform(context),
        parameters=[LaunchConfiguration("params_file").perform(context), overrides],
        remappings=[("image", image), ("image/compressed", image + "/compressed"),
                    ("init_point", image + "_mouse_left")],
        output="screen",
        emulate_tty=True,
    )]


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
                              description="torch | cuda-graph | torch-compile | onnxruntime | tensorrt; "
                                          "empty = params_file value"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "tracker.yaml"),
                              description="Node parameter file"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Use /clock (bag playback)"),
        OpaqueFunction(function=_tracker_node),
    ])
