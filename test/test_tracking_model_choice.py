"""The one resolver (``tracking.model_choice``): the same defaults and refusals for the node, the CLIs
and the benchmarks, and the ``TrackingNetwork`` contract the tracker checks."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from conftest import TINY_DIR
from ostrack_ros.configs import DEFAULT_PRESET
from ostrack_ros.model import load_model
from ostrack_ros.model.network_contract import FrameOutput, TrackingNetwork
from ostrack_ros.tracking import Tracker, TrackingError
from ostrack_ros.tracking.model_choice import ModelChoice, choose_model, load_tracker

CONFIG, WEIGHTS = TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar"
NO_CUDA = {"cuda_available": lambda: False}


def needs_tiny():
    if not WEIGHTS.is_file():
        pytest.skip("reference data missing")


def test_no_weights_is_the_demo_model_and_says_so():
    from ostrack_ros.assets import demo_model_paths

    config, weights = demo_model_paths()
    choice = choose_model(device="cpu", **NO_CUDA)
    assert (choice.config, choice.weights) == (str(config), str(weights))
    assert any("embedded demo model" in message for _, message in choice.notes)


def test_weights_without_config_assume_the_official_preset():
    needs_tiny()
    choice = choose_model(None, WEIGHTS, "cpu", **NO_CUDA)
    assert choice.config == DEFAULT_PRESET
    assert ("info", f"no config given: assuming preset {DEFAULT_PRESET}") in choice.notes


def test_missing_files_are_one_line_errors(tmp_path):
    with pytest.raises(TrackingError, match="weights file not found"):
        choose_model(CONFIG, tmp_path / "missing.pth", "cpu", **NO_CUDA)
    needs_tiny()
    with pytest.raises(TrackingError, match="config file not found"):
        choose_model(tmp_path / "missing.yaml", WEIGHTS, "cpu", **NO_CUDA)


def test_device_auto_and_unavailable_cuda():
    needs_tiny()
    choice = choose_model(CONFIG, WEIGHTS, "auto", "fp32", **NO_CUDA)
    assert choice.device == "cpu"
    assert ("warning", "device 'auto': CUDA is not available, running on CPU") in choice.notes
    assert choose_model(CONFIG, WEIGHTS, "auto", "fp32", cuda_available=lambda: True).device == "cuda"
    with pytest.raises(TrackingError, match="device 'cuda' requested but CUDA is not available"):
        choose_model(CONFIG, WEIGHTS, "cuda", **NO_CUDA)


def test_precisions_by_name_or_dtype_and_fp16_refused_on_cpu():
    needs_tiny()
    assert choose_model(CONFIG, WEIGHTS, "cpu", torch.bfloat16, **NO_CUDA).precision == "bf16"
    assert choose_model(CONFIG, WEIGHTS, "cuda", "auto", cuda_available=lambda: True).precision == "fp16"
    with pytest.raises(TrackingError, match="fp16 needs a CUDA device"):
        choose_model(CONFIG, WEIGHTS, "cpu", "fp16", **NO_CUDA)
    with pytest.raises(TrackingError, match="unsupported precision"):
        choose_model(CONFIG, WEIGHTS, "cpu", "fp8", **NO_CUDA)


def test_load_tracker_builds_what_was_chosen():
    needs_tiny()
    choice = choose_model(CONFIG, WEIGHTS, "cpu", "bf16", **NO_CUDA)
    tracker = load_tracker(choice)
    assert (str(tracker.device), tracker.precision) == ("cpu", "bf16")
    assert isinstance(tracker.model, TrackingNetwork)


def test_the_torch_model_keeps_the_contract():
    needs_tiny()
    model = load_model(CONFIG, WEIGHTS)
    assert isinstance(model, TrackingNetwork) and model.max_batch is None
    template, search = torch.rand(2, 3, 128, 128), torch.rand(2, 3, 256, 256)
    with torch.inference_mode():
        out = model.track_frame(model.embed_template(template), search)
        official = model(template, search)
    assert isinstance(out, FrameOutput)
    assert torch.equal(out.score_map, official["score_map"])
    assert torch.equal(out.pred_boxes, official["pred_boxes"])
    assert all(torch.equal(a, b) for a, b in zip(out.kept_indices, official["kept_indices"]))


class _Network:
    """A stand-in network: only what the tracker checks at construction."""

    max_batch = 1
    name = "fake"

    def __init__(self, search_grid: int, device: str = "cpu", dtype: torch.dtype = torch.float32) -> None:
        self.search_grid, self.device, self.dtype = search_grid, torch.device(device), dtype


def test_tracker_checks_what_the_network_was_built_for():
    needs_tiny()
    Tracker(_Network(16), CONFIG)  # the tiny config: 256 px search / stride 16
    with pytest.raises(TrackingError, match="12-cell score map does not match the config's 16"):
        Tracker(_Network(12), CONFIG)
    with pytest.raises(TrackingError, match="built for cpu in torch.bfloat16"):
        Tracker(_Network(16, dtype=torch.bfloat16), CONFIG)


def test_choice_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ModelChoice("c", "w", "cpu", "fp32").precision = "fp16"  # type: ignore[misc]
