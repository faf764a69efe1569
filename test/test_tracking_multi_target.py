"""Several targets in one batched forward: the same results as one tracker per target, ids, limits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from conftest import TINY_DIR
from long_term_helpers import REENTRY_ABSENT, demo_tracker, reentry_sequence
from ostrack_ros.data.synthetic import SyntheticConfig, render_sequence
from ostrack_ros.tracking import LongTermTracker, Tracker, TrackingError
from ostrack_ros.tracking.multi_target import MultiTargetTracker


def _scenes(count: int, length: int = 12):
    """``count`` different synthetic sequences of one size: each gives one target's frames and box."""
    cfg = SyntheticConfig(length=length, max_distractors=0, p_occlusion=0.0, reentry=False)
    return [render_sequence(cfg, 4040, i) for i in range(count)]


def _composite(scenes, frame: int) -> np.ndarray:
    """The frames of several scenes side by side: one image with one target per scene."""
    return np.concatenate([s.frames[frame] for s in scenes], axis=1)


def _boxes(scenes, frame: int):
    width = scenes[0].frames[0].shape[1]
    return [
        (s.boxes[frame][0] + i * width, *s.boxes[frame][1:]) if not s.absence[frame] else None
        for i, s in enumerate(scenes)
    ]


@pytest.fixture(scope="module")
def tiny_tracker():
    return Tracker.from_files(TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar")


@pytest.mark.parametrize("which", ["demo", "tiny"])
def test_batched_targets_track_like_one_tracker_each(which, tiny_tracker):
    prototype = demo_tracker() if which == "demo" else tiny_tracker
    scenes = _scenes(3)
    multi = MultiTargetTracker(prototype, max_targets=3)
    alone = [LongTermTracker(prototype.sibling()) for _ in scenes]
    first = _composite(scenes, 0)
    for i, (single, box) in enumerate(zip(alone, _boxes(scenes, 0))):
        multi.initialize(f"t{i}", first, box)
        single.initialize(first, box)
    for frame in range(1, len(scenes[0].frames)):
        image = _composite(scenes, frame)
        together = multi.track(image, with_kept_mask=True)
        assert list(together) == ["t0", "t1", "t2"]
        for i, single in enumerate(alone):
            expected, got = single.track(image, with_kept_mask=True), together[f"t{i}"]
            np.testing.assert_allclose(got.box, expected.box, atol=1e-3)
            assert got.score == pytest.approx(expected.score, abs=1e-5)
            assert got.search_box == expected.search_box and got.claimed == expected.claimed
            np.testing.assert_array_equal(got.kept_mask, expected.kept_mask)  # same CE decisions


def test_one_target_is_exactly_the_single_tracker():
    prototype = demo_tracker()
    scene = _scenes(1)[0]
    multi, single = MultiTargetTracker(prototype), LongTermTracker(prototype.sibling())
    multi.initialize("a", scene.frames[0], scene.boxes[0])
    single.initialize(scene.frames[0], scene.boxes[0])
    for frame in scene.frames[1:]:
        assert multi.track(frame)["a"] == dataclasses.replace(single.track(frame))


def test_skipped_targets_take_no_step_and_the_others_track_as_without_them(tiny_tracker):
    scenes = _scenes(3, length=4)
    multi = MultiTargetTracker(tiny_tracker, max_targets=3)
    pair = MultiTargetTracker(tiny_tracker, max_targets=3)
    first = _composite(scenes, 0)
    for i, box in enumerate(_boxes(scenes, 0)):
        multi.initialize(f"t{i}", first, box)
        if i:
            pair.initialize(f"t{i}", first, box)
    image = _composite(scenes, 1)
    skipped = multi.track(image, skip=("t0",))
    assert list(skipped) == ["t1", "t2"] and skipped == pair.track(image)
    assert multi.track(image, skip=("t0", "t1", "t2")) == {}
    assert list(multi.track(image, skip=("t0", "t1"))) == ["t2"]  # one left: the single step


def test_ids_add_reinitialise_remove_and_the_limit():
    prototype = demo_tracker()
    scene = _scenes(1)[0]
    image, box = scene.frames[0], scene.boxes[0]
    multi = MultiTargetTracker(prototype, max_targets=2)
    multi.initialize("a", image, box)
    multi.initialize("b", image, box)
    with pytest.raises(TrackingError, match="max_targets 2"):
        multi.initialize("c", image, box)
    multi.initialize("a", image, (10, 10, 30, 30))  # same id: a new template, still two targets
    assert multi.ids == ["a", "b"] and multi.targets["a"].state == (10.0, 10.0, 30.0, 30.0)
    assert multi.remove("a") and not multi.remove("a")
    multi.initialize("c", image, box)
    assert multi.ids == ["b", "c"] and set(multi.track(scene.frames[1])) == {"b", "c"}
    with pytest.raises(TrackingError):  # a refused re-init drops that target (its template is gone)
        multi.initialize("b", image, (0, 0, 0, 0))
    assert multi.ids == ["c"]
    assert multi.track(scene.frames[1]).keys() == {"c"}
    multi.clear()
    assert multi.track(scene.frames[1]) == {} and len(multi) == 0


def test_each_target_keeps_its_own_lost_state_and_redetection_tiles_share_the_batch():
    prototype = LongTermTracker(demo_tracker(), redetect=True)
    gone = reentry_sequence()  # leaves the view on frames 24-38, re-enters far away
    stays = _scenes(1, length=len(gone.frames))[0]
    scenes = [gone, stays]
    multi = MultiTargetTracker(prototype, max_targets=2)
    multi.initialize("gone", _composite(scenes, 0), _boxes(scenes, 0)[0])
    multi.initialize("stays", _composite(scenes, 0), _boxes(scenes, 0)[1])
    alone = prototype.sibling()  # the other target, tracked on its own
    alone.initialize(_composite(scenes, 0), _boxes(scenes, 0)[1])
    calls = []
    model = prototype.tracker.model
    original = model.track_frame

    def counting(tokens, search, mask=None):
        calls.append(search.shape[0])
        return original(tokens, search, mask)

    model.track_frame = counting
    try:
        claims = {"gone": [], "stays": [], "alone": []}
        for frame in range(1, len(gone.frames)):
            for target_id, result in multi.track(_composite(scenes, frame)).items():
                claims[target_id].append(result.claimed)
    finally:
        del model.track_frame
    for frame in range(1, len(gone.frames)):
        claims["alone"].append(alone.track(_composite(scenes, frame)).claimed)
    assert len(calls) == len(gone.frames) - 1  # one network call per frame, whatever the targets do
    assert max(calls) > 2  # tiles of the lost target rode in the same batch
    assert not all(claims["gone"]) and any(claims["gone"][REENTRY_ABSENT[1] :])  # lost, found again
    assert claims["stays"] == claims["alone"]  # the other target is tracked as if it were alone


def test_networks_that_take_one_crop_per_call_run_the_batch_in_slices():
    prototype = demo_tracker()
    scenes = _scenes(2, length=4)
    batched = MultiTargetTracker(prototype, max_targets=2)
    sliced_proto = prototype.sibling()
    sliced_proto.model = _OneCropAtATime(prototype.model)
    sliced = MultiTargetTracker(sliced_proto, max_targets=2)
    for multi in (batched, sliced):
        for i, box in enumerate(_boxes(scenes, 0)):
            multi.initialize(str(i), _composite(scenes, 0), box)
    for frame in range(1, 4):
        image = _composite(scenes, frame)
        a, b = batched.track(image), sliced.track(image)
        for key in a:
            np.testing.assert_allclose(a[key].box, b[key].box, atol=1e-3)


class _OneCropAtATime:
    """A network like the exported graphs: one search crop per call."""

    max_batch = 1

    def __init__(self, model: torch.nn.Module) -> None:
        self.model, self.search_grid, self.device = model, model.search_grid, model.device

    def embed_template(self, template):
        return self.model.embed_template(template)

    def track_frame(self, tokens, search, mask=None):
        assert search.shape[0] == 1 and tokens.shape[0] == 1
        return self.model.track_frame(tokens, search, mask)
