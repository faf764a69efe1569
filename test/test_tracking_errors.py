"""Degenerate input gets a clear ``TrackingError`` and never corrupts the tracker's state."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from conftest import REFERENCE_DIR
from ostrack_ros.configs import load_config
from ostrack_ros.model import build_model
from ostrack_ros.tracking import Tracker, TrackingError, as_dtype

TINY_CONFIG = REFERENCE_DIR / "tiny" / "config.yaml"

BOX = (40.0, 30.0, 24.0, 20.0)


@pytest.fixture(scope="module")
def tracker():
    return Tracker(build_model(TINY_CONFIG), TINY_CONFIG)


@pytest.fixture(scope="module")
def frame():
    return np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)


def test_tracking_error_is_a_value_error():
    assert issubclass(TrackingError, ValueError)


def test_track_before_initialize():
    fresh = Tracker(build_model(TINY_CONFIG), TINY_CONFIG)
    with pytest.raises(TrackingError, match="before initialize"):
        fresh.track(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(TrackingError, match="after initialize"):
        fresh.state = BOX
    assert not fresh.initialized and fresh.state is None


@pytest.mark.parametrize(
    "image, message",
    [
        ([[0, 0, 0]], "numpy array"),
        (np.zeros((32, 32), np.uint8), "HxWx3"),
        (np.zeros((32, 32, 4), np.uint8), "HxWx3"),
        (np.zeros((32, 32, 3), np.float32), "uint8"),
        (np.zeros((32, 32, 3), np.uint16), "uint8"),
        (np.zeros((1, 32, 3), np.uint8), "too small"),
        (np.zeros((32, 0, 3), np.uint8), "too small"),
    ],
)
def test_bad_images(tracker, frame, image, message):
    with pytest.raises(TrackingError, match=message):
        tracker.initialize(image, BOX)
    tracker.initialize(frame, BOX)
    with pytest.raises(TrackingError, match=message):
        tracker.track(image)
    assert tracker.state == BOX and tracker.frame_index == 0


@pytest.mark.parametrize(
    "box, message",
    [
        ((1.0, 2.0, 3.0), "4 numbers"),
        ("abcd", "4 numbers"),
        (None, "4 numbers"),
        ((float("nan"), 2.0, 3.0, 4.0), "non-finite"),
        ((1.0, 2.0, float("inf"), 4.0), "non-finite"),
        ((10.0, 10.0, 0.0, 5.0), "positive"),
        ((10.0, 10.0, 5.0, -5.0), "positive"),
        ((128.0, 10.0, 5.0, 5.0), "outside"),
        ((10.0, 96.0, 5.0, 5.0), "outside"),
        ((-5.0, 10.0, 5.0, 5.0), "outside"),
        ((10.0, -20.0, 5.0, 20.0), "outside"),
        ((0.0, 0.0, 300.0, 20.0), "twice the size"),
    ],
)
def test_bad_init_boxes_leave_state_alone(tracker, frame, box, message):
    tracker.initialize(frame, BOX)
    tracker.track(frame)
    state, index = tracker.state, tracker.frame_index
    with pytest.raises(TrackingError, match=message):
        tracker.initialize(frame, box)
    assert tracker.state == state and tracker.frame_index == index
    tracker.track(frame)  # still usable


def test_bad_state_assignment(tracker, frame):
    tracker.initialize(frame, BOX)
    with pytest.raises(TrackingError, match="non-finite"):
        tracker.state = (1.0, 2.0, float("nan"), 4.0)
    assert tracker.state == BOX


def test_frame_shrinking_under_the_state(tracker, frame):
    tracker.initialize(frame, (100.0, 70.0, 20.0, 20.0))
    with pytest.raises(TrackingError, match="frame size change"):
        tracker.track(frame[:50, :60])
    assert tracker.state == (100.0, 70.0, 20.0, 20.0)


def test_partially_visible_and_tiny_boxes_track(tracker, frame):
    for box in ((-10.0, -8.0, 20.0, 16.0), (120.0, 90.0, 30.0, 30.0), (60.0, 40.0, 0.5, 0.5)):
        tracker.initialize(frame, box)
        result = tracker.track(frame)
        x, y, w, h = result.box
        assert 0 <= x <= 118 and 0 <= y <= 86 and w >= 10 and h >= 10
        assert 0.0 <= result.score <= 1.0


def test_non_contiguous_frames_are_accepted(tracker, frame):
    bgr = np.ascontiguousarray(frame[:, :, ::-1])
    tracker.initialize(bgr[:, :, ::-1], BOX)
    strided = tracker.track(bgr[:, :, ::-1]).box
    tracker.initialize(frame, BOX)
    assert tracker.track(frame).box == strided


def test_precision_and_device_errors():
    assert as_dtype("bf16") is torch.bfloat16 and as_dtype(torch.float16) is torch.float16
    with pytest.raises(TrackingError, match="precision"):
        as_dtype("fp8")
    with pytest.raises(TrackingError, match="precision"):
        Tracker(build_model(TINY_CONFIG), TINY_CONFIG, dtype=torch.float64)
    with pytest.raises(TrackingError, match="int8 is the onnxruntime backend"):
        Tracker(build_model(TINY_CONFIG), TINY_CONFIG, dtype="int8")
    with pytest.raises(TrackingError, match="device"):
        Tracker(build_model(TINY_CONFIG), TINY_CONFIG, device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(TrackingError, match="CUDA"):
            Tracker(build_model(TINY_CONFIG), TINY_CONFIG, device="cuda")


def test_test_sizes_must_match_the_network():
    cfg = load_config(TINY_CONFIG)
    bad = dataclasses.replace(cfg, test=dataclasses.replace(cfg.test, search_size=320))
    with pytest.raises(TrackingError, match="TEST sizes"):
        Tracker(build_model(cfg), bad)


def test_network_must_match_the_config():
    cfg = load_config(TINY_CONFIG)
    wide = dataclasses.replace(
        cfg, data=dataclasses.replace(cfg.data, search=dataclasses.replace(cfg.data.search, size=320))
    )
    with pytest.raises(TrackingError, match="another config"):
        Tracker(build_model(wide), cfg)
