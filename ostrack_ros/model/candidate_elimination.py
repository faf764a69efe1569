"""Candidate elimination (CE): drop search tokens the target template barely attends to.

Scores follow the official OSTrack definition: the attention that the template tokens selected by
``ce_template_mask`` pay to each search token, averaged over those tokens and then over heads.
The top ``ceil(keep_ratio * n)`` tokens are kept in descending score order.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from ..configs import OSTrackConfig, load_config


def num_kept(num_tokens: int, keep_ratio: float) -> int:
    """Tokens kept by one CE stage (official rounding: ceil)."""
    return math.ceil(keep_ratio * num_tokens)


def kept_token_counts(config, ce_keep_rate: Optional[float] = None) -> Tuple[int, ...]:
    """Search tokens alive after each CE stage, e.g. (180, 126, 89) for the 256 CE preset."""
    cfg = load_config(config)
    n = cfg.search_tokens**2
    counts = []
    for ratio in cfg.model.backbone.ce_keep_ratio if cfg.model.backbone.uses_ce else ():
        if ratio < 1 and (ce_keep_rate is None or ce_keep_rate < 1):
            n = num_kept(n, ratio if ce_keep_rate is None else ce_keep_rate)
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
    t = cfg.template_tokens
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
