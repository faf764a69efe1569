"""tracker.launch.py end to end: the installed launch file starts the node (tiny fixture model) in a
namespace on a remapped camera topic; frames in, init by Detection2D and by clicks, detections out."""

from __future__ import annotations

import pytest

from conftest import require_ros

require_ros()

import launch_pytest  # noqa: E402
from geometry_msgs.msg import Point  # noqa: E402

from launch_helpers import TINY_MODEL, LaunchProbe, tracker_launch_description, write_params_file  # noqa: E402
from ostrack_ros.ros.conversions import make_detection  # noqa: E402

pytestmark = pytest.mark.ros
CAMERA = "/launch_test_cam/image_raw"
NAMESPACE = "launch_test"


@pytest.fixture
def params_file(tmp_path):
    return write_params_file(tmp_path, "    class_id: launch_target\n")


@launch_pytest.fixture
def tracker_launch(params_file):
    return tracker_launch_description(
        **TINY_MODEL, image=CAMERA, namespace=NAMESPACE, params_file=params_file
    )


@pytest.mark.launch(fixture=tracker_launch)
async def test_frames_in_detections_out_through_the_launch_file(ros_context):
    probe = LaunchProbe(
        ros_context, "launch_test_probe", CAMERA, NAMESPACE, f"/{NAMESPACE}/init", "launch_cam"
    )
    init_box, arrays, singles, sent = probe.init_box, probe.arrays, probe.singles, probe.sent
    clicks = probe.node.create_publisher(Point, CAMERA + "_mouse_left", 10)
    init, pump_until = probe.init, probe.pump_until

    try:
        # The node is up (model loaded) once it answers frames with (empty) detection arrays.
        await pump_until(lambda: arrays, 90.0, "the first detections array")
        assert arrays[-1].detections == [] and arrays[-1].header.frame_id == "launch_cam"
        # Mark the target on a frame the node has just processed (it is in its frame buffer).
        init.publish(make_detection(arrays[-1].header, init_box, 1.0, "user", ""))
        await pump_until(lambda: singles, 30.0, "a Detection2D after init")
        det = singles[-1]
        assert det.id == "1" and det.header.frame_id == "launch_cam"
        assert (det.header.stamp.sec, det.header.stamp.nanosec) in sent
        assert det.results[0].hypothesis.class_id == "launch_target"  # from params_file
        # Two clicks on the camera topic's <image>_mouse_left (rqt_image_view) start target 2.
        clicks.publish(Point(x=100.0, y=94.0))
        clicks.publish(Point(x=148.0, y=134.0))
        await pump_until(lambda: singles[-1].id == "2", 30.0, "a detection of the click-initialised target")
    finally:
        probe.close()
