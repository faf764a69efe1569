"""Loud failures of the installed tracker.launch.py: `ros2 launch` exits non-zero when the node dies on
a start-up error or params_file is missing; and the Fast DDS profile is set unless the user set one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_ros

require_ros()

from ament_index_python.packages import get_package_share_directory  # noqa: E402
from launch import LaunchContext  # noqa: E402
from launch.actions import SetEnvironmentVariable  # noqa: E402

from ostrack_ros.ros.middleware import PROFILE_ENV_VARS, profile_environment, use_large_frames_profile  # noqa: E402

pytestmark = pytest.mark.ros


def ros2_launch(*arguments: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """``ros2 launch ostrack_ros tracker.launch.py ARGS`` from this venv (the installed package)."""
    ros2 = Path(sys.executable).parent / "ros2"
    return subprocess.run(
        [str(ros2), "launch", "ostrack_ros", "tracker.launch.py", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def test_launch_exits_non_zero_when_the_node_fails_to_start():
    result = ros2_launch("weights:=/nonexistent/OSTrack_ep0300.pth.tar", "device:=cpu")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "weights file not found: /nonexistent/OSTrack_ep0300.pth.tar" in output
    assert "tracker_node exited with code 1" in output


def test_launch_refuses_a_missing_params_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = ros2_launch(f"params_file:={missing}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"params_file not found: {missing}" in output
    assert "process started" not in output  # refused before starting the node


def _launch_module():
    path = Path(get_package_share_directory("ostrack_ros")) / "launch" / "tracker.launch.py"
    spec = importlib.util.spec_from_file_location("tracker_launch_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch_actions(**arguments: str) -> tuple:
    """(context, actions) tracker.launch.py's node function returns for these launch arguments."""
    module = _launch_module()
    context = LaunchContext()
    for argument in module.generate_launch_description().entities[:-1]:  # the DeclareLaunchArguments
        default = argument.default_value[0].perform(context)
        context.launch_configurations[argument.name] = arguments.get(argument.name, default)
    return context, module._tracker_node(context)


def test_launch_takes_max_targets_as_an_integer():
    _launch_actions(max_targets="3")  # a parameter of type integer, not the string "3"
    with pytest.raises(RuntimeError, match="max_targets must be an integer, got 'three'"):
        _launch_actions(max_targets="three")


def _environment_actions(monkeypatch, environment: dict) -> dict:
    """{name: value} of the SetEnvironmentVariable actions tracker.launch.py returns when the
    process environment holds ``environment`` (launch's context environment is os.environ)."""
    for name in PROFILE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    context, actions = _launch_actions()
    return {
        a.name[0].perform(context): a.value[0].perform(context)
        for a in actions
        if isinstance(a, SetEnvironmentVariable)
    }


def test_launch_file_sets_the_large_frames_profile_unless_the_user_chose_one(monkeypatch):
    set_vars = _environment_actions(monkeypatch, {})
    assert set(set_vars) == set(PROFILE_ENV_VARS)
    profile = next(iter(set_vars.values()))
    assert profile.endswith("config/fastdds_large_frames.xml") and Path(profile).is_file()
    assert "<segment_size>33554432</segment_size>" in Path(profile).read_text()
    assert _environment_actions(monkeypatch, {"FASTRTPS_DEFAULT_PROFILES_FILE": "/mine.xml"}) == {}
    assert _environment_actions(monkeypatch, {"FASTDDS_DEFAULT_PROFILES_FILE": "/mine.xml"}) == {}


def test_executables_apply_the_profile_only_where_none_is_set():
    env = {}
    assert set(use_large_frames_profile(env)) == set(PROFILE_ENV_VARS) and env
    mine = {"FASTRTPS_DEFAULT_PROFILES_FILE": "/mine.xml"}
    assert use_large_frames_profile(mine) == {} and mine == {"FASTRTPS_DEFAULT_PROFILES_FILE": "/mine.xml"}
    assert profile_environment({}, None) == {}  # no profile installed: nothing to set
