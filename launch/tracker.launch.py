"""Start the OSTrack tracker node on a camera topic.

    ros2 launch ostrack_ros tracker.launch.py image:=/camera/image_raw \
        weights:=OSTrack_ep0300.pth.tar config:=vitb_256_mae_ce_32x4_ep300 backend:=torch

The node's relative topics are remapped onto ``image``: it reads ``<image>`` (or
``<image>/compressed``) and takes clicks from rqt_image_view on ``<image>_mouse_left``; ``camera_info``
is the camera's (``<image's folder>/camera_info`` unless given) and ``depth`` an aligned depth image
(with ``spatial_input:=camera_info|depth``). Arguments left empty keep the value of ``params_file``,
which must exist.

``use_lifecycle:=true`` starts the managed node (``tracker_lifecycle_node``, unconfigured); with
``autostart:=true`` (the default) the launch configures it and, once configured, activates it, as
nav2's lifecycle manager does. ``ros2 lifecycle set/get`` drive and show it after that.

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
from launch.events import Shutdown, matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition

from ostrack_ros.ros.middleware import large_frames_profile, profile_environment

OVERRIDABLE = ("weights", "config", "device", "precision", "backend", "spatial_input", "max_targets")
INTEGER_ARGUMENTS = ("max_targets",)


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
    for name in INTEGER_ARGUMENTS:
        if name in overrides:
            try:
                overrides[name] = int(overrides[name])
            except ValueError:
                raise RuntimeError(f"{name} must be an integer, got '{overrides[name]}'") from None
    use_sim_time = LaunchConfiguration("use_sim_time").perform(context).lower() in ("true", "1")
    overrides["use_sim_time"] = use_sim_time
    image = LaunchConfiguration("image").perform(context).rstrip("/") or "image"
    camera_info = LaunchConfiguration("camera_info").perform(context) or os.path.join(
        os.path.dirname(image), "camera_info"
    )
    remappings = [
        ("image", image),
        ("image/compressed", image + "/compressed"),
        ("init_point", image + "_mouse_left"),
        ("camera_info", camera_info),
    ]
    depth = LaunchConfiguration("depth").perform(context)
    if depth:
        remappings.append(("depth", depth))
    environment = [
        SetEnvironmentVariable(name, value)
        for name, value in profile_environment(context.environment, large_frames_profile()).items()
    ]
    settings = {
        "package": "ostrack_ros",
        "name": "ostrack_tracker",
        "namespace": LaunchConfiguration("namespace").perform(context),
        "parameters": [params_file, overrides],
        "remappings": remappings,
        "output": "screen",
        "emulate_tty": True,
    }
    if _flag(context, "use_lifecycle"):
        node = LifecycleNode(executable="tracker_lifecycle_node", **settings)
        startup = _autostart(node) if _flag(context, "autostart") else []
    else:
        node, startup = Node(executable="tracker_node", **settings), []
    on_exit = RegisterEventHandler(OnProcessExit(target_action=node, on_exit=_on_tracker_exit))
    return [*environment, node, on_exit, *startup]


def _flag(context, name: str) -> bool:
    value = LaunchConfiguration(name).perform(context).strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise RuntimeError(f"{name} must be true or false, got '{value}'")
    return value in ("true", "1")


def _autostart(node: LifecycleNode) -> list:
    """Configure the managed node now and activate it once its first configure succeeded."""

    def transition(transition_id: int) -> EmitEvent:
        return EmitEvent(
            event=ChangeState(lifecycle_node_matcher=matches_action(node), transition_id=transition_id)
        )

    activate = OnStateTransition(
        target_lifecycle_node=node,
        start_state="configuring",
        goal_state="inactive",
        entities=[transition(Transition.TRANSITION_ACTIVATE)],
        handle_once=True,
    )
    return [RegisterEventHandler(activate), transition(Transition.TRANSITION_CONFIGURE)]


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("ostrack_ros")
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "weights",
                default_value="",
                description="Checkpoint file; empty = params_file value (demo model if unset)",
            ),
            DeclareLaunchArgument(
                "config",
                default_value="",
                description="Experiment YAML or preset name; empty = params_file value",
            ),
            DeclareLaunchArgument(
                "image", default_value="/camera/image_raw", description="Camera image topic"
            ),
            DeclareLaunchArgument(
                "device",
                default_value="",
                description="auto | cpu | cuda | cuda:N; empty = params_file value",
            ),
            DeclareLaunchArgument(
                "precision",
                default_value="",
                description="auto | fp32 | fp16 | bf16 | int8; empty = params_file value",
            ),
            DeclareLaunchArgument(
                "backend",
                default_value="",
                description="Inference runtime: torch | cuda-graph | torch-compile | "
                "onnxruntime | tensorrt; empty = params_file value (torch)",
            ),
            DeclareLaunchArgument(
                "params_file",
                default_value=os.path.join(share, "config", "tracker.yaml"),
                description="Node parameter file (must exist)",
            ),
            DeclareLaunchArgument(
                "camera_info",
                default_value="",
                description="CameraInfo topic; empty = <image's folder>/camera_info",
            ),
            DeclareLaunchArgument(
                "depth",
                default_value="",
                description="Depth image aligned to image (16UC1 mm / 32FC1 m), for spatial_input:=depth",
            ),
            DeclareLaunchArgument(
                "spatial_input",
                default_value="",
                description="none | camera_info (bearing) | depth (3-D point); empty = params_file value",
            ),
            DeclareLaunchArgument(
                "max_targets",
                default_value="",
                description="Targets tracked at once (init Detection2D.id names each); "
                "empty = params_file value (1)",
            ),
            DeclareLaunchArgument(
                "use_lifecycle",
                default_value="false",
                description="Start the managed (lifecycle) node instead of the plain one",
            ),
            DeclareLaunchArgument(
                "autostart",
                default_value="true",
                description="With use_lifecycle: configure and activate at launch",
            ),
            DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node"),
            DeclareLaunchArgument(
                "use_sim_time", default_value="false", description="Use /clock (bag playback)"
            ),
            OpaqueFunction(function=_tracker_node),
        ]
    )
