"""Sampler geometry: causal frame pairs, crop jitter, box-to-crop mapping, heat maps, validity checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ostrack_ros.configs import CropConfig
from ostrack_ros.data import Sequence
from ostrack_ros.training.heatmap import center_heatmap, gaussian_radius
from ostrack_ros.training.processing import Augmentation, PairProcessor, box_to_crop, jitter_box
from ostrack_ros.training.sampler import PairSampler
from training_helpers import tiny_config


def _sequence(n: int, visible) -> Sequence:
    return Sequence("s", [Path(f"{i}.jpg") for i in range(n)], np.tile([10, 10, 20, 20], (n, 1)), visible)


def test_causal_pairs_respect_gap_and_visibility():
    visible = np.ones(40, bool)
    visible[[3, 4, 5, 20]] = False
    sampler = PairSampler([[_sequence(40, visible)]], max_gap=6)
    rng = np.random.default_rng(0)
    for _ in range(300):
        pair = sampler.sample(rng)
        assert visible[pair.template] and visible[pair.search]
        assert 0 < pair.search - pair.template < 6 + 5  # gap grows by 5 only when the window is empty


def test_gap_grows_until_a_visible_search_frame_exists():
    visible = np.zeros(30, bool)
    visible[[0, 1, 2, 3, 4]] = False
    visible[[0, 25, 26, 27, 28]] = True
    sampler = PairSampler([[_sequence(30, visible)]], max_gap=2)
    rng = np.random.default_rng(1)
    pairs = [sampler.sample(rng) for _ in range(50)]
    assert any(p.template == 0 and p.search >= 25 for p in pairs)


def test_dataset_ratios_and_unusable_sequences():
    good, short = _sequence(30, np.ones(30, bool)), _sequence(10, np.ones(10, bool))
    sampler = PairSampler([[good], [short]], ratios=[1, 1])
    assert sampler.weights.tolist() == [1.0, 0.0]  # under 20 frames: never drawn (official rule)
    with pytest.raises(ValueError, match="visible frames"):
        PairSampler([[_sequence(30, np.zeros(30, bool))]])


def test_zero_jitter_keeps_the_box_and_jitter_stays_in_range():
    rng = np.random.default_rng(0)
    box = np.array([100.0, 50.0, 40.0, 10.0])
    assert np.allclose(jitter_box(box, CropConfig(128, 2.0, 0.0, 0.0), rng), box)
    crop = CropConfig(256, 4.0, 3.0, 0.25)
    for _ in range(200):
        j = jitter_box(box, crop, rng)
        centre_shift = (j[:2] + j[2:] / 2) - (box[:2] + box[2:] / 2)
        assert (np.abs(centre_shift) <= 0.5 * 3.0 * np.sqrt(j[2] * j[3]) + 1e-9).all()


def test_box_to_crop_matches_the_official_formula():
    box = np.array([100.0, 50.0, 40.0, 10.0])
    # crop centred on the box itself: centre at (out - 1) / 2, size w * factor
    out = box_to_crop(box, box, resize_factor=2.0, output_size=128)
    assert out * 128 == pytest.approx([63.5 - 40, 63.5 - 10, 80, 20])
    shifted = box_to_crop(box, box + [10, -5, 0, 0], resize_factor=0.5, output_size=100)
    assert shifted * 100 == pytest.approx([49.5 - 5 - 10, 49.5 + 2.5 - 2.5, 20, 5])


def test_gaussian_radius_hand_checked():
    # w = h = 6 cells, overlap 0.7: the third CornerNet root is the smallest
    b3, c3, a3 = -2 * 0.7 * 12, -0.3 * 36, 4 * 0.7
    assert gaussian_radius(6, 6) == pytest.approx((b3 + np.sqrt(b3**2 - 4 * a3 * c3)) / 2)
    assert int(gaussian_radius(2, 2)) == 0


def test_center_heatmap_peak_and_shape():
    # 6x6-cell box whose centre is at grid coordinate (5, 9) -> peak at row 9, column 5; radius 1, sigma 0.5
    grid = 16
    box = np.array([(5 - 3) / grid, (9 - 3) / grid, 6 / grid, 6 / grid])
    heat = center_heatmap(box, grid)
    assert heat[9, 5] == 1.0 and (heat == 1).sum() == 1
    assert heat[9, 4] == pytest.approx(np.exp(-2)) and heat[8, 4] == pytest.approx(np.exp(-4))
    assert (heat > 0).sum() == 9
    corner = center_heatmap(np.array([0.0, 0.0, 2 / grid, 2 / grid]), grid)
    assert corner[1, 1] == 1.0
    # the official centre is round(x + w/2) with half-to-even: 5.5 -> 6, 6.5 -> 6
    for centre, cell in ((5.5, 6), (6.5, 6)):
        heat = center_heatmap(np.array([(centre - 1) / grid, 0.5, 2 / grid, 2 / grid]), grid)
        assert heat[9].argmax() == cell


def _no_jitter_config():
    """The tiny config without search-crop jitter: the crop is centred on the box, at 4x its size."""
    cfg = tiny_config()
    return dataclasses.replace(
        cfg,
        data=dataclasses.replace(
            cfg.data, search=dataclasses.replace(cfg.data.search, center_jitter=0.0, scale_jitter=0.0)
        ),
    )


def test_processor_centres_the_target_without_jitter():
    cfg = _no_jitter_config()
    frame = np.zeros((200, 300, 3), np.uint8)
    frame[80:112, 130:162] = 255  # 32x32 white target
    box = np.array([130.0, 80.0, 32.0, 32.0])
    sample = PairProcessor(cfg, Augmentation.none())(frame, box, frame, box, np.random.default_rng(0))
    assert sample["template"].shape == (3, 64, 64) and sample["search"].shape == (3, 128, 128)
    # search crop side = 4 * 32 = 128 px -> resize factor 1: the box is 32/128 of the crop, centred
    assert sample["search_box"].numpy() * 128 == pytest.approx([47.5, 47.5, 32, 32])
    assert sample["template_box"].numpy() * 64 == pytest.approx([15.5, 15.5, 32, 32])
    white = sample["search"][0].numpy() > 1.5
    ys, xs = np.nonzero(white)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (48, 79, 48, 79)
    heat = sample["heatmap"].numpy()
    assert heat.shape == (8, 8) and np.unravel_index(heat.argmax(), heat.shape) == (4, 4)


def test_processor_rejects_a_crop_that_sees_no_image():
    cfg = _no_jitter_config()
    frame = np.zeros((100, 100, 3), np.uint8)
    far = np.array([-500.0, -500.0, 10.0, 10.0])
    assert (
        PairProcessor(cfg, Augmentation.none())(
            frame, np.array([40.0, 40, 10, 10]), frame, far, np.random.default_rng(0)
        )
        is None
    )


def test_no_target_pairs_cut_the_search_crop_where_the_target_is_not():
    cfg = _no_jitter_config()
    frame = np.zeros((240, 400, 3), np.uint8)
    frame[20:52, 20:52] = 255  # the only white pixels: a 32x32 target in the top-left corner
    box = np.array([20.0, 20.0, 32.0, 32.0])
    processor = PairProcessor(cfg, dataclasses.replace(Augmentation.none(), no_target=1.0))
    rng = np.random.default_rng(0)
    samples = [s for s in (processor(frame, box, frame, box, rng) for _ in range(20)) if s is not None]
    assert len(samples) >= 15  # a 128 px crop fits beside the target in most draws
    for sample in samples:
        assert not sample["has_target"]
        assert sample["heatmap"].abs().sum() == 0 and sample["search_box"].abs().sum() == 0
        assert (sample["search"][0].numpy() < 1.5).all()  # no target pixel in the search crop
        assert (sample["template"][0].numpy() > 1.5).any()  # the template still holds it


def test_no_target_pairs_are_refused_when_no_crop_misses_the_target():
    cfg = _no_jitter_config()
    frame = np.zeros((140, 140, 3), np.uint8)  # a 128 px crop cannot miss a centred target
    box = np.array([54.0, 54.0, 32.0, 32.0])
    processor = PairProcessor(cfg, dataclasses.replace(Augmentation.none(), no_target=1.0))
    assert processor(frame, box, frame, box, np.random.default_rng(0)) is None


def test_without_no_target_pairs_the_random_stream_is_the_official_one():
    cfg = tiny_config()
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    box = np.array([130.0, 80.0, 32.0, 32.0])
    a = PairProcessor(cfg, Augmentation())(frame, box, frame, box, np.random.default_rng(5))
    b = PairProcessor(cfg, dataclasses.replace(Augmentation(), no_target=0.0))(
        frame, box, frame, box, np.random.default_rng(5)
    )
    assert a["has_target"] and b["has_target"]
    for key in ("template", "search", "search_box", "heatmap"):
        assert np.array_equal(a[key].numpy(), b[key].numpy())
