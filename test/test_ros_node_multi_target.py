"""Several targets through the node (max_targets): ids from Detection2D.id, one array with all of them,
`detection` for the primary (oldest) one, the limit, re-initialising and dropping by id, and the
per-target state on ~/state and /diagnostics."""

from __future__ import annotations

import pytest

from conftest import require_ros

require_ros()

from ros_harness import (  # noqa: E402
    KEEP_PUBLISHING,
    MS,
    Harness,
    stamp_ns,
    tiny_sequence,
    tiny_tracker,
)

pytestmark = pytest.mark.ros
BOX_A, BOX_B, BOX_C = (100.0, 94.0, 48.0, 40.0), (20.0, 20.0, 40.0, 40.0), (220.0, 150.0, 50.0, 50.0)


@pytest.fixture
def multi(ros):
    h = Harness(tiny_tracker(), dict(KEEP_PUBLISHING, max_targets=3), name="multi_target_node")
    yield h
    h.close()


def settled(h: Harness, targets: str) -> dict:
    """The latched ~/state once it lists ``targets`` (back-to-back reports may overwrite each other in
    its depth-1 history, so the test waits for the state, not for a count of events)."""
    h.wait_for(lambda: h.states and h.state_values().get("targets") == targets, what=f"targets {targets}")
    return h.state_values()


def ids_at(h: Harness, ns: int):
    return [d.id for d in h.wait_for_array(ns).detections]


def test_targets_by_id_up_to_max_targets_in_one_array(multi):
    h, frames = multi, tiny_sequence()["frames"]
    h.track_frame(frames[0], 100 * MS)
    h.send_init(BOX_A, 100 * MS, "a")
    h.send_init(BOX_B, 100 * MS, "b")
    settled(h, "a=TRACKING,b=TRACKING")
    h.send_init(BOX_C, 100 * MS)  # no id: a new target, numbered
    third = settled(h, "a=TRACKING,b=TRACKING,1=TRACKING")
    assert third["track_id"] == "1" and third["event"] == "init_accepted"
    h.send_frame(frames[1], 133 * MS)
    assert ids_at(h, 133 * MS) == ["a", "b", "1"]
    h.wait_for(lambda: any(stamp_ns(d.header) == 133 * MS for d in h.detections), what="detection")
    assert [d.id for d in h.detections if stamp_ns(d.header) == 133 * MS] == ["a"]  # the primary only

    h.send_init(BOX_C, 133 * MS, "d")  # a fourth: refused, nothing changes
    refused = h.wait_for_event("init_refused")
    assert "max_targets 3" in refused["reason"] and refused["targets"] == "a=TRACKING,b=TRACKING,1=TRACKING"

    h.send_init((30.0, 30.0, 40.0, 40.0), 133 * MS, "b")  # same id: a new template for b
    h.wait_for(lambda: h.state_values()["event"] == "init_accepted", what="b re-initialised")
    assert h.state_values()["track_id"] == "b" and len(h.node.targets) == 3

    h.send_init((0.0, 0.0, 0.0, 0.0), 0, "a")  # empty box with an id: drop that target
    removed = h.wait_for_event("removed")
    assert removed["track_id"] == "a" and removed["targets"] == "b=TRACKING,1=TRACKING"
    h.send_frame(frames[2], 166 * MS)
    assert ids_at(h, 166 * MS) == ["b", "1"]
    h.wait_for(lambda: any(stamp_ns(d.header) == 166 * MS for d in h.detections), what="detection")
    assert [d.id for d in h.detections if stamp_ns(d.header) == 166 * MS] == ["b"]  # the next primary
    assert h.node.track_id == "b"
    diag = {kv.key: kv.value for kv in h.node.diagnostics_status().values}
    assert diag["targets"] == "b=TRACKING,1=TRACKING" and diag["track_id"] == "b"

    h.send_init((0.0, 0.0, 0.0, 0.0), 0, "zz")  # nothing to drop: refused with the reason
    assert "no target 'zz'" in h.wait_for_event("init_refused", 2)["reason"]
    assert h.reset().success
    h.wait_for_event("reset")
    h.send_frame(frames[3], 200 * MS)
    assert ids_at(h, 200 * MS) == [] and h.node.state.value == "IDLE"


def test_one_target_by_default_a_new_init_replaces_it(ros):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING, name="single_target_node")
    try:
        frames = tiny_sequence()["frames"]
        h.track_frame(frames[0], 100 * MS)
        h.send_init(BOX_A, 100 * MS, "a")
        h.wait_for_event("init_accepted")
        during = []  # the node's targets while the tracker takes the new one: still the old one
        tracker = h.node._tracker
        initialize = tracker.initialize
        tracker.initialize = lambda *args, **kw: during.append(h.node.track_id) or initialize(*args, **kw)
        h.send_init(BOX_B, 100 * MS, "b")
        assert settled(h, "b=TRACKING")["event"] == "init_accepted"
        assert during == ["a"]  # never a moment without a target
        h.send_frame(frames[1], 133 * MS)
        assert ids_at(h, 133 * MS) == ["b"]
    finally:
        h.close()


def test_each_target_draws_on_the_debug_image(multi):
    h, frames = multi, tiny_sequence()["frames"]
    h.subscribe_debug()
    h.track_frame(frames[0], 100 * MS)
    h.send_init(BOX_A, 100 * MS, "a")
    h.send_init(BOX_C, 100 * MS, "c")
    settled(h, "a=TRACKING,c=TRACKING")
    before = len(h.debug_images)
    h.track_frame(frames[1], 133 * MS)
    h.wait_for(lambda: len(h.debug_images) > before, what="a debug image")
    import numpy as np

    image = np.frombuffer(bytes(h.debug_images[-1].data), np.uint8).reshape(240, 320, 3)
    box = h.wait_for_array(133 * MS).detections[1].bbox  # target c's box edge is drawn in its colour
    x = int(round(box.center.position.x - box.size_x / 2))
    y = int(round(box.center.position.y))
    assert (
        image[y - 2 : y + 3, max(x - 2, 0) : x + 3] != frames[1][y - 2 : y + 3, max(x - 2, 0) : x + 3]
    ).any()
