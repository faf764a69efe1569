"""Tracker node with re-detection: the target leaves the view and comes back elsewhere (demo model)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_ros

require_ros()

from long_term_helpers import LONG_TERM_PARAMS, REENTRY_ABSENT, demo_tracker, reentry_sequence  # noqa: E402
from ostrack_ros.evaluation.metrics import iou  # noqa: E402
from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ros_harness import Harness, stamp_ns  # noqa: E402

pytestmark = pytest.mark.ros
MS = 1_000_000


def box_of(det):
    w, h = det.bbox.size_x, det.bbox.size_y
    return (det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2, w, h)


def test_a_target_that_leaves_the_view_is_reacquired_elsewhere_after_redetect_is_switched_on(ros, capfd):
    seq = reentry_sequence()
    first_absent, last_absent = REENTRY_ABSENT
    h = Harness(demo_tracker(), dict(LONG_TERM_PARAMS, image_reliability="reliable", image_queue_depth=5))
    try:
        assert h.node.params.redetect is False  # off by default (docs/ROS.md)
        h.track_frame(seq.frames[0], 1000 * MS)
        h.init_and_wait(lambda: h.send_init(tuple(seq.boxes[0]), 1000 * MS))
        assert h.set_params(redetect=True)[0].successful  # changeable at run time
        states, published = [], {}
        for t in range(1, len(seq.frames)):
            array = h.track_frame(seq.frames[t], 1000 * MS + t * 33 * MS)
            states.append(h.node.state)
            if array.detections:
                published[t] = box_of(array.detections[0])
        h.wait_for(lambda: len(h.detections) == len(published), what="Detection2D of every published frame")
        detection_frames = sorted((stamp_ns(d.header) - 1000 * MS) // (33 * MS) for d in h.detections)
    finally:
        h.close()
    lost_from = states.index(TrackState.LOST) + 1
    assert lost_from <= first_absent + 3  # lost soon after the target left
    # while lost: `detections` empty and `detection` silent, until the target is back
    silent = range(lost_from, last_absent + 1)
    assert not any(t in published for t in silent) and all(states[t - 1] is TrackState.LOST for t in silent)
    back = [t for t in published if t > last_absent]
    assert back and back[0] - last_absent <= 15
    for t in back:  # re-acquired at the new place, and tracked from there on
        assert iou(np.array([published[t]]), seq.boxes[t][None])[0] > 0.5, t
    assert back == list(range(back[0], len(seq.frames)))
    assert detection_frames == sorted(published)
    err = capfd.readouterr().err
    assert err.count("re-acquired") == 1, err


def test_the_crop_budget_confirmation_and_colour_parameters_reach_the_tracker_at_run_time(ros):
    from ros_harness import KEEP_PUBLISHING, tiny_sequence, tiny_tracker

    seq = tiny_sequence()
    h = Harness(tiny_tracker(), KEEP_PUBLISHING)
    try:
        h.track_frame(seq["frames"][0], 100 * MS)
        h.init_and_wait(lambda: h.send_init(tuple(seq["init_box"]), 100 * MS))
        assert h.set_params(redetect_crops_per_frame=4)[0].successful
        assert not h.set_params(redetect_crops_per_frame=0)[0].successful  # 1..64
        assert h.set_params(redetect_confirm_frames=3)[0].successful
        assert not h.set_params(redetect_confirm_frames=0)[0].successful  # 1..10
        assert h.set_params(redetect_colour_match=-1.0)[0].successful
        assert not h.set_params(redetect_colour_match=1.5)[0].successful  # -1..1
        h.track_frame(seq["frames"][1], 200 * MS)
        settings = h.node._tracker.prototype.settings  # what every target runs with
    finally:
        h.close()
    assert settings.max_crops_per_frame == 4
    assert settings.confirm_frames == 3
    assert settings.colour_match == -1.0
