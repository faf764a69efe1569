"""Crop geometry, Hann window and box post-processing against the official tracker's golden data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import REFERENCE_DIR
from ostrack_ros.tracking.geometry import (
    clip_box,
    crop_window,
    map_box_back,
    sample_target,
)
from ostrack_ros.tracking.window import hann1d, hann2d

SEQUENCE = REFERENCE_DIR / "tiny" / "tracker_sequence.npz"


@pytest.fixture(scope="module")
def seq():
    with np.load(SEQUENCE) as data:
        return {k: data[k] for k in data.files}


def test_template_crop_bit_exact(seq):
    crop = sample_target(seq["frames"][0], seq["init_box"].tolist(), 2.0, 128)
    assert (crop.x1, crop.y1, crop.size) == (80, 70, 88)  # .5 ties rounded half to even
    assert crop.resize_factor == float(seq["template_resize_factor"])
    np.testing.assert_array_equal(crop.image, seq["template_crop"])


@pytest.mark.parametrize("t", [1, 2, 3])
def test_first_search_crops_bit_exact(seq, t):
    crop = sample_target(seq["frames"][t], seq["boxes"][t - 1].tolist(), 4.0, 256)
    np.testing.assert_array_equal(crop.image, seq["search_crops_first3"][t - 1])


def test_crop_windows_and_pads_teacher_forced(seq):
    frames, boxes = seq["frames"], seq["boxes"]
    for t in range(1, len(frames)):
        crop = sample_target(frames[t], boxes[t - 1].tolist(), 4.0, 256)
        assert (crop.x1, crop.y1, crop.size) == tuple(seq["crop_x1_y1_size"][t]), f"frame {t}"
        assert crop.pads == tuple(seq["crop_pads"][t]), f"frame {t}"
        assert crop.resize_factor == seq["resize_factors"][t], f"frame {t}"
        assert crop.image.shape == (256, 256, 3) and crop.image.dtype == np.uint8


def test_round_half_to_even_ties():
    # 100.5 + 24 - 44 = 80.5 -> 80 (floor(v + 0.5) would give 81)
    assert crop_window((100.5, 94.5, 48.0, 40.0), 2.0) == (80, 70, 88)
    assert crop_window((-10.0, -10.0, 1.0, 2.0), 1.0)[:2] == (-10, -10)  # -10.5 -> -10 (even)
    assert round(-293.5) == -294  # the fixture's frame-25 tie, as Python rounds it


def test_right_edge_padding_quirk():
    image = np.full((20, 20, 3), 200, np.uint8)
    # The crop ends exactly at the right/bottom edge: the official code still pads one zero column/row.
    crop = sample_target(image, (12.5, 12.5, 5.0, 5.0), 2.0, 10)  # crop [10, 20)
    assert crop.pads == (0, 1, 0, 1)
    assert crop.image[-1].max() == 0 and crop.image[:, -1].max() == 0
    assert crop.image[:-1, :-1].min() == 200


@pytest.mark.parametrize(
    "box",
    [
        (150.0, 5.0, 4.0, 4.0),  # right of the image
        (5.0, 140.0, 4.0, 4.0),  # below it
        (-500.0, -500.0, 10.0, 10.0),  # far above-left: the official slice is empty
        (300.0, 300.0, 10.0, 10.0),  # far below-right
    ],
)
def test_window_that_sees_no_image_gives_the_zero_crop(box):
    """Official result (all padding) on every OpenCV: 4.x padded an empty patch, 5.x refuses one."""
    image = np.full((100, 120, 3), 200, np.uint8)
    crop = sample_target(image, box, 2.0, 16)
    assert crop.image.shape == (16, 16, 3) and crop.image.dtype == np.uint8
    assert crop.image.max() == 0
    assert crop.size == crop_window(box, 2.0)[2]


def test_map_back_and_clip(seq):
    boxes, height, width = seq["boxes"], *seq["frames"].shape[1:3]
    for t in range(1, len(boxes)):
        rf = float(seq["resize_factors"][t])
        # The official tracker scales the normalised box back as a float32 tensor, then .tolist().
        pred = (torch.tensor(seq["window_boxes"][t], dtype=torch.float32) * 256 / rf).tolist()
        mapped = map_box_back(pred, boxes[t - 1].tolist(), 256, rf)
        np.testing.assert_allclose(mapped, seq["preclip_boxes"][t], rtol=0, atol=1e-9, err_msg=f"frame {t}")
        np.testing.assert_allclose(
            clip_box(mapped, height, width, margin=10), boxes[t], rtol=0, atol=1e-9, err_msg=f"frame {t}"
        )


def test_clip_box_margin():
    assert clip_box((315.0, -5.0, 20.0, 8.0), 240, 320, margin=10) == (310.0, 0, 10, 10)
    assert clip_box((5.0, 6.0, 7.0, 8.0), 240, 320, margin=0) == (5.0, 6.0, 7.0, 8.0)


def test_hann_window_matches_reference_response(seq):
    window = hann2d(16, 16)
    assert window.dtype == torch.float32 and window.shape == (1, 1, 16, 16)
    k = np.arange(1, 17)
    np.testing.assert_allclose(hann1d(16).numpy(), 0.5 * (1 - np.cos(2 * np.pi * k / 17)), rtol=1e-6)
    np.testing.assert_array_equal(window[0, 0].numpy(), np.outer(hann1d(16).numpy(), hann1d(16).numpy()))
    for t in range(1, len(seq["frames"])):
        response = window[0, 0] * torch.from_numpy(seq["score_maps"][t - 1])
        assert int(response.flatten().argmax()) == seq["response_argmax"][t], f"frame {t}"
        assert float(response.max()) == pytest.approx(seq["response_max"][t], rel=0, abs=1e-7)
