"""Long-term tracking: tiling geometry, the per-frame crop budget, the confirmation rule, batched
extra crops, the claim state, and re-acquisition of a target that left the view (demo model)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from conftest import REFERENCE_DIR
from long_term_helpers import (
    MARKED,
    MARKED_BACK,
    REENTRY_ABSENT,
    demo_tracker,
    marked_far_scene,
    reentry_sequence,
)
from ostrack_ros.evaluation.metrics import iou
from ostrack_ros.tracking import LongTermSettings, LongTermTracker, Tracker, TrackingError, TrackResult
from ostrack_ros.tracking.confirmation import (
    Confirmation,
    ConfirmationRule,
    Peak,
    Verdict,
    runner_up,
)
from ostrack_ros.tracking.tiling import TileSchedule, tile_boxes

TINY = REFERENCE_DIR / "tiny"
needs_tiny = pytest.mark.skipif(
    not (TINY / "tracker_sequence.npz").is_file(), reason=f"reference data missing: {TINY}"
)


# ---------------------------------------------------------------- tiling geometry
def centre(box):
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def test_tiles_cover_every_pixel_with_their_central_part_at_each_scale():
    width, height, factor, overlap = 320, 240, 4.0, 0.25
    boxes = tile_boxes(width, height, (30, 20), factor, (1.0, 1.5), overlap)
    side1, side2 = math.sqrt(600) * factor, math.sqrt(600) * 1.5 * factor
    sides = [math.sqrt(b[2] * b[3]) * factor for b in boxes]
    # scale 1: side 98, centres <= 73.5 px apart -> 5 x 4 tiles; scale 1.5: side 147 -> 3 x 3, in that order
    assert sides == pytest.approx([side1] * 20 + [side2] * 9)
    ys, xs = np.mgrid[0:height:3, 0:width:3]
    for side, tiles in ((side1, boxes[:20]), (side2, boxes[20:])):
        core = (1 - overlap) * side / 2
        covered = np.zeros(xs.shape, bool)
        for b in tiles:
            cx, cy = centre(b)
            covered |= (np.abs(xs - cx) <= core) & (np.abs(ys - cy) <= core)
            assert b[2] / b[3] == pytest.approx(1.5)  # the target's aspect ratio is kept
        assert covered.all(), f"pixels outside every tile core at side {side:.0f}"


def test_a_target_as_large_as_the_frame_needs_one_tile_and_bad_input_is_refused():
    assert tile_boxes(100, 80, (60, 60), 4.0, (1.0,)) == [pytest.approx((20.0, 10.0, 60.0, 60.0))]
    for args in [((0, 0), (1.0,), 0.5), ((10, 10), (0.0,), 0.5), ((10, 10), (1.0,), 1.0)]:
        with pytest.raises(ValueError):
            tile_boxes(100, 80, args[0], 4.0, args[1], args[2])


# ---------------------------------------------------------------- per-frame budget
def test_schedule_hands_out_at_most_the_budget_and_cycles_over_all_tiles():
    tiles = [(float(i), 0.0, 1.0, 1.0) for i in range(10)]
    schedule = TileSchedule(tiles, max_per_frame=4)
    assert schedule.frames_per_cycle == 3
    portions = [schedule.take() for _ in range(6)]
    assert [len(p) for p in portions] == [4, 4, 2, 4, 4, 2]
    assert sum(portions[:3], []) == tiles and sum(portions[3:], []) == tiles
    with pytest.raises(ValueError):
        TileSchedule(tiles, 0)


@pytest.mark.parametrize(
    "budget, floor, blank, first, rest",
    [
        (3, -math.inf, 1, (True, 2), (True, 2)),  # the local crop always sees something: it + 2 tiles
        (3, math.inf, 1, (True, 2), (False, 3)),  # blank on the first lost frame: 3 tiles from then on
        (3, math.inf, 3, (True, 2), (True, 2)),  # blank, but not yet 3 frames in a row
        (1, -math.inf, 1, (False, 1), (False, 1)),  # a budget of one crop: one tile, never the local crop
    ],
)
@needs_tiny
def test_a_lost_frame_runs_the_crop_budget_in_one_batch_the_local_crop_while_it_sees_something(
    monkeypatch, budget, floor, blank, first, rest
):
    """Tiny random network: thresholds 1.0 make it lose the target after 2 frames and never re-acquire."""
    with np.load(TINY / "tracker_sequence.npz") as data:
        frames, init_box = data["frames"], tuple(data["init_box"])
    inner = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    batches, calls = [], []  # network batch sizes; (official crop ran, tiles) per frame
    forward, track = inner.model.track_frame, inner.track
    monkeypatch.setattr(
        inner.model, "track_frame", lambda z, x, mask=None: batches.append(x.shape[0]) or forward(z, x, mask)
    )

    def spy(image, with_kept_mask=False, extra=(), follow=True):
        calls.append((follow, len(extra)))
        return track(image, with_kept_mask, extra, follow)

    monkeypatch.setattr(inner, "track", spy)
    tracker = LongTermTracker(
        inner,
        redetect=True,
        lost_threshold=1.0,
        reacquire_threshold=1.0,
        lost_frames=2,
        max_crops_per_frame=budget,
        scales=(1.0, 2.0),
        follow_floor=floor,
        blank_frames=blank,
    )
    tracker.initialize(frames[0], init_box)
    height, width = frames[0].shape[:2]
    claimed, states, searched = [], [], []
    for frame in frames[1:12]:
        result = tracker.track(frame)
        claimed.append(result.claimed)
        states.append(tracker.state)
        searched.append(result.searched)
    assert claimed == [True] + [False] * 10
    # every lost frame: one batch of the budget (fewer tiles only where a pass ends)
    assert batches[:2] == [1, 1] and max(batches[2:]) == budget and len(batches) == 11
    assert calls[:2] == [(True, 0)] * 2 and calls[2] == first
    if blank > 1:  # given up after `blank` frames in a row below the floor, then tiles only
        assert calls[2 : 2 + blank] == [rest] * blank
        assert all(not follow and 1 <= tiles <= 3 for follow, tiles in calls[2 + blank :])
    else:
        assert {follow for follow, _ in calls[3:]} == {rest[0]}
        assert all(1 <= tiles <= rest[1] for _, tiles in calls[3:])
    # the result names every tile crop searched (for the overlay), the official crop apart
    assert [len(crops) for crops in searched] == [tiles for _, tiles in calls]
    if not rest[0]:  # without the official crop the state stays where it was last followed to
        assert len(set(states[3:])) == 1
    n_tiles = len(tile_boxes(width, height, init_box[2:], inner.search_factor, (1.0, 2.0), 0.25))
    passed = np.cumsum([tiles for _, tiles in calls[2:]])
    assert n_tiles in passed  # portions end exactly where a pass over every tile ends
    assert passed[-1] >= n_tiles


# ---------------------------------------------------------------- confirmation rule
def peak(x, y, score, size=20.0, frame=0):
    return Peak((x - size / 2, y - size / 2, size, size), score, frame=frame)


def test_runner_up_is_the_best_peak_at_least_one_target_size_away():
    best, near, far = peak(100, 100, 0.9), peak(110, 100, 0.85), peak(200, 100, 0.6)
    assert runner_up(best, [best, near, far]) == far
    assert runner_up(best, [best]) is None and runner_up(best, []) is None


def test_a_peak_seen_again_on_a_later_frame_of_the_pass_is_not_its_own_look_alike():
    """A pass spans several frames: a rival must be farther than the target can move in between
    (one size on the same frame, ``max_shift`` sizes more per frame)."""
    first = dataclasses.replace(peak(100, 100, 0.8), frame=0)
    moved = dataclasses.replace(peak(160, 100, 0.85), frame=3)  # 3 sizes away, 3 frames later
    assert runner_up(moved, [first, moved]) is None
    assert runner_up(moved, [first, moved], max_shift=0.5) == first  # 3 >= 1 + 0.5 * 3
    far = dataclasses.replace(peak(300, 100, 0.8), frame=3)  # 10 sizes away
    assert runner_up(moved, [first, moved, far]) == far
    same_frame = dataclasses.replace(peak(160, 100, 0.8), frame=3)
    assert runner_up(moved, [moved, same_frame]) is None  # the same spot
    assert runner_up(moved, [moved, dataclasses.replace(peak(140, 100, 0.8), frame=3)]) is not None


class LostTracker:
    """Always scores 0.1 at its own box; the scan peaks come from ``scripted`` (monkeypatched _peaks)."""

    search_factor = 4.0

    def __init__(self):
        self.state = None

    def initialize(self, image, box):
        self.state = tuple(box)

    def track(self, image, with_kept_mask=False, **kwargs):
        return TrackResult(self.state, 0.1, self.state, None, 0)


@pytest.mark.parametrize("score, rechecked_at", [(0.95, 1), (0.75, None)])
def test_a_decisive_scan_peak_is_rechecked_at_once_a_weaker_one_waits_for_the_pass_end(
    monkeypatch, score, rechecked_at
):
    tracker = LongTermTracker(LostTracker(), redetect=True, lost_threshold=0.65, reacquire_threshold=0.7)
    image = np.zeros((240, 320, 3), np.uint8)
    tracker.initialize(image, (100, 100, 10, 10))  # a small target: many tiles, a pass of many frames
    found = {"done": False}

    def scripted(boxes, height, width, frame):
        # the target shows up in the first tile of the first scan frame only
        peaks = [Peak((200, 50, 10, 10), score if not found["done"] else 0.1, frame=frame)] + [
            Peak((b[0], b[1], 10, 10), 0.1, frame=frame) for b in boxes[1:]
        ]
        found["done"] = True
        return peaks[: len(boxes)]

    monkeypatch.setattr(tracker, "_peaks", scripted)
    kinds = []
    tracker.track(image)  # score 0.1: lost
    for _ in range(4):  # the recheck scores 0.1: the candidate is dropped and the scan goes on
        plan = tracker.plan(image)
        kinds.append(plan.kind)
        tracker.conclude(plan, TrackResult(tracker.state, 0.1, tracker.state, None, 0))
    assert tracker.tiles_per_pass > 2 * 5  # the pass is far from done after 4 frames
    want = ["scan"] * 4 if rechecked_at is None else ["scan", "recheck", "scan", "scan"]
    assert kinds == want


@pytest.mark.parametrize("look_alike, rechecked", [(None, True), (0.68, False)])
def test_once_a_pass_has_seen_the_whole_frame_a_fresh_peak_is_rechecked_at_once(
    monkeypatch, look_alike, rechecked
):
    """After the first pass every rival is known: a peak reaching the re-acquire threshold is
    re-checked on the next frame, where it still is, unless the last pass saw a look-alike as good."""
    tracker = LongTermTracker(  # the look-alike alone is too weak to propose, not to block
        LostTracker(),
        redetect=True,
        lost_threshold=0.69,
        reacquire_threshold=0.7,
        early_threshold=0.9,
        blank_frames=1,
    )
    image = np.zeros((240, 320, 3), np.uint8)
    tracker.initialize(image, (100, 100, 30, 30))
    tracker.track(image)  # score 0.1: lost
    plans, hit = [], -1

    def scripted(boxes, height, width, frame):
        peaks = [Peak((b[0], b[1], 30, 30), 0.1, frame=frame) for b in boxes]
        if frame == hit - 2 and look_alike is not None:  # end of the first pass: a look-alike
            peaks[0] = Peak((20, 180, 30, 30), look_alike, frame=frame)
        if frame == hit:  # second pass: the target
            peaks[0] = Peak((250, 30, 30, 30), 0.75, frame=frame)
        return peaks

    monkeypatch.setattr(tracker, "_peaks", scripted)
    plans.append(tracker.plan(image))
    tracker.conclude(plans[-1], TrackResult(tracker.state, 0.1, tracker.state, None, 0))
    # the local crop went blank on the first lost frame: 1 tile, then 2 per frame
    first_pass = 1 + math.ceil((tracker.tiles_per_pass - 1) / 2)
    hit = first_pass + 1
    for _ in range(hit + 1):
        plans.append(tracker.plan(image))
        tracker.conclude(plans[-1], TrackResult(tracker.state, 0.1, tracker.state, None, 0))
    kinds = [plan.kind for plan in plans]
    assert kinds[: hit + 1] == ["scan"] * (hit + 1)
    assert kinds[hit + 1] == ("recheck" if rechecked else "scan")
    if rechecked:  # centred on the peak just seen
        assert plans[hit + 1].boxes == ((250.0, 30.0, 30.0, 30.0),)


RED, BLUE = (220, 30, 30), (30, 30, 220)
MARKED_BOX, FOUND_BOX, OTHER_BOX = (100, 100, 30, 30), (250, 30, 30, 30), (20, 180, 30, 30)


def coloured_scene(found, other=None):
    """A grey frame with the red marked target at MARKED_BOX, ``found`` at FOUND_BOX and ``other``
    at OTHER_BOX (RGB colours, None: nothing there)."""
    image = np.full((240, 320, 3), 128, np.uint8)
    for (x, y, w, h), colour in ((MARKED_BOX, RED), (FOUND_BOX, found), (OTHER_BOX, other)):
        if colour is not None:
            image[y : y + h, x : x + w] = colour
    return image


def scripted_scan(tracker, monkeypatch, other_score=None):
    """Scan peaks: 0.95 at FOUND_BOX in the first tile of the first scan frame, ``other_score`` at
    OTHER_BOX in its second tile, 0.1 elsewhere; a re-check scores 0.9 where it looks."""

    def scripted(boxes, height, width, frame):
        if len(boxes) == 1 and tracker._confirmation.pending:  # the re-check crop
            return [Peak(tuple(boxes[0]), 0.9, frame=frame)]
        peaks = [Peak((b[0], b[1], 30, 30), 0.1, frame=frame) for b in boxes]
        if frame == 0:
            peaks[0] = Peak(FOUND_BOX, 0.95, frame=frame)
            if other_score is not None:
                peaks[1] = Peak(OTHER_BOX, other_score, frame=frame)
        return peaks

    monkeypatch.setattr(tracker, "_peaks", scripted)


@pytest.mark.parametrize(
    "colour, colour_match, claimed", [(RED, 0.6, True), (BLUE, 0.6, False), (BLUE, -1.0, True)]
)
@pytest.mark.parametrize("confirm_frames", [1, 0])
def test_a_candidate_of_other_colours_than_the_marked_target_is_not_claimed(
    monkeypatch, colour, colour_match, claimed, confirm_frames
):
    """Judged on the re-check's box; with no re-check (confirm_frames 0) on the scan's box."""
    tracker = LongTermTracker(
        LostTracker(),
        redetect=True,
        colour_match=colour_match,
        early_threshold=0.9,
        confirm_frames=confirm_frames,
    )
    tracker.initialize(coloured_scene(None), MARKED_BOX)
    image = coloured_scene(colour)
    scripted_scan(tracker, monkeypatch)
    tracker.track(image)  # score 0.1: lost
    results = [tracker.track(image) for _ in range(1 + confirm_frames)]  # the decisive peak, re-checks
    assert [r.claimed for r in results] == [False] * confirm_frames + [claimed]
    assert (tracker.state == FOUND_BOX) is claimed
    if not claimed:  # the candidate is dropped and the scan goes on
        assert not tracker._confirmation.pending and tracker.plan(image).kind == "scan"


@pytest.mark.parametrize("other, rechecked", [(RED, False), (BLUE, True)])
def test_a_peak_of_other_colours_is_no_look_alike_and_blocks_nothing(monkeypatch, other, rechecked):
    tracker = LongTermTracker(
        LostTracker(), redetect=True, max_crops_per_frame=3, early_threshold=0.9, colour_match=0.6
    )
    tracker.initialize(coloured_scene(None), MARKED_BOX)
    image = coloured_scene(RED, other)
    scripted_scan(tracker, monkeypatch, other_score=0.93)  # within the 0.1 margin of the best
    tracker.track(image)  # lost
    tracker.track(image)  # scan: the candidate and the other peak on the same frame
    assert (tracker.plan(image).kind == "recheck") is rechecked


def test_a_look_alike_as_strong_as_the_best_peak_blocks_the_proposal():
    confirm = Confirmation(ConfirmationRule(threshold=0.5, margin=0.1, frames=2))
    assert confirm.propose(peak(50, 50, 0.8), peak(200, 50, 0.75)) is Verdict.REJECTED
    assert confirm.propose(peak(50, 50, 0.45), None) is Verdict.REJECTED  # below the threshold
    assert confirm.propose(peak(50, 50, float("nan")), None) is Verdict.REJECTED
    assert not confirm.pending


def test_a_candidate_needs_consistent_rechecks_and_one_failure_drops_it():
    confirm = Confirmation(ConfirmationRule(threshold=0.5, margin=0.1, frames=2, max_shift=1.0))
    assert confirm.propose(peak(50, 50, 0.8), peak(200, 50, 0.6)) is Verdict.PENDING
    assert confirm.check(peak(60, 50, 0.7)) is Verdict.PENDING  # moved half a target size
    assert confirm.check(peak(65, 55, 0.6)) is Verdict.CONFIRMED and not confirm.pending
    for bad in (
        peak(50, 50, 0.4),  # too weak
        peak(90, 50, 0.9),  # jumped two target sizes: another object
        peak(50, 50, 0.9, size=40.0),
    ):  # doubled in size
        assert confirm.propose(peak(50, 50, 0.8), None) is Verdict.PENDING
        assert confirm.check(bad) is Verdict.REJECTED and not confirm.pending
    with pytest.raises(RuntimeError):
        confirm.check(peak(50, 50, 0.9))
    assert Confirmation(ConfirmationRule(frames=0)).propose(peak(5, 5, 0.9), None) is Verdict.CONFIRMED


def test_a_candidate_seen_frames_ago_may_have_moved_max_shift_per_frame_since():
    # A pass's best peak can be from its first frame; the re-check comes after the pass ended.
    confirm = Confirmation(ConfirmationRule(threshold=0.5, margin=0.1, frames=1, max_shift=1.0))
    assert confirm.propose(peak(50, 50, 0.8, frame=3), None) is Verdict.PENDING
    assert confirm.check(peak(105, 50, 0.7, frame=6)) is Verdict.CONFIRMED  # 2.75 sizes in 3 frames
    assert confirm.propose(peak(50, 50, 0.8, frame=3), None) is Verdict.PENDING
    assert confirm.check(peak(115, 50, 0.7, frame=6)) is Verdict.REJECTED  # 3.25 sizes: another object


def test_settings_are_validated_with_a_clear_error():
    for bad in (
        {"lost_frames": 0},
        {"max_crops_per_frame": 0},
        {"scales": ()},
        {"margin": -0.1},
        {"lost_threshold": 0.6, "reacquire_threshold": 0.5},
        {"tile_overlap": 1.0},
        {"early_threshold": float("nan")},
        {"follow_floor": float("nan")},
        {"blank_frames": 0},
        {"colour_match": 1.5},
        {"colour_match": float("nan")},
    ):
        with pytest.raises(TrackingError):
            LongTermSettings(**bad)


# ---------------------------------------------------------------- claim state without redetect
class ScriptedTracker:
    """Returns the scripted scores; boxes move one pixel per frame."""

    def __init__(self, scores):
        self.scores, self.state, self.calls = list(scores), None, []

    def initialize(self, image, box):
        self.state = tuple(box)

    def track(self, image, with_kept_mask=False, **kwargs):
        self.calls.append(kwargs)
        box = (self.state[0] + 1, *self.state[1:])
        self.state = box
        return TrackResult(box, self.scores.pop(0), box, None, len(self.calls))


def test_without_redetect_the_claim_follows_the_node_rule_and_the_boxes_are_the_inner_trackers():
    from ostrack_ros.ros.target_state import TargetStateMachine, TrackState

    scores = [0.9, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.3, 0.45, 0.2, float("nan"), 0.1]
    inner = ScriptedTracker(scores)
    tracker = LongTermTracker(inner, lost_threshold=0.25, lost_frames=3, reacquire_threshold=0.4)
    image = np.zeros((8, 8, 3), np.uint8)
    tracker.initialize(image, (1, 1, 4, 4))
    machine = TargetStateMachine()
    machine.start()
    for score in scores:
        result = tracker.track(image)
        machine.update(score, lost_threshold=0.25, lost_frames=3, reacquire_threshold=0.4)
        assert result.claimed == (machine.state is TrackState.TRACKING)
        assert result.box == inner.state and result.score == score or math.isnan(score)
    assert all(call == {} for call in inner.calls)  # never asked for extra crops


@needs_tiny
def test_extra_crops_in_the_batch_leave_the_local_step_unchanged_and_match_single_runs():
    with np.load(TINY / "tracker_sequence.npz") as data:
        frames, init_box = data["frames"], tuple(data["init_box"])
    alone = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    batched = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    extra = [(10.0, 20.0, 30.0, 40.0), (60.0, 5.0, 20.0, 20.0)]
    alone.initialize(frames[0], init_box)
    batched.initialize(frames[0], init_box)
    for frame in frames[1:4]:
        want = alone.track(frame)
        got = batched.track(frame, extra=extra)
        np.testing.assert_allclose(got.box, want.box, atol=1e-4)
        assert got.score == pytest.approx(want.score, abs=1e-6)
        for box, row in zip(extra, batched.last_step.extra_peaks):
            single = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
            single.initialize(frames[0], init_box)
            single.state = box
            single.track(frame)
            score_map = single.last_step.output.score_map[0, 0]
            assert row[0] == pytest.approx(float(score_map.max()), abs=1e-6)
    assert batched.last_step.extra_peaks.shape == (2, 5)
    # without the official crop: the same peaks from a batch of the extra crops alone, state unchanged
    peaks, state = batched.last_step.extra_peaks, batched.state
    batched.state, index = alone.state, batched.frame_index
    result = batched.track(frames[3], extra=extra, follow=False)
    np.testing.assert_allclose(batched.last_step.extra_peaks, peaks, atol=1e-5)
    assert batched.state == alone.state and result.box == alone.state and math.isnan(result.score)
    assert result.search_box is None and batched.frame_index == index + 1
    with pytest.raises(TrackingError):
        batched.track(frames[3], follow=False)  # nothing to run
    del state


@needs_tiny
def test_graphs_built_for_one_crop_get_the_batch_one_crop_at_a_time(monkeypatch):
    with np.load(TINY / "tracker_sequence.npz") as data:
        frames, init_box = data["frames"], tuple(data["init_box"])
    reference = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    one_at_a_time = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    sizes = []
    forward = one_at_a_time.model.track_frame
    monkeypatch.setattr(one_at_a_time.model, "max_batch", 1, raising=False)
    monkeypatch.setattr(
        one_at_a_time.model,
        "track_frame",
        lambda z, x, mask=None: sizes.append(x.shape[0]) or forward(z, x, mask),
    )
    extra = [(10.0, 20.0, 30.0, 40.0), (60.0, 5.0, 20.0, 20.0)]
    for tracker in (reference, one_at_a_time):
        tracker.initialize(frames[0], init_box)
        tracker.track(frames[1], with_kept_mask=True, extra=extra)
    assert sizes == [1, 1, 1]
    np.testing.assert_allclose(
        one_at_a_time.last_step.extra_peaks, reference.last_step.extra_peaks, atol=1e-5
    )


# ---------------------------------------------------------------- re-acquisition (demo model)
@pytest.fixture(scope="module")
def demo():
    torch.set_num_threads(1)
    return demo_tracker()


def run(tracker, seq):
    tracker.initialize(seq.frames[0], tuple(seq.boxes[0]))
    return [tracker.track(frame) for frame in seq.frames[1:]]


def test_a_target_that_left_the_view_is_found_again_elsewhere_only_with_redetect(demo):
    seq = reentry_sequence()
    absent = np.flatnonzero(seq.absence)
    assert (absent[0], absent[-1]) == REENTRY_ABSENT
    settings = LongTermSettings(lost_threshold=0.55, reacquire_threshold=0.55, lost_frames=3)
    results = {}
    for redetect in (False, True):
        results[redetect] = run(LongTermTracker(demo, settings, redetect=redetect), seq)
    back = absent[-1] + 1
    for redetect, res in results.items():
        ious = iou(np.array([r.box for r in res]), seq.boxes[1:])
        found = [t + 1 for t, r in enumerate(res) if t + 1 >= back and r.claimed and ious[t] > 0.5]
        if redetect:
            assert found and found[0] - back <= 15, found
            assert all(res[t - 1].claimed for t in range(found[0], len(seq.frames)))  # and keeps it
        else:
            assert not found
        # lost while the target is away: no claims on the absent frames after the loss
        assert not any(res[t - 1].claimed for t in range(absent[0] + 3, back))


def test_configure_changes_settings_at_run_time_and_refuses_bad_ones():
    tracker = LongTermTracker(ScriptedTracker([0.9, 0.1, 0.1]), lost_frames=2)
    before = tracker.settings
    tracker.configure(lost_frames=2)
    assert tracker.settings is before  # nothing differs: no-op
    tracker.configure(redetect=True, lost_threshold=0.3, reacquire_threshold=0.3)
    assert tracker.settings.redetect and tracker.settings.rule().threshold == 0.3
    with pytest.raises(TrackingError, match="reacquire_threshold"):
        tracker.configure(reacquire_threshold=0.1)
    assert tracker.settings.reacquire_threshold == 0.3  # the old settings stay


def test_relocate_searches_the_whole_view_for_a_target_marked_on_an_old_frame_without_redetect(demo):
    """initialize(relocate=True): unclaimed until the whole-view search confirms the target, even with
    redetect off; afterwards the ordinary (official) tracking goes on."""
    seq = marked_far_scene()  # marked on frame 11; back in view, 147 px away, from frame 34
    tracker = LongTermTracker(
        demo, LongTermSettings(lost_threshold=0.55, reacquire_threshold=0.55, lost_frames=3)
    )
    tracker.initialize(seq.frames[MARKED], tuple(seq.boxes[MARKED]), relocate=True)
    assert not tracker.claimed
    results = [tracker.track(frame) for frame in seq.frames[MARKED_BACK:]]
    claimed = [i for i, r in enumerate(results) if r.claimed]
    assert claimed and claimed[0] <= 20 and claimed == list(range(claimed[0], len(results)))
    ious = iou(np.array([results[i].box for i in claimed]), np.asarray(seq.boxes)[MARKED_BACK:][claimed])
    assert (ious > 0.5).all()
    assert not tracker._relocating  # found: no more whole-view searches unless redetect is on
