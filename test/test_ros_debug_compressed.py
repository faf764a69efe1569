"""debug_image/compressed: a JPEG of the overlay with the frame's header, encoded only while it has a
subscriber; with no debug subscriber at all the overlay is not drawn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import require_ros

require_ros()

from sensor_msgs.msg import CompressedImage  # noqa: E402

import ostrack_ros.ros.debug_output as debug_output  # noqa: E402
from ros_harness import FRAME_ID, KEEP_PUBLISHING, MS, Harness, stamp_ns, tiny_sequence, tiny_tracker  # noqa: E402

pytestmark = pytest.mark.ros


@pytest.fixture
def harness(ros):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING, name="debug_compressed")
    yield h
    h.close()


def test_the_overlay_is_drawn_only_for_a_subscriber_and_the_jpeg_only_for_its_own(harness, monkeypatch):
    frames = tiny_sequence()["frames"]
    drawn, raw_encoded = [], []
    draw = harness.node._debug_image
    monkeypatch.setattr(harness.node, "_debug_image", lambda *a: drawn.append(1) or draw(*a))
    encode = debug_output.rgb_to_image
    monkeypatch.setattr(debug_output, "rgb_to_image", lambda *a: raw_encoded.append(1) or encode(*a))

    harness.track_frame(frames[0], 100 * MS)
    assert drawn == []  # nobody subscribes to either debug topic: no overlay work at all

    jpegs = []
    harness.probe.create_subscription(CompressedImage, "debug_image/compressed", jpegs.append, 10)
    harness.wait_for(
        lambda: harness.node.count_subscribers("debug_image/compressed") > 0, what="the compressed subscriber"
    )
    harness.set_params(debug_jpeg_quality=90)
    harness.track_frame(frames[1], 200 * MS)
    harness.wait_for(lambda: any(stamp_ns(m.header) == 200 * MS for m in jpegs), what="a JPEG")
    msg = next(m for m in jpegs if stamp_ns(m.header) == 200 * MS)
    assert msg.header.frame_id == FRAME_ID and "jpeg" in msg.format
    decoded = cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == frames[1].shape
    assert drawn and raw_encoded == []  # the raw debug_image has no subscriber: never converted


def test_jpeg_quality_is_a_checked_dynamic_parameter(harness):
    assert not harness.set_params(debug_jpeg_quality=0)[0].successful
    assert harness.set_params(debug_jpeg_quality=50)[0].successful
    assert harness.node.params.debug_jpeg_quality == 50
