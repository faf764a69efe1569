"""The package's Fast DDS profile for camera-sized frames, and how a process adopts it.

Fast DDS reads its default XML profile file from an environment variable when the first participant
is created, so every executable and launch file of this package sets it before ``rclpy.init`` /
before starting nodes, unless the user already named a profile file of their own (theirs wins).
ROS-free apart from the ament index lookup.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, MutableMapping, Optional

PACKAGE = "ostrack_ros"
PROFILE_NAME = "fastdds_large_frames.xml"
#: Fast DDS 2.x (Humble, Jazzy) reads the first, Fast DDS 3.x (Kilted) the second.
PROFILE_ENV_VARS = ("FASTRTPS_DEFAULT_PROFILES_FILE", "FASTDDS_DEFAULT_PROFILES_FILE")


def large_frames_profile() -> Optional[str]:
    """Path of the installed ``config/fastdds_large_frames.xml`` (the source tree's when not installed)."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        try:
            candidate = Path(get_package_share_directory(PACKAGE)) / "config" / PROFILE_NAME
            if candidate.is_file():
                return str(candidate)
        except (PackageNotFoundError, KeyError, ValueError, OSError):  # OSError: no ament prefix
            pass
    except ImportError:
        pass
    source_tree = Path(__file__).resolve().parents[2] / "config" / PROFILE_NAME
    return str(source_tree) if source_tree.is_file() else None


def profile_environment(environ: MutableMapping[str, str], profile: Optional[str]) -> Dict[str, str]:
    """The variables to set so Fast DDS loads ``profile``: none when the user set either variable."""
    if profile is None or any(environ.get(name) for name in PROFILE_ENV_VARS):
        return {}
    return dict.fromkeys(PROFILE_ENV_VARS, profile)


def use_large_frames_profile(environ: Optional[MutableMapping[str, str]] = None) -> Dict[str, str]:
    """Apply ``profile_environment`` to ``environ`` (default: this process); returns what was set.

    Call it before ``rclpy.init``: Fast DDS reads the variable once per process."""
    environ = os.environ if environ is None else environ
    changes = profile_environment(environ, large_frames_profile())
    environ.update(changes)
    return changes


__all__ = [
    "PROFILE_ENV_VARS",
    "PROFILE_NAME",
    "large_frames_profile",
    "profile_environment",
    "use_large_frames_profile",
]
