"""The recorder node over real rclpy pub/sub: debug images to MP4, detections to CSV, bad input."""

from __future__ import annotations

import csv
import time

import cv2
import numpy as np
import pytest

from conftest import require_ros

require_ros()

import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Bool, Header  # noqa: E402

from ostrack_ros.ros.conversions import make_detection, make_detection_array, rgb_to_image  # noqa: E402
from ostrack_ros.ros.recorder import READY_QOS, Recorder, RecorderError  # noqa: E402

pytestmark = pytest.mark.ros


def _header(i: int) -> Header:
    header = Header(frame_id="cam")
    header.stamp.sec, header.stamp.nanosec = 100 + i, 5
    return header


def spin_until(executor, predicate, what: str, cap_s: float = 10.0) -> None:
    """Spin until ``predicate()`` holds; ``cap_s`` only guards against a hang (no timing is asserted)."""
    deadline = time.monotonic() + cap_s
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        executor.spin_once(timeout_sec=0.05)


def test_records_video_and_csv(tmp_path, ros_context):
    video, table = tmp_path / "out" / "overlay.mp4", tmp_path / "out" / "det.csv"
    recorder = Recorder(
        context=ros_context,
        parameter_overrides=[
            Parameter("video_path", value=str(video)),
            Parameter("detections_path", value=str(table)),
            Parameter("fps", value=10),
        ],
    )
    probe = rclpy.create_node("probe", context=ros_context)
    said = []  # the latched ~/ready: false until the recorded topics' publishers reach the recorder
    probe.create_subscription(Bool, "/recorder/ready", lambda msg: said.append(msg.data), READY_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(recorder)
    executor.add_node(probe)
    spin_until(executor, lambda: said, "the first ~/ready message")
    for _ in range(5):  # no publisher yet: not ready, however long it waits
        executor.spin_once(timeout_sec=0.02)
    assert said == [False] and not recorder.ready
    image_pub = probe.create_publisher(Image, "debug_image", 10)
    det_pub = probe.create_publisher(type(make_detection_array(_header(0))), "detections", 10)
    spin_until(
        executor,
        lambda: said[-1] and image_pub.get_subscription_count() and det_pub.get_subscription_count(),
        "the recorder saying it is ready",
    )
    assert said == [False, True] and recorder.ready
    frames = 6
    for i in range(frames):
        rgb = np.full((48, 64, 3), 30 * i, np.uint8)
        size = (48, 64) if i != 3 else (24, 32)  # one odd-sized frame gets resized
        image_pub.publish(rgb_to_image(np.ascontiguousarray(rgb[: size[0], : size[1]]), _header(i)))
        bad = Image(header=_header(i), height=4, width=4, encoding="rgb8", step=12)  # no data
        image_pub.publish(bad)
        tracked = (
            [make_detection(_header(i), (10.0 + i, 5.0, 20.0, 10.0), 0.75, "target", "3")]
            if i % 2 == 0
            else []
        )
        det_pub.publish(make_detection_array(_header(i), tracked))
        executor.spin_once(timeout_sec=0.01)
    spin_until(
        executor, lambda: min(recorder.video_frames, recorder.detection_rows) >= frames, "every message"
    )
    assert (recorder.video_frames, recorder.detection_rows) == (frames, frames)
    executor.shutdown()
    probe.destroy_node()
    recorder.destroy_node()  # finalises the MP4

    capture = cv2.VideoCapture(str(video))
    decoded = []
    ok, frame = capture.read()
    while ok:
        decoded.append(frame)
        ok, frame = capture.read()
    assert len(decoded) == frames and decoded[0].shape == (48, 64, 3)
    assert abs(float(decoded[5].mean()) - 150) < 8  # lossy codec, flat grey 150

    rows = list(csv.DictReader(table.open()))
    assert len(rows) == frames
    assert rows[0] == {
        "stamp": "100.000000005",
        "frame_id": "cam",
        "tracked": "1",
        "x": "10.00",
        "y": "5.00",
        "w": "20.00",
        "h": "10.00",
        "score": "0.7500",
        "track_id": "3",
    }
    assert rows[1]["tracked"] == "0" and rows[1]["x"] == ""


def test_bad_parameters_fail_with_one_reason(tmp_path, ros_context):
    def recorder(**params):
        params.setdefault("detections_path", str(tmp_path / "d.csv"))
        overrides = [Parameter(k, value=v) for k, v in params.items()]
        return Recorder(context=ros_context, parameter_overrides=overrides)

    with pytest.raises(RecorderError, match="nothing to record"):
        recorder(video_path="", detections_path="")
    with pytest.raises(RecorderError, match="must end in"):
        recorder(video_path=str(tmp_path / "a.txt"))
    with pytest.raises(RecorderError, match="'fps' must be > 0"):
        recorder(fps=0.0)
