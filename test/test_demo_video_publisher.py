"""The video_publisher node over real rclpy pub/sub: frame count, stamps, encodings, loop, errors."""

from __future__ import annotations

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

from ostrack_ros.ros.video_publisher import SourceError, VideoPublisher  # noqa: E402

pytestmark = pytest.mark.ros


def _frames(n: int, h: int = 24, w: int = 32) -> list:
    """Distinct BGR frames: frame i has blue = 10 * i and a red bar in column i."""
    frames = []
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[..., 0] = 10 * i
        frame[:, i, 2] = 255
        frames.append(frame)
    return frames


def _play(context, **params) -> tuple:
    """Run a VideoPublisher with ``params`` until it is done; return (node, received messages)."""
    overrides = [Parameter(k, value=v) for k, v in params.items()]
    pub = VideoPublisher(context=context, parameter_overrides=overrides)
    sub_node = rclpy.create_node("video_sink", context=context)
    received = []
    sub_node.create_subscription(Image, "image", received.append, 50)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(pub)
    executor.add_node(sub_node)
    deadline = time.monotonic() + 20.0
    while not pub.done and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    until = time.monotonic() + 20.0  # a bound for a hung graph only: the loop ends on the last message
    while len(received) < pub.published and time.monotonic() < until:
        executor.spin_once(timeout_sec=0.05)
    executor.shutdown()
    sub_node.destroy_node()
    pub.destroy_node()
    return pub, received


def test_folder_publishes_every_frame_in_order_with_increasing_stamps(tmp_path, ros_context):
    for i, frame in enumerate(_frames(12)):  # names sort naturally: f2 before f10
        cv2.imwrite(str(tmp_path / f"f{i}.png"), frame)
    pub, msgs = _play(
        ros_context, path=str(tmp_path), fps=200, encoding="rgb8", frame_id="cam_left", wait_for_subscribers=1
    )
    assert pub.published == 12 and len(msgs) == 12
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in msgs]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))
    assert abs(stamps[-1] / 1e9 - time.time()) < 30  # wall-clock stamps, like a camera
    assert {m.header.frame_id for m in msgs} == {"cam_left"}
    for i, m in enumerate(msgs):
        assert (m.encoding, m.height, m.width) == ("rgb8", 24, 32)
        rgb = np.frombuffer(m.data, np.uint8).reshape(24, 32, 3)
        assert rgb[0, 0, 2] == 10 * i and rgb[5, i, 0] == 255  # blue channel, red bar: frame i


def test_video_file_loop_and_max_frames(tmp_path, ros_context):
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (32, 24))
    for frame in _frames(5):
        writer.write(frame)
    writer.release()
    pub, msgs = _play(
        ros_context, path=str(path), fps=200.0, loop=True, max_frames=13, wait_for_subscribers=1
    )
    assert pub.published == 13 and len(msgs) == 13  # 5 + 5 + 3 across two rewinds
    assert {(m.encoding, m.height, m.width) for m in msgs} == {("bgr8", 24, 32)}
    assert abs(pub.fps - 200.0) < 1e-9


def test_bad_parameters_fail_with_one_reason(tmp_path, ros_context):
    with pytest.raises(SourceError, match="'path' is required"):
        VideoPublisher(context=ros_context)
    with pytest.raises(SourceError, match="no such video file or image folder"):
        VideoPublisher(
            context=ros_context, parameter_overrides=[Parameter("path", value=str(tmp_path / "x"))]
        )
    with pytest.raises(SourceError, match="holds no images"):
        VideoPublisher(context=ros_context, parameter_overrides=[Parameter("path", value=str(tmp_path))])
    cv2.imwrite(str(tmp_path / "a.png"), _frames(1)[0])
    with pytest.raises(SourceError, match="rgb8 or bgr8"):
        VideoPublisher(
            context=ros_context,
            parameter_overrides=[
                Parameter("path", value=str(tmp_path)),
                Parameter("encoding", value="mono8"),
            ],
        )


def test_undecodable_image_is_skipped(tmp_path, ros_context):
    for i, frame in enumerate(_frames(3)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), frame)
    (tmp_path / "1.png").write_bytes(b"not a png")
    pub, msgs = _play(ros_context, path=str(tmp_path), fps=200.0, wait_for_subscribers=1)
    assert pub.published == 2 and len(msgs) == 2
