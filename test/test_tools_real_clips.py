"""tools/real_clips.py: its colour segmentation boxes both kinds of target in synthetic images."""

from __future__ import annotations

import importlib.util
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT


def _tool():
    spec = importlib.util.spec_from_file_location("real_clips", REPO_ROOT / "tools" / "real_clips.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


real_clips = _tool()
RULES = {clip.name: clip.rule for clip in real_clips.CLIPS}


def _textured_background(seed: int = 0) -> np.ndarray:
    """A 480x640 BGR scene of light, weakly coloured noise blobs (a wall, a table cloth)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(150, 230, size=(24, 32, 3)).astype(np.float32)
    image = cv2.resize(coarse, (640, 480), interpolation=cv2.INTER_CUBIC)
    image += rng.normal(0, 8, size=image.shape)
    grey = image.mean(axis=2, keepdims=True)
    return np.clip(grey + 0.15 * (image - grey), 0, 255).astype(np.uint8)


def _skin(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, shade: float = 1.0) -> None:
    image[y0:y1, x0:x1] = np.array([120, 160, 215], np.float32) * shade  # BGR skin tone


def test_yellow_box_on_texture_is_boxed_within_a_pixel():
    image = _textured_background()
    image[100:261, 200:431] = (30, 200, 230)  # BGR yellow, H ~ 25
    image[140:221, 250:381] = (200, 150, 60)  # a blue picture inside the box: the box stays one target
    _skin(image, 40, 150, 199, 200)  # the hand holding it, touching its left edge
    box = real_clips.segment_box(image, RULES["box"])
    assert box is not None
    np.testing.assert_allclose(box, (200, 100, 231, 161), atol=1)


def test_dark_object_split_by_a_lighter_bar_gives_the_union_box():
    image = _textured_background(1)
    image[80:401, 300:401] = (35, 38, 40)  # a near-black bottle, 101 x 321
    _skin(image, 280, 200, 560, 225)  # a finger across it splits it in two
    _skin(image, 401, 230, 560, 260, shade=0.3)  # the hand's shaded underside: dark but coloured
    mask = real_clips.colour_mask(image, RULES["cup"])
    assert cv2.connectedComponents(mask)[0] - 1 == 2  # two dark parts, no hand
    box = real_clips.segment_box(image, RULES["cup"])
    np.testing.assert_allclose(box, (300, 80, 101, 321), atol=1)


def test_dark_parts_far_from_the_previous_box_are_left_out():
    image = _textured_background(2)
    image[100:301, 100:171] = (30, 30, 30)  # the bottle
    image[100:301, 450:521] = (30, 30, 30)  # another dark object across the room
    box = real_clips.segment_box(image, RULES["cup"], previous=(460, 110, 60, 180))
    np.testing.assert_allclose(box, (450, 100, 71, 201), atol=1)
    assert real_clips.segment_box(image, RULES["cup"], previous=(300, 350, 40, 40)) is None


def test_frame_zero_without_a_target_is_an_error():
    frames = [_textured_background(3)] * 3
    with pytest.raises(RuntimeError, match="frame 0"):
        real_clips.annotate(real_clips.CLIPS[0], frames)


def test_only_keyframes_are_scored():
    frame = _textured_background(4)
    frame[100:201, 100:301] = (30, 200, 230)
    boxes, absence, notes = real_clips.annotate(real_clips.CLIPS[0], [frame] * 25)
    assert np.flatnonzero(absence == 0).tolist() == [0, 10, 20]
    np.testing.assert_allclose(boxes[10], (100, 100, 201, 101), atol=1)
    assert not boxes[absence == 1].any() and notes == []


def test_figure_draws_the_ground_truth_and_every_trackers_box(tmp_path):
    from ostrack_ros.evaluation.results_io import write_results

    frame = _textured_background(5)
    frame[100:201, 100:301] = (30, 200, 230)
    boxes = np.tile([100.0, 100.0, 201.0, 101.0], (21, 1))
    absence = np.ones(21, np.int64)
    absence[::10] = 0
    real_clips.write_clip(tmp_path / "data" / "box", [frame] * 21, boxes, absence)
    (tmp_path / "data" / "list.txt").write_text("box\n")
    for name, shift in (("a", 0.0), ("b", 40.0)):
        write_results(tmp_path / "eval" / "results" / name, "box", boxes + shift, np.zeros(21), np.ones(21))
    image = real_clips.figure(tmp_path / "data", tmp_path / "eval", per_clip=2)
    assert image.shape == (32 + 240, 2 * 320, 3)  # legend row + one clip row of two half-size keyframes
    tile = image[32:, :320]
    colours = {tuple(c) for c in tile.reshape(-1, 3)}
    assert {(255, 255, 255), real_clips.TRACKER_COLOURS[0], real_clips.TRACKER_COLOURS[1]} <= colours
