"""The marked target's colour model that re-detection checks candidates against."""

from __future__ import annotations

import numpy as np
import pytest

from ostrack_ros.tracking.colour import ColourModel, grey_world_gains, histogram

RED, BLUE, DARK_RED, GREEN = (220, 30, 30), (30, 30, 220), (110, 15, 15), (40, 180, 60)


def scene(*patches, background=(128, 128, 128)):
    """A 120x160 RGB frame of ``background`` with (x, y, colour) 20x20 squares on it."""
    image = np.empty((120, 160, 3), np.uint8)
    image[:] = background
    for x, y, colour in patches:
        image[y : y + 20, x : x + 20] = colour
    return image


def test_the_same_colours_match_other_colours_do_not():
    image = scene((10, 10, RED), (60, 10, BLUE), (110, 10, RED))
    match = ColourModel(image, (10, 10, 20, 20)).matcher(image)
    assert match((110, 10, 20, 20)) == pytest.approx(1.0)  # a red square elsewhere
    assert match((60, 10, 20, 20)) < 0.1  # a blue one
    assert match((100, 10, 20, 20)) > 0.6  # half red, half grey background: mostly the target's


def test_hue_and_saturation_not_brightness_so_a_darker_view_still_matches():
    model = ColourModel(scene((10, 10, RED)), (10, 10, 20, 20))
    assert model.matcher(scene((70, 50, DARK_RED)))((70, 50, 20, 20)) == pytest.approx(1.0)


def test_a_white_balance_cast_over_the_whole_frame_still_matches_another_colour_does_not():
    """A cast (per-channel gains) shifts every hue; grey-world balance of both frames undoes it."""
    marked = scene((10, 10, GREEN), (60, 60, RED), background=(150, 120, 110))
    model = ColourModel(marked, (10, 10, 20, 20))
    cast = np.clip(marked.astype(np.float32) * (0.8, 1.0, 1.25), 0, 255).astype(np.uint8)
    moved = scene(background=(0, 0, 0))
    moved[:] = cast
    moved[10:30, 10:30] = cast[60:80, 60:80]  # the red square where the green one was
    moved[90:110, 130:150] = cast[10:30, 10:30]  # the green square, seen through the cast
    match = model.matcher(moved)
    assert match((130, 90, 20, 20)) > 0.9
    assert match((10, 10, 20, 20)) < 0.1
    assert np.allclose(grey_world_gains(scene(background=(100, 100, 100))), 1.0)


def test_grey_frames_and_boxes_off_the_image_are_no_evidence_against_a_candidate():
    grey = np.repeat(np.random.default_rng(0).integers(0, 255, (120, 160, 1), np.uint8), 3, axis=2)
    match = ColourModel(grey, (10, 10, 30, 30)).matcher(grey)
    assert match((100, 60, 30, 30)) == pytest.approx(1.0)  # no hue: everything matches
    assert histogram(grey, (-50, -50, 40, 40)) is None  # off the frame
    assert match((170, 10, 30, 30)) == 1.0
    assert ColourModel(grey, (159.5, 119.5, 5, 5)).matcher(grey)((10, 10, 30, 30)) == 1.0
    one_colour = scene(background=(200, 0, 0))  # a channel of mean zero: the gains are clamped
    assert np.isfinite(grey_world_gains(one_colour)).all()
    assert ColourModel(one_colour, (10, 10, 20, 20)).matcher(one_colour)((50, 50, 20, 20)) == pytest.approx(
        1.0
    )
