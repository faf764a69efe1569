"""Launch file for the launch smoke test: runs detection_talker.py (beside it) under this interpreter."""

from __future__ import annotations

import sys
from pathlib import Path

from launch import LaunchDescription
from launch.actions import ExecuteProcess


def generate_launch_description() -> LaunchDescription:
    talker = Path(__file__).with_name("detection_talker.py")
    return LaunchDescription(
        [
            ExecuteProcess(
                cmd=[sys.executable, str(talker)],
                name="detection_talker",
                output="screen",
                cached_output=True,
                sigterm_timeout="5",
            ),
        ]
    )
