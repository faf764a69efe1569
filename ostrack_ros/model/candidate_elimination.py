"""Candidate elimination (CE): drop search tokens the target template barely attends to.

Everything CE decides lives here: which template rows score the search tokens
(``ce_template_mask``, ``ce_row_weights``, ``constant_ce_rows``), how a score is formed
(``ce_scores``; the fp32 row attention itself is ``attention.CandidateScores``), how many tokens a
stage keeps (``effective_keep_ratio``, ``num_kept``, ``kept_token_counts``), the elimination
(``eliminate``) and putting the survivors back in spatial order after the encoder
(``recover_tokens``). Scores follow the official OSTrack definition: the attention that the selected
template tokens pay to each search token, averaged over those tokens and then over heads; the top
``ceil(keep_ratio * n)`` tokens are kept in descending score order.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from ..configs import OSTrackConfig, load_config


def num_kept(num_tokens: int, keep_ratio: float) -> int:
    """Tokens kept by one CE stage (official rounding: ceil)."""
    return math.ceil(keep_ratio * num_tokens)


def effective_keep_ratio(keep_ratio: float, ce_keep_rate: Optional[float] = None) -> float:
    """The ratio a block keeps: a forward-time ``ce_keep_rate`` overrides a CE block's own ratio
    (``keep_ratio < 1``), a rate >= 1 disables elimination, non-CE blocks keep everything (official)."""
    if keep_ratio < 1 and (ce_keep_rate is None or ce_keep_rate < 1):
        return keep_ratio if ce_keep_rate is None else float(ce_keep_rate)
    return 1.0


def kept_token_counts(config, ce_keep_rate: Optional[float] = None) -> Tuple[int, ...]:
    """Search tokens alive after each CE stage, e.g. (180, 126, 89) for the 256 CE preset."""
    cfg = load_config(config)
    n = cfg.search_grid**2
    counts = []
    for ratio in cfg.model.backbone.ce_keep_ratio if cfg.model.backbone.uses_ce else ():
        n = num_kept(n, effective_keep_ratio(ratio, ce_keep_rate))
        counts.append(n)
    return tuple(counts)


def ce_template_mask(
    config, batch: int, device=None, boxes: Optional[torch.Tensor] = None
) -> Optional[torch.Tensor]:
    """(B, Nz) bool mask of the template tokens whose attention scores the search tokens.

    ``CTR_POINT``: the token at (t//2 - 1, t//2 - 1) of the t x t template grid (token 27 for 8x8),
    as the official code picks it; ``CTR_REC``: the 2x2 block around the centre; ``GT_BOX``: tokens
    covered by ``boxes`` (B, 4) normalised x, y, w, h in the template crop; ``ALL``: None.
    """
    cfg: OSTrackConfig = load_config(config)
    t = cfg.template_grid
    mode = cfg.model.backbone.ce_template_range
    if mode == "ALL":
        return None
    mask = torch.zeros(batch, t, t, dtype=torch.bool, device=device)
    c = t // 2
    if mode == "CTR_POINT":
        mask[:, c - 1, c - 1] = True
    elif mode == "CTR_REC":
        mask[:, c - 1 : c + 1, c - 1 : c + 1] = True
    elif mode == "GT_BOX":
        if boxes is None:
            raise ValueError("CE_TEMPLATE_RANGE GT_BOX needs the template boxes")
        b = boxes.detach().to("cpu", torch.float64) * t
        for i, (x, y, w, h) in enumerate(b.tolist()):
            x1, y1 = max(int(x), 0), max(int(y), 0)
            x2, y2 = min(math.ceil(x + w), t), min(math.ceil(y + h), t)
            mask[i, y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)] = True
    else:
        raise ValueError(f"unknown CE_TEMPLATE_RANGE {mode!r}")
    return mask.flatten(1)


def template_row_weights(mask: torch.Tensor) -> torch.Tensor:
    """(B, Nz) bool template mask -> (B, Nz) weights, each sample's selected rows summing to 1, so a
    weighted sum over all rows equals the official masked mean with static shapes (no ``nonzero``)."""
    weights = mask.float()
    total = weights.sum(dim=1, keepdim=True)
    if weights.device.type == "cpu" and bool((total == 0).any()):  # checked where it costs no sync
        raise ValueError("ce_template_mask selects no template token for some sample")
    return weights / total


def ce_row_weights(
    mask: Optional[torch.Tensor], batch: int, num_template: int, device
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Template query rows that score the search tokens (all ``num_template`` of them) and each
    sample's (B, Nz) weights: the mask's selection, or a uniform mean when the mask is None (ALL)."""
    rows = torch.arange(num_template, device=device)
    if mask is None:
        return rows, torch.full((batch, num_template), 1.0 / num_template, device=device)
    mask = mask.to(device=device, dtype=torch.bool)
    if mask.shape != (batch, num_template):
        raise ValueError(f"ce_template_mask must be ({batch}, {num_template}), got {tuple(mask.shape)}")
    return rows, template_row_weights(mask)


def constant_ce_rows(config, device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Only the selected rows (e.g. token 27 for CTR_POINT) with uniform (1, R) weights, computed once
    for a graph that bakes them in as constants. Not for GT_BOX, whose rows depend on the box."""
    cfg: OSTrackConfig = load_config(config)
    num_template = cfg.template_grid**2
    mask = ce_template_mask(cfg, 1, device) if cfg.model.backbone.uses_ce else None
    rows = torch.arange(num_template, device=device) if mask is None else mask[0].nonzero().flatten()
    return rows, torch.full((1, rows.numel()), 1.0 / rows.numel(), device=device)


def ce_scores(ce_attn: torch.Tensor, row_weights: torch.Tensor) -> torch.Tensor:
    """(B, heads, R, Ns) template-row attention -> (B, Ns): masked mean over rows, then over heads."""
    per_row = (ce_attn * row_weights[:, None, :, None]).sum(dim=2)
    return per_row.mean(dim=1)


def eliminate(
    tokens: torch.Tensor, num_template: int, scores: torch.Tensor, keep: int, global_index: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep the ``keep`` best search tokens of each sample (descending score).

    Returns the shortened tokens, the kept global search indices and the removed ones, (B, keep)
    and (B, n - keep), per sample.
    """
    order = torch.sort(scores, dim=1, descending=True).indices
    top, rest = order[:, :keep], order[:, keep:]
    search = tokens[:, num_template:]
    kept = search.gather(1, top.unsqueeze(-1).expand(-1, -1, search.shape[-1]))
    return (
        torch.cat([tokens[:, :num_template], kept], dim=1),
        global_index.gather(1, top),
        global_index.gather(1, rest),
    )


def recover_tokens(
    tokens: torch.Tensor, num_template: int, global_index: torch.Tensor, num_search: int
) -> torch.Tensor:
    """Token recovery after the encoder: the surviving search tokens go back to their spatial
    positions (``global_index``, (B, kept)), eliminated positions are exact zeros (the official
    code fills them after the final LayerNorm). (B, Nz + kept, C) -> (B, Nz + num_search, C)."""
    batch, _, channels = tokens.shape
    search = tokens.new_zeros(batch, num_search, channels)
    search.scatter_(1, global_index.unsqueeze(-1).expand(-1, -1, channels), tokens[:, num_template:])
    return torch.cat([tokens[:, :num_template], search], dim=1)
