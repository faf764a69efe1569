"""Every bad input of issue #4 is survived with a warning, odd frames keep the track, and overload
keeps only the newest frame (deterministic: the test opens the tracker's gate)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_ros

require_ros()

from sensor_msgs.msg import CompressedImage, Image  # noqa: E402

from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ros_harness import (  # noqa: E402
    KEEP_PUBLISHING,
    MS,
    GatedTracker,
    Harness,
    header,
    stamp_ns,
    tagged,
    tiny_sequence,
    tiny_tracker,
)

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def seq():
    return tiny_sequence()


def start_tracking(h: Harness, seq, ns: int = 100 * MS) -> str:
    h.track_frame(seq["frames"][0], ns)
    return h.init_and_wait(lambda: h.send_init(tuple(seq["init_box"]), ns))


def raw(width, height, encoding, step, data_len, ns):
    msg = Image(header=header(ns), width=width, height=height, encoding=encoding, step=step)
    msg.data = bytes(data_len)
    return msg


def test_bad_images_and_bad_init_boxes_leave_tracking_intact(ros, seq, capfd):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING)
    try:
        frames = seq["frames"]
        track_id = start_tracking(h, seq)
        bad_images = [
            raw(320, 240, "32FC1", 320 * 4, 320 * 240 * 4, 150 * MS),  # unsupported encoding
            raw(320, 240, "rgb8", 960, 960 * 240 - 7, 160 * MS),  # data shorter than step*height
            raw(320, 240, "rgb8", 900, 900 * 240, 170 * MS),  # step < width*3
            raw(0, 0, "rgb8", 0, 0, 180 * MS),  # zero size
        ]
        for count, msg in enumerate(bad_images, 1):
            h.send_raw(msg)
            h.wait_for(lambda n=count: h.node.stats.rejected == n, what=f"{count} rejected frames")
        bad_boxes = [(float("nan"), 10, 20, 20), (50, 50, -20, 20), (50, 50, 0, 0), (1000, 1000, 30, 30)]
        for count, box in enumerate(bad_boxes, 1):  # one at a time: a newer init replaces a pending one
            h.send_init(box, 100 * MS)
            answer = h.wait_for_event("init_refused", count)
            assert answer["request_stamp"] == "0.100000000" and answer["track_id"] == track_id
        t = 1
        for ns in range(200, 700, 100):
            array = h.track_frame(frames[t], ns * MS)
            assert len(array.detections) == 1 and array.detections[0].id == track_id
            t += 1
        assert h.node.state is TrackState.TRACKING and h.node.track_id == track_id
    finally:
        h.close()
    err = capfd.readouterr().err
    for fragment in [
        "unsupported encoding '32FC1'",
        "data holds",
        "step 900 <",
        "zero-size image",
        "non-finite",
        "non-positive size",
        "outside the 320x240 image",
    ]:
        assert fragment in err, fragment


def test_init_before_any_image_is_ignored_with_a_warning(ros, seq, capfd):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING)
    try:
        h.send_init(tuple(seq["init_box"]), 0)
        answer = h.wait_for_event("init_refused")
        assert answer["reason"] == "init refused: no image received yet" and answer["state"] == "IDLE"
        assert h.node.state is TrackState.IDLE and h.node.track_id == ""
        assert h.track_frame(seq["frames"][0], 100 * MS).detections == []
        start_tracking(h, seq, 200 * MS)  # a later init works
    finally:
        h.close()
    assert "init ignored: no image received yet" in capfd.readouterr().err


class RecordingTracker:
    """The tiny tracker, noting every initialize (image, box) and every tracked box."""

    def __init__(self) -> None:
        self.inner, self.inits, self.boxes = tiny_tracker(), [], []

    def initialize(self, image, box):
        self.inits.append((image, tuple(box)))
        self.inner.initialize(image, box)

    def track(self, image, **kwargs):
        result = self.inner.track(image, **kwargs)
        self.boxes.append(tuple(result.box))
        return result


def scaled(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)


def test_size_change_rescales_the_box_when_the_aspect_ratio_allows_else_resets_with_a_reason(ros, seq, capfd):
    tracker = RecordingTracker()
    h = Harness(tracker, KEEP_PUBLISHING)
    try:
        frames = seq["frames"]
        track_id = start_tracking(h, seq)
        assert len(h.track_frame(frames[1], 200 * MS).detections) == 1
        last = tracker.boxes[-1]
        big = h.track_frame(scaled(frames[2], 640, 480), 300 * MS).detections  # same 4:3 aspect
        assert len(big) == 1 and big[0].id == track_id and h.node.state is TrackState.TRACKING
        image, box = tracker.inits[-1]  # re-initialised on the 640x480 frame from the box x2
        assert image.shape == (480, 640, 3)
        expected = np.array(last, float) * 2
        x1, y1 = max(expected[0], 0), max(expected[1], 0)
        assert np.allclose(
            box,
            (x1, y1, min(expected[0] + expected[2], 640) - x1, min(expected[1] + expected[3], 480) - y1),
            atol=1e-6,
        )
        answer = h.wait_for_event("resized")
        assert answer["state"] == "TRACKING" and answer["track_id"] == track_id
        assert answer["stamp"] == "0.300000000"
        wide = h.track_frame(scaled(frames[3], 640, 360), 400 * MS)  # 4:3 -> 16:9: cannot carry over
        assert wide.detections == [] and h.node.state is TrackState.IDLE and h.node.track_id == ""
        answer = h.wait_for_event("resized", 2)
        assert answer["state"] == "IDLE" and "aspect ratio changed" in answer["reason"]
    finally:
        h.close()
    err = capfd.readouterr().err
    assert "image size changed from 320x240 to 640x480: target 1 re-initialised" in err
    assert "aspect ratio 1.333 -> 1.778: the box cannot be carried over, tracking reset" in err


def test_reordered_and_unstamped_frames_keep_the_track_a_large_jump_back_resets(ros, seq, capfd):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING)
    try:
        frames = seq["frames"]
        track_id = start_tracking(h, seq)
        assert len(h.track_frame(frames[1], 500 * MS).detections) == 1
        dropped_before = h.node.stats.dropped
        h.send_frame(frames[2], 499 * MS)  # 1 ms earlier than the last frame: a reordered message
        h.wait_for(lambda: _value(h, "frames_out_of_order") == "1", what="out-of-order count")
        assert len(h.track_frame(frames[3], 600 * MS).detections) == 1
        assert len(h.track_frame(frames[4], 0).detections) == 1  # zero stamp: unknown time, still tracked
        assert len(h.track_frame(frames[5], 700 * MS).detections) == 1
        with h.lock:
            assert not any(stamp_ns(a.header) == 499 * MS for a in h.arrays)
        assert h.node.stats.dropped == dropped_before and h.node.track_id == track_id
        h.send_frame(frames[6], 650 * MS)  # 50 ms back, below time_jump_reset_threshold: dropped too
        h.wait_for(lambda: _value(h, "frames_out_of_order") == "2", what="second out-of-order frame")
        assert h.node.state is TrackState.TRACKING
        h.set_params(time_jump_reset_threshold=0.5)
        assert h.track_frame(frames[7], 150 * MS).detections == []  # 0.55 s back >= 0.5 s: reset
        assert h.node.state is TrackState.IDLE and h.node.track_id == ""
        answer = h.wait_for_event("reset")
        assert "image time jumped back by 0.550 s" in answer["reason"] and answer["track_id"] == ""
    finally:
        h.close()
    err = capfd.readouterr().err
    assert "1.0 ms earlier than the previous frame's: frame dropped as out of order" in err
    assert "zero header stamp: processed as a frame of unknown time" in err
    assert "image stamp jumped back by 0.550 s (bag loop or clock reset)" in err


def _value(h: Harness, key: str) -> str:
    return {kv.key: kv.value for kv in h.node.diagnostics_status().values}.get(key)


def test_corrupt_compressed_frames_are_skipped(ros, seq, capfd):
    h = Harness(tiny_tracker(), dict(KEEP_PUBLISHING, image_transport="compressed"))
    try:
        frames = seq["frames"]
        track_id = start_tracking(h, seq)
        for ns, data in ((150 * MS, b"\x89PNG not really"), (160 * MS, b"")):
            msg = CompressedImage(header=header(ns), format="png")
            msg.data = data
            h.send_raw(msg)
            h.wait_for(lambda n=ns: h.node.stats.rejected == (1 if n == 150 * MS else 2), what="rejection")
        array = h.track_frame(frames[1], 200 * MS)
        assert len(array.detections) == 1 and array.detections[0].id == track_id
    finally:
        h.close()
    err = capfd.readouterr().err
    assert "compressed image (format 'png', 15 bytes) does not decode" in err
    assert "empty compressed image" in err


def test_overload_newest_frame_wins_counters_add_up_and_one_frame_is_in_flight(ros, seq):
    """While inference runs, later frames replace each other in the one-frame slot: only the newest
    is tracked next, the replaced ones are counted as dropped and never published."""
    tracker = GatedTracker(blocking=True)
    h = Harness(tracker, KEEP_PUBLISHING)
    try:
        frames = tagged(seq["frames"], 8)
        start_tracking(h, seq)  # frame at 100 ms, no track() call while IDLE
        h.send_frame(frames[1], 200 * MS)
        assert tracker.entered.acquire(timeout=10)  # frame 1 is in flight, the worker is blocked
        for i in range(2, 8):  # the camera keeps going: 6 frames while one inference runs
            h.send_frame(frames[i], (100 + 100 * i) * MS)
        h.wait_for(lambda: h.node.stats.received == 8, what="all frames received")
        assert h.node.stats.dropped == 5  # frames 2..6 replaced in the slot by their successors
        tracker.gate.release()  # frame 1 finishes; the worker takes the newest pending frame (7)
        assert tracker.entered.acquire(timeout=10)
        tracker.gate.release()
        h.wait_for_array(800 * MS)
        h.wait_for_array(200 * MS)
        stats = h.node.stats
        with h.lock:
            published = sorted(stamp_ns(a.header) // MS for a in h.arrays)
    finally:
        tracker.open()  # never leave the worker blocked
        h.close()
    assert tracker.tracked == [1, 7] and tracker.max_in_flight == 1
    assert published == [100, 200, 800]  # frames 2..6 were never published
    assert stats.received == stats.processed + stats.dropped == 8


def test_a_frame_marked_before_the_worker_reached_it_is_answered_with_the_marked_box(ros, seq):
    """An init that reaches the worker together with the frame it marks starts the target on that
    frame; the frame is not tracked (it is the template's), yet it still gets its detections: the
    marked box, score 1.0. Every frame that reaches the worker is answered."""
    from ostrack_ros.ros.conversions import detection_box

    tracker = GatedTracker(blocking=True)
    h = Harness(tracker, KEEP_PUBLISHING)
    marked = (40.0, 30.0, 24.0, 20.0)
    try:
        frames = tagged(seq["frames"], 3)
        start_tracking(h, seq)  # frame 0 at 100 ms, answered before the init
        h.send_frame(frames[1], 200 * MS)
        assert tracker.entered.acquire(timeout=10)  # frame 1 is in flight, the worker is blocked
        h.send_frame(frames[2], 300 * MS)
        h.wait_for(lambda: h.node.stats.received == 3, what="frame 2 received")
        h.send_init(marked, 300 * MS)  # marks frame 2, which waits in the mailbox beside the init
        h.wait_for(lambda: h.node.inits_received == 2, what="the second init received")
        tracker.open()
        answer = h.wait_for_array(300 * MS)
        h.wait_for_array(200 * MS)
        stats = h.node.stats
    finally:
        tracker.open()  # never leave the worker blocked
        h.close()
    assert tracker.tracked == [1]  # frame 2 holds the new template: not tracked on itself
    assert len(tracker.inits) == 2 and tracker.inits[-1][0] == 2  # the new template: frame 2
    assert len(answer.detections) == 1
    assert detection_box(answer.detections[0]) == pytest.approx(marked)
    assert answer.detections[0].results[0].hypothesis.score == 1.0
    assert stats.received == stats.processed == 3
