"""The CE module's rules on their own: keep ratios, row weights, elimination order, token recovery."""

from __future__ import annotations

import pytest
import torch

from ostrack_ros.model.candidate_elimination import (
    ce_row_weights,
    constant_ce_rows,
    effective_keep_ratio,
    eliminate,
    kept_token_counts,
    recover_tokens,
    template_row_weights,
)


def test_keep_ratio_rule_is_the_official_one():
    assert effective_keep_ratio(0.7) == 0.7
    assert effective_keep_ratio(0.7, 0.5) == 0.5  # forward-time rate overrides a CE block
    assert effective_keep_ratio(0.7, 1.0) == 1.0  # a rate of 1 disables elimination
    assert effective_keep_ratio(1.0, 0.5) == 1.0  # non-CE blocks never eliminate
    assert kept_token_counts("vitb_384_mae_ce_32x4_ep300", ce_keep_rate=0.5) == (288, 144, 72)


def test_row_weights_are_the_masked_mean_and_the_constant_rows_pick_the_same_tokens():
    mask = torch.zeros(2, 64, dtype=torch.bool)
    mask[0, 27] = True
    mask[1, [1, 2, 3, 4]] = True
    rows, weights = ce_row_weights(mask, 2, 64, "cpu")
    assert rows.tolist() == list(range(64)) and torch.allclose(weights.sum(1), torch.ones(2))
    assert weights[0, 27] == 1 and weights[1, 1] == 0.25
    const_rows, const_weights = constant_ce_rows("vitb_256_mae_ce_32x4_ep300")
    assert const_rows.tolist() == [27] and const_weights.tolist() == [[1.0]]
    with pytest.raises(ValueError, match="selects no template token"):
        template_row_weights(torch.zeros(1, 64, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"must be \(1, 64\)"):
        ce_row_weights(mask, 1, 64, "cpu")


def test_elimination_keeps_the_best_in_descending_order_and_recovery_restores_positions():
    tokens = torch.arange(2 + 5, dtype=torch.float32).view(1, 7, 1).repeat(1, 1, 3)  # 2 template + 5 search
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.7, 0.2]])
    index = torch.arange(5).view(1, 5)
    kept_tokens, kept, removed = eliminate(tokens, 2, scores, 3, index)
    assert kept.tolist() == [[1, 3, 2]] and removed.tolist() == [[4, 0]]
    restored = recover_tokens(kept_tokens, 2, kept, 5)
    assert restored.shape == (1, 7, 3)
    assert restored[0, :, 0].tolist() == [0, 1, 0, 3, 4, 5, 0]  # removed search positions are zeros
