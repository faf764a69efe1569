"""The marked target's colour model that re-detection checks candidates against."""

from __future__ import annotations

import numpy as np
import pytest

from ostrack_ros.tracking.colour import ColourModel, histogram

RED, BLUE, DARK_RED = (220, 30, 30), (30, 30, 220), (110, 15, 15)


def scene(*patches):
    """A grey 120x160 RGB frame with (x, y, colour) 20x20 squares on it."""
    image = np.full((120, 160, 3), 128, np.uint8)
    for x, y, colour in patches:
        image[y : y + 20, x : x + 20] = colour
    return image


def test_the_same_colours_match_other_colours_do_not():
    image = scene((10, 10, RED), (60, 10, BLUE), (110, 10, RED))
    model = ColourModel(image, (10, 10, 20, 20))
    assert model.match(image, (110, 10, 20, 20)) == pytest.approx(1.0)  # a red square elsewhere
    assert model.match(image, (60, 10, 20, 20)) < 0.1  # a blue one
    # half red, half grey background: still mostly the target's colours
    assert model.match(image, (100, 10, 20, 20)) > 0.6


def test_hue_and_saturation_not_brightness_so_a_darker_view_still_matches():
    model = ColourModel(scene((10, 10, RED)), (10, 10, 20, 20))
    assert model.match(scene((70, 50, DARK_RED)), (70, 50, 20, 20)) == pytest.approx(1.0)


def test_grey_frames_and_boxes_off_the_image_are_no_evidence_against_a_candidate():
    grey = np.repeat(np.random.default_rng(0).integers(0, 255, (120, 160, 1), np.uint8), 3, axis=2)
    model = ColourModel(grey, (10, 10, 30, 30))
    assert model.match(grey, (100, 60, 30, 30)) == pytest.approx(1.0)  # no hue: everything matches
    assert histogram(grey, (-50, -50, 40, 40)) is None  # off the frame
    assert model.match(grey, (170, 10, 30, 30)) == 1.0
    assert ColourModel(grey, (159.5, 119.5, 5, 5)).match(grey, (10, 10, 30, 30)) == 1.0
