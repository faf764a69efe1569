"""Init paths: box checks against the frame, stamp lookup in the ring buffer, click collection."""

from __future__ import annotations

import pytest

from ostrack_ros.ros.init_requests import ClickCollector, FrameRingBuffer, InitBoxError, checked_init_box


@pytest.mark.parametrize(
    "box, fragment",
    [
        ((float("nan"), 0, 10, 10), "non-finite"),
        ((0, 0, float("inf"), 10), "non-finite"),
        ((10, 10, -5, 10), "non-positive size"),
        ((10, 10, 0, 10), "non-positive size"),
        ((400, 10, 20, 20), "outside"),
        ((-50, -50, 20, 20), "outside"),
        ((319, 10, 20, 20), "need at least"),
    ],
)
def test_bad_init_boxes_are_refused(box, fragment):
    with pytest.raises(InitBoxError, match=fragment):
        checked_init_box(box, 320, 240)


def test_partly_outside_box_is_clipped():
    assert checked_init_box((-10, 230, 50, 30), 320, 240) == (0.0, 230.0, 40.0, 10.0)
    assert checked_init_box((5, 6, 7, 8), 320, 240) == (5.0, 6.0, 7.0, 8.0)


def test_ring_buffer_finds_by_stamp_within_tolerance_and_keeps_the_newest():
    ring = FrameRingBuffer(3)
    assert ring.newest() is None and ring.find(5) is None
    for stamp in (10, 20, 30, 40):
        ring.add(stamp, f"f{stamp}")
    assert len(ring) == 3 and ring.find(10) is None  # evicted
    assert ring.find(30) == "f30"
    assert ring.find(33, tolerance_ns=5) == "f30"
    assert ring.find(35, tolerance_ns=4) is None
    assert ring.newest() == "f40"
    ring.clear()
    assert ring.newest() is None


def test_two_clicks_make_a_box_from_corners_within_the_timeout():
    clicks = ClickCollector()
    kw = {"mode": "two_click", "timeout": 2.0, "default_size": (64, 48)}
    assert clicks.click(50, 60, 0.0, **kw) is None and clicks.waiting_for_second
    assert clicks.click(20, 100, 1.0, **kw) == (20, 60, 30, 40)  # any corner order
    assert not clicks.waiting_for_second
    assert clicks.click(50, 60, 10.0, **kw) is None
    assert clicks.click(70, 80, 13.0, **kw) is None  # too late: this click starts a new pair
    assert clicks.click(90, 100, 14.0, **kw) == (70, 80, 20, 20)


def test_one_click_centres_a_default_box_and_nan_clicks_are_refused():
    clicks = ClickCollector()
    box = clicks.click(100, 50, 0.0, mode="one_click", timeout=1.0, default_size=(64, 48))
    assert box == (68, 26, 64, 48)
    with pytest.raises(InitBoxError):
        clicks.click(float("nan"), 1, 0.0, mode="two_click", timeout=1.0, default_size=(1, 1))


def test_find_waits_for_a_frame_added_by_another_thread():
    import threading

    buffer = FrameRingBuffer(4)
    added = threading.Event()

    def add_later():
        added.wait()
        buffer.add(7_000, "marked")

    worker = threading.Thread(target=add_later)
    worker.start()
    assert buffer.find(7_000) is None  # not there yet, no waiting
    added.set()
    assert buffer.find(7_000, wait_s=30.0) == "marked"  # returns as soon as it is added
    worker.join()
    assert buffer.find(9_000, wait_s=0.01) is None  # never added: None after the wait
