"""Tracker node end to end in-process (real rclpy pub/sub, tiny fixture model): outputs, init paths, state."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_ros

require_ros()


from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ros_harness import FRAME_ID, Harness, stamp_ns, tiny_sequence, tiny_tracker  # noqa: E402

pytestmark = pytest.mark.ros
MS = 1_000_000
RELIABLE = {"image_reliability": "reliable", "image_queue_depth": 5}


@pytest.fixture(scope="module")
def seq():
    return tiny_sequence()


@pytest.fixture
def harness(ros):
    h = Harness(tiny_tracker(), RELIABLE)
    yield h
    h.close()


def box_of(det):
    w, h = det.bbox.size_x, det.bbox.size_y
    return (det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2, w, h)


def test_detections_carry_the_image_header_and_match_the_core_tracker(harness, seq):
    frames, init_box = seq["frames"], tuple(seq["init_box"])
    idle = harness.track_frame(frames[0], 1000 * MS)
    assert idle.detections == [] and idle.header.frame_id == FRAME_ID
    track_id = harness.init_and_wait(lambda: harness.send_init(init_box, 1000 * MS))
    core = tiny_tracker()
    core.initialize(frames[0], init_box)
    harness.set_params(lost_score_threshold=0.0, reacquire_score_threshold=0.0, class_id="cup")
    for t in range(1, 8):
        ns = 1000 * MS + t * 33 * MS
        array = harness.track_frame(frames[t], ns)
        expected = core.track(frames[t])
        assert stamp_ns(array.header) == ns and array.header.frame_id == FRAME_ID
        assert len(array.detections) == 1
        det = array.detections[0]
        assert det.id == track_id and det.results[0].hypothesis.class_id == "cup"
        assert det.results[0].hypothesis.score == pytest.approx(expected.score, abs=1e-6)
        np.testing.assert_allclose(box_of(det), expected.box, atol=1e-6)
    harness.wait_for(lambda: len(harness.detections) == 7, what="7 Detection2D")
    assert [stamp_ns(d.header) for d in harness.detections] == [1000 * MS + t * 33 * MS for t in range(1, 8)]
    assert all(d.header.frame_id == FRAME_ID for d in harness.detections)


def test_init_by_stamp_uses_the_buffered_frame_and_each_init_gets_a_new_id(harness, seq):
    frames, init_box = seq["frames"], tuple(seq["init_box"])
    for t in range(3):
        harness.track_frame(frames[t], (t + 1) * 100 * MS)
    # The box was drawn on frame 0 (stamp 100 ms) although frame 2 is the newest.
    first = harness.init_and_wait(lambda: harness.send_init(init_box, 100 * MS))
    core = tiny_tracker()
    core.initialize(frames[0], init_box)
    harness.set_params(lost_score_threshold=0.0, reacquire_score_threshold=0.0)
    array = harness.track_frame(frames[3], 400 * MS)
    np.testing.assert_allclose(box_of(array.detections[0]), core.track(frames[3]).box, atol=1e-6)
    # An unstamped init uses the newest frame (frame 3).
    second = harness.init_and_wait(lambda: harness.send_init(init_box, 0))
    core.initialize(frames[3], init_box)
    array = harness.track_frame(frames[4], 500 * MS)
    np.testing.assert_allclose(box_of(array.detections[0]), core.track(frames[4]).box, atol=1e-6)
    assert first != second and array.detections[0].id == second


def test_click_init_paths(harness, seq):
    frames = seq["frames"]
    harness.track_frame(frames[0], 100 * MS)
    # two_click: corners in any order, on the camera image (rqt_image_view "publish click location")
    harness.click(148, 134)
    harness.wait_for(lambda: harness.node._clicks.waiting_for_second, what="first corner")
    assert harness.node.state is TrackState.IDLE  # waiting for the second corner
    harness.init_and_wait(lambda: harness.click(100, 94))
    core = tiny_tracker()
    core.initialize(frames[0], (100, 94, 48, 40))
    harness.set_params(lost_score_threshold=0.0, reacquire_score_threshold=0.0)
    array = harness.track_frame(frames[1], 200 * MS)
    np.testing.assert_allclose(box_of(array.detections[0]), core.track(frames[1]).box, atol=1e-6)
    # one_click on the half-size debug image: centre (62, 57) there is (124, 114) in the camera image
    harness.set_params(
        init_click_mode="one_click", init_box_width=48.0, init_box_height=40.0, debug_image_scale=0.5
    )
    harness.init_and_wait(lambda: harness.click(62, 57, debug=True))
    core.initialize(frames[1], (100, 94, 48, 40))
    array = harness.track_frame(frames[2], 300 * MS)
    np.testing.assert_allclose(box_of(array.detections[0]), core.track(frames[2]).box, atol=1e-6)


def test_lost_and_reacquire_follow_dynamic_thresholds_and_reset_stops(harness, seq):
    frames, init_box = seq["frames"], tuple(seq["init_box"])
    harness.track_frame(frames[0], 100 * MS)
    harness.init_and_wait(lambda: harness.send_init(init_box, 100 * MS))
    # Random tiny weights score ~0.2-0.4: a threshold of 0.99 makes every frame a miss.
    # One by one, raising lost above the current re-acquire threshold is refused; atomically it is fine.
    assert not harness.set_params(lost_score_threshold=0.99)[0].successful
    result = harness.set_params_atomically(
        lost_score_threshold=0.99, reacquire_score_threshold=0.995, lost_frames=2
    )
    assert result.successful, result.reason
    arrays = [harness.track_frame(frames[t], (t + 1) * 100 * MS) for t in range(1, 4)]
    assert [len(a.detections) for a in arrays] == [1, 0, 0]  # lost after 2 misses
    assert harness.node.state is TrackState.LOST
    harness.set_params(lost_score_threshold=0.0, reacquire_score_threshold=0.0)
    assert len(harness.track_frame(frames[4], 500 * MS).detections) == 1
    assert harness.node.state is TrackState.TRACKING
    response = harness.reset()
    assert response.success
    harness.wait_for(lambda: harness.node.state is TrackState.IDLE, what="reset")
    assert harness.track_frame(frames[5], 600 * MS).detections == []
    detections_before = len(harness.detections)
    assert harness.track_frame(frames[6], 700 * MS).detections == []  # one more worker round trip
    assert len(harness.detections) == detections_before  # nothing stale arrived after the reset
    assert harness.node.track_id == "" and harness.wait_for_event("reset")["track_id"] == ""


def test_bad_parameter_values_are_rejected_with_a_reason(harness):
    for name, value, fragment in [
        ("lost_score_threshold", 1.5, ""),
        ("reacquire_score_threshold", 0.1, "must be >="),
        ("init_click_mode", "triple", "must be one of"),
        ("class_id", "", "must not be empty"),
        ("weights", "other.pth", ""),
    ]:
        result = harness.set_params(**{name: value})[0]
        assert not result.successful and fragment in result.reason, (name, result.reason)
    assert harness.node.params.lost_score_threshold == 0.25 and harness.node.params.class_id == "target"
    assert harness.set_params(class_id="person")[0].successful
    assert harness.node.params.class_id == "person"


def test_debug_image_and_diagnostics(harness, seq):
    frames, init_box = seq["frames"], tuple(seq["init_box"])
    harness.set_params(debug_image_scale=0.5)
    harness.subscribe_debug()
    harness.track_frame(frames[0], 100 * MS)
    harness.init_and_wait(lambda: harness.send_init(init_box, 100 * MS))
    harness.track_frame(frames[1], 200 * MS)
    harness.wait_for(
        lambda: any(stamp_ns(i.header) == 200 * MS for i in harness.debug_images), what="debug image"
    )
    image = [i for i in harness.debug_images if stamp_ns(i.header) == 200 * MS][0]
    assert (image.width, image.height, image.encoding) == (160, 120, "rgb8")
    assert image.header.frame_id == FRAME_ID
    harness.wait_for(lambda: harness.diagnostics, timeout=5.0, what="diagnostics")
    values = {kv.key: kv.value for kv in harness.diagnostics[-1].status[0].values}
    assert {"state", "input_fps", "processed_fps", "frames_dropped", "latency_p50_ms"} <= set(values)
