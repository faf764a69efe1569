"""Marking takes as long as a person needs: an init on a frame 10 s old (sent on init_frame, long gone
from the camera buffer) starts tracking on the target although it moved beyond one search window."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_ros

require_ros()

from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from long_term_helpers import LONG_TERM_PARAMS, MARKED, MARKED_BACK, demo_tracker, marked_far_scene  # noqa: E402
from ostrack_ros.evaluation.metrics import iou  # noqa: E402
from ostrack_ros.ros.conversions import rgb_to_image  # noqa: E402
from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ros_harness import Harness, header  # noqa: E402

pytestmark = pytest.mark.ros
MS = 1_000_000
PERIOD = 33 * MS  # a 30 Hz camera
MARK, BACK = MARKED, MARKED_BACK


def _box(det):
    w, h = det.bbox.size_x, det.bbox.size_y
    return (det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2, w, h)


def _centre(box):
    return np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])


def test_a_mark_ten_seconds_old_starts_tracking_on_the_target_that_moved_away(ros):
    seq = marked_far_scene()
    boxes = np.asarray(seq.boxes)
    assert np.linalg.norm(_centre(boxes[BACK]) - _centre(boxes[MARK])) > 4 * np.sqrt(boxes[MARK][2:].prod())
    h = Harness(demo_tracker(), dict(LONG_TERM_PARAMS, image_reliability="reliable", image_queue_depth=5))
    frame_pub = h.probe.create_publisher(
        Image, "init_frame", QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
    )
    try:
        assert h.node.params.redetect is False  # relocation after an old mark needs no opt-in
        h.wait_for(lambda: frame_pub.get_subscription_count() > 0, what="init_frame discovery")
        marked_ns, camera_ns = 1000 * MS, 11_000 * MS  # the camera runs on 10 s after the mark
        for k in range(3):  # frame_buffer_size frames later the marked one is long gone from the buffer
            h.track_frame(seq.frames[BACK + k], camera_ns + k * PERIOD)
        # what select_target sends: the frozen frame, then the box, both with the frozen frame's header
        frame_pub.publish(rgb_to_image(seq.frames[MARK], header(marked_ns)))
        h.send_init(tuple(boxes[MARK]), marked_ns)
        accepted = h.wait_for_event("init_accepted")
        assert accepted["message"] == "LOST" and "10.1 s ago, searching" in accepted["reason"], accepted
        assert h.node.state is TrackState.LOST  # nothing is published until the target is found
        published = {}
        for t in range(BACK + 3, len(seq.frames)):
            array = h.track_frame(seq.frames[t], camera_ns + (t - BACK) * PERIOD)
            if array.detections:
                published[t] = _box(array.detections[0])
    finally:
        h.close()
    # found once a whole-view pass and its re-check are done (15 frames with the default 2 tiles)
    assert published and min(published) - (BACK + 3) <= 20
    assert sorted(published) == list(range(min(published), len(seq.frames)))  # and tracked from there
    for t, box in published.items():
        assert iou(np.array([box]), boxes[t][None])[0] > 0.5, t
