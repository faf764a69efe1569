"""Model parity with the official OSTrack forward pass (tiny seeded CE network, fixture README tolerances)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import FIXTURE_TOL, REFERENCE_DIR
from ostrack_ros.model import ce_template_mask, kept_token_counts, load_model

REF = REFERENCE_DIR
CASES = ("b1_", "b2_", "b1_keep1_")


@pytest.fixture(scope="module")
def io():
    return np.load(REF / "tiny/model_io.npz")


@pytest.fixture(scope="module", params=[True, False], ids=["fused", "explicit"])
def model(request):
    return load_model(REF / "tiny/config.yaml", REF / "tiny/checkpoint.pth.tar", fused_attn=request.param)


def run_case(model, io, p):
    keep = float(io[p + "ce_keep_rate"])
    with torch.inference_mode():
        return model(
            torch.from_numpy(io[p + "template"]),
            torch.from_numpy(io[p + "search"]),
            ce_template_mask=torch.from_numpy(io[p + "ce_template_mask"]),
            ce_keep_rate=None if np.isnan(keep) else keep,
        )


@pytest.mark.parametrize("case", CASES)
def test_outputs_match_reference(model, io, case):
    out = run_case(model, io, case)
    for key, atol in FIXTURE_TOL.items():
        np.testing.assert_allclose(out[key].numpy(), io[case + key], rtol=0, atol=atol, err_msg=key)
    feat = out["backbone_feat"].numpy()
    assert np.array_equal(feat == 0, io[case + "backbone_feat"] == 0), "removed tokens must be exact zeros"


@pytest.mark.parametrize("case", CASES)
def test_ce_indices_match_reference(model, io, case):
    out = run_case(model, io, case)
    for i, layer in enumerate((3, 6, 9)):
        for name, got in (("kept", out["kept_indices"][i]), ("removed", out["removed_indices"][i])):
            ref = io[f"{case}ce{layer}_{name}"]
            assert got.shape == ref.shape, (layer, name)
            for g, r in zip(got.numpy(), ref):
                assert set(g.tolist()) == set(r.tolist()), (case, layer, name)
        # Secondary: the reference order (descending score) also matches in model_io.
        np.testing.assert_array_equal(out["kept_indices"][i].numpy(), io[f"{case}ce{layer}_kept"])


def test_batch_elements_are_independent(model, io):
    b1, b2 = run_case(model, io, "b1_"), run_case(model, io, "b2_")
    np.testing.assert_allclose(b2["pred_boxes"][:1].numpy(), b1["pred_boxes"].numpy(), atol=1e-6)
    assert not torch.equal(b2["kept_indices"][0][0], b2["kept_indices"][0][1])


def test_template_mask_and_token_counts():
    mask = ce_template_mask(REF / "tiny/config.yaml", 2)
    assert mask.shape == (2, 64) and mask.sum() == 2 and bool(mask[:, 27].all())
    assert ce_template_mask("vitb_384_mae_ce_32x4_ep300", 1).nonzero()[0, 1] == 5 * 12 + 5
    assert kept_token_counts("vitb_256_mae_ce_32x4_ep300") == (180, 126, 89)
    assert kept_token_counts("vitb_384_mae_ce_32x4_ep300") == (404, 283, 199)
    assert kept_token_counts("vitb_256_mae_ce_32x4_ep300", ce_keep_rate=1.0) == (256, 256, 256)


def test_template_tokens_path_equals_forward(model, io):
    t, s = torch.from_numpy(io["b1_template"]), torch.from_numpy(io["b1_search"])
    mask = torch.from_numpy(io["b1_ce_template_mask"])
    with torch.inference_mode():
        a = model(t, s, mask)
        b = model.forward_tokens(model.embed_template(t), s, mask)
    assert torch.equal(a["score_map"], b["score_map"])
