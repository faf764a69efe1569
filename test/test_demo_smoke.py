"""``python -m ostrack_ros.demo`` end to end on a very short synthetic video with the tiny model.

Runs the installed package (``make setup``): video_publisher -> tracker.launch.py -> recorder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import pytest

from conftest import REPO_ROOT, require_ros

require_ros()

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory  # noqa: E402

pytestmark = pytest.mark.ros


def _installed() -> bool:
    try:
        share = get_package_share_directory("ostrack_ros")
    except (PackageNotFoundError, KeyError, OSError):
        return False
    return os.path.isfile(os.path.join(share, "launch", "tracker.launch.py"))


@pytest.mark.skipif(not _installed(), reason="ostrack_ros is not installed in the venv (run `make setup`)")
def test_demo_runs_the_ros_graph_and_reports(tmp_path, reference_dir):
    frames = 16
    env = dict(os.environ, ROS_DOMAIN_ID=str(60 + os.getpid() % 40))  # a graph of its own
    cmd = [
        sys.executable,
        "-m",
        "ostrack_ros.demo",
        "--out",
        str(tmp_path / "out"),
        "--frames",
        str(frames),
        "--fps",
        "20",
        "--device",
        "cpu",
        "--timeout",
        "100",
        "--weights",
        str(reference_dir / "tiny" / "checkpoint.pth.tar"),
        "--config",
        str(reference_dir / "tiny" / "config.yaml"),
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=150)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    for field in ("frames ", "fps ", "mean IoU ", "latency "):
        assert f"\n{field}" in proc.stdout, out[-4000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["frames_published"] == frames
    assert 1 <= summary["frames_tracked"] <= summary["frames_processed"] <= frames
    assert summary["frames_received_by_tracker"] == frames - summary["frames_lost_in_transport"]
    assert summary["frames_skipped_by_tracker"] >= 0
    assert summary["latency_p50_ms"] > 0 and summary["mean_iou"] is not None
    capture = cv2.VideoCapture(str(tmp_path / "out" / "overlay.mp4"))
    ok, frame = capture.read()
    assert ok and frame.shape == (240, 320, 3), out[-4000:]
    assert cv2.imread(str(tmp_path / "out" / "still.png")) is not None
