"""The per-frame network with static shapes: what gets exported, CUDA-graphed or compiled.

The template is embedded once per target (``TemplateNetwork``); every frame runs ``FrameNetwork``
on the cached template tokens and the search crop. Candidate elimination is kept exactly: the token
counts per stage are Python ints, and the template rows that score the search tokens are constants
computed once from ``ce_template_mask`` (no boolean-mask indexing, hence no ONNX NonZero and no host
sync). Only ``GT_BOX`` depends on the initial box; its row weights are then a graph input.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import nn

from ..model import OSTrack, ce_template_mask, kept_token_counts

TEMPLATE_INPUT, TOKENS = "template", "template_tokens"
SEARCH, CE_WEIGHTS = "search", "ce_weights"
MAP_OUTPUTS = ("score_map", "size_map", "offset_map")


def kept_output_names(num_stages: int) -> List[str]:
    """Graph output names of the kept search-token indices, one per CE stage."""
    return [f"kept_indices_{i}" for i in range(num_stages)]


class TemplateNetwork(nn.Module):
    """Normalised template crop (1, 3, Ht, Wt) -> position-embedded template tokens (1, Nz, C)."""

    def __init__(self, model: OSTrack) -> None:
        super().__init__()
        self.model = model

    def forward(self, template: torch.Tensor) -> torch.Tensor:
        return self.model.embed_template(template)


class FrameNetwork(nn.Module):
    """``(template_tokens, search[, ce_weights]) -> (score_map, size_map, offset_map, *kept_indices)``.

    Batch 1 (one tracked target). Kept indices are int32 (TensorRT before 10 has no int64 I/O) in the
    network's order, descending CE score. For ``GT_BOX`` templates, ``ce_weights`` (1, Nz) is the
    template mask divided by its sum (``ce_weights_from_mask``); other modes need no third input.
    """

    def __init__(self, model: OSTrack) -> None:
        super().__init__()
        self.model = model
        cfg = model.config
        self.num_template = cfg.template_tokens ** 2
        self.search_grid = cfg.search_tokens
        self.kept_counts: Tuple[int, ...] = kept_token_counts(cfg)
        self.weights_input = cfg.model.backbone.uses_ce and cfg.model.backbone.ce_template_range == "GT_BOX"
        device = next(model.parameters()).device
        if self.weights_input:
            rows = torch.arange(self.num_template, device=device)
            weights = torch.full((1, self.num_template), 1.0 / self.num_template, device=device)
        else:  # CTR_POINT / CTR_REC / ALL (or no CE): only the selected rows, baked in as constants
            mask = ce_template_mask(cfg, 1, device) if cfg.model.backbone.uses_ce else None
            if mask is None:
                rows = torch.arange(self.num_template, device=device)
            else:
                rows = mask[0].nonzero().flatten()  # once, at build time: e.g. token 27 for CTR_POINT
            weights = torch.full((1, rows.numel()), 1.0 / rows.numel(), device=device)
        self.register_buffer("ce_rows", rows, persistent=False)
        self.register_buffer("ce_row_weights", weights.float(), persistent=False)

    @property
    def input_names(self) -> List[str]:
        return [TOKENS, SEARCH] + ([CE_WEIGHTS] if self.weights_input else [])

    @property
    def output_names(self) -> List[str]:
        return list(MAP_OUTPUTS) + kept_output_names(len(self.kept_counts))

    def forward(self, template_tokens: torch.Tensor, search: torch.Tensor,
                ce_weights: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        weights = self.ce_row_weights if ce_weights is None else ce_weights.float()
        enc = self.model.backbone(template_tokens, search, ce_rows=(self.ce_rows, weights))
        tokens = enc["tokens"]
        g = self.search_grid
        feat = tokens[:, -g * g:].transpose(1, 2).reshape(tokens.shape[0], tokens.shape[-1], g, g)
        score_map, size_map, offset_map = self.model.box_head(feat)
        return (score_map, size_map, offset_map, *(k.to(torch.int32) for k in enc["kept_indices"]))


def ce_weights_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """(1, Nz) bool template mask -> the ``ce_weights`` input of a ``GT_BOX`` frame graph."""
    weights = mask.float()
    total = weights.sum(dim=1, keepdim=True)
    if bool((total == 0).any()):
        raise ValueError("ce_template_mask selects no template token")
    return weights / total
