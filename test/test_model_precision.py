"""Mixed precision (set_precision): reduced-precision matrix work, fp32 everywhere it matters."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from conftest import CE_LAYERS, REFERENCE_DIR, TINY_DIR
from ostrack_ros.model import compute_dtype, set_precision
from ostrack_ros.model.attention import CandidateScores
from ostrack_ros.model.precision import ce_swaps_beyond_noise


@pytest.fixture(scope="module")
def io():
    path = REFERENCE_DIR / "tiny/model_io.npz"
    if not path.is_file():
        pytest.skip(f"reference data missing: {path}")
    return np.load(path)


def run_recording_scores(model, io, prefix):
    """Forward pass on a fixture case; returns (outputs, CE scores of each stage)."""
    scores = []
    hooks = [
        m.register_forward_hook(lambda _m, _a, out: scores.append(out))
        for m in model.modules()
        if isinstance(m, CandidateScores)
    ]
    try:
        with torch.inference_mode():
            out = model(
                torch.from_numpy(io[prefix + "template"]),
                torch.from_numpy(io[prefix + "search"]),
                torch.from_numpy(io[prefix + "ce_template_mask"]),
            )
    finally:
        for h in hooks:
            h.remove()
    return out, scores


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_matrix_layers_reduced_norms_head_outputs_fp32(tiny_model, io, dtype):
    model = set_precision(copy.deepcopy(tiny_model), dtype)
    assert compute_dtype(model) == dtype and compute_dtype(tiny_model) == torch.float32
    for name, module in model.named_modules():
        if isinstance(module, nn.LayerNorm) or name.startswith("box_head.conv5_"):
            assert module.weight.dtype == torch.float32, name
        elif isinstance(module, (nn.Linear, nn.Conv2d, nn.BatchNorm2d)):  # BatchNorm follows its conv
            assert module.weight.dtype == dtype, name
    out, scores = run_recording_scores(model, io, "b1_")
    for key in ("score_map", "size_map", "offset_map", "pred_boxes", "backbone_feat"):
        assert out[key].dtype == torch.float32, key
    assert all(s.dtype == torch.float32 for s in scores) and len(scores) == len(CE_LAYERS)


def test_set_precision_is_idempotent_and_fp32_removes_the_casts(tiny_model, io):
    mixed = set_precision(set_precision(copy.deepcopy(tiny_model), torch.bfloat16), torch.bfloat16)
    hooks = sum(len(m._forward_pre_hooks) for m in mixed.modules())
    assert hooks == sum(
        isinstance(m, (nn.Linear, nn.Conv2d, nn.BatchNorm2d, nn.LayerNorm)) for m in mixed.modules()
    )
    copied = set_precision(copy.deepcopy(mixed), torch.float32)  # a copy's hooks are its own
    assert sum(len(m._forward_pre_hooks) for m in copied.modules()) == 0
    assert sum(len(m._forward_pre_hooks) for m in mixed.modules()) == hooks
    assert all(p.dtype == torch.float32 for p in copied.parameters())
    with pytest.raises(ValueError, match="int8 is the onnxruntime backend"):
        set_precision(copied, torch.int8)
    with pytest.raises(ValueError, match="unsupported compute precision"):
        set_precision(copied, torch.float64)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("prefix", ["b1_", "b2_"])
def test_ce_decisions_match_fp32_except_ties_below_the_precision(tiny_model, io, dtype, prefix):
    """At the first CE stage where a sample's kept set differs from fp32, every token that changed
    sides has an fp32 score within twice the reduced precision's own score error of the keep
    threshold: a tie the format cannot resolve (ce_swaps_beyond_noise). fp16 keeps every decision."""
    ref, ref_scores = run_recording_scores(tiny_model, io, prefix)
    out, scores = run_recording_scores(set_precision(copy.deepcopy(tiny_model), dtype), io, prefix)
    swapped_any = 0
    for b in range(ref["score_map"].shape[0]):
        swapped, beyond = ce_swaps_beyond_noise(
            [s[b] for s in ref_scores],
            [s[b] for s in scores],
            [k[b] for k in ref["kept_indices"]],
            [k[b] for k in out["kept_indices"]],
        )
        assert beyond == 0, f"sample {b}: {beyond} of {swapped} CE swaps are not ties"
        swapped_any += swapped
    if dtype == torch.float16:
        assert swapped_any == 0  # fp16's 10-bit mantissa keeps every decision here
    elif prefix == "b1_":
        assert swapped_any > 0  # bf16 does swap near-ties here: the rule above is exercised


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_tracker_runs_the_mixed_network(dtype):
    from ostrack_ros.tracking import Tracker

    if not (TINY_DIR / "checkpoint.pth.tar").is_file():
        pytest.skip("reference data missing")
    if dtype == torch.float16 and torch.__version__ < "2.1":
        pytest.skip("no half-precision CPU convolution before torch 2.1")
    tracker = Tracker.from_files(TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar", dtype=dtype)
    assert compute_dtype(tracker.model) == dtype and tracker.dtype == dtype
    frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    tracker.initialize(frame, (100, 80, 60, 50))
    result = tracker.track(frame)
    assert tracker.last_step.output.score_map.dtype == torch.float32
    assert np.isfinite(result.box).all() and 0.0 < result.score < 1.0
