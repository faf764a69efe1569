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

from ..model import OSTrack, kept_token_counts
from ..model.candidate_elimination import ce_row_weights, constant_ce_rows

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
    template mask divided by its sum (``candidate_elimination.template_row_weights``); other modes
    need no third input.
    """

    def __init__(self, model: OSTrack) -> None:
        super().__init__()
        self.model = model
        cfg = model.config
        self.num_template = cfg.template_grid**2
        self.kept_counts: Tuple[int, ...] = kept_token_counts(cfg)
        self.weights_input = cfg.model.backbone.uses_ce and cfg.model.backbone.ce_template_range == "GT_BOX"
        device = next(model.parameters()).device
        if self.weights_input:  # GT_BOX: every row, the box's weights come in per target
            rows, weights = ce_row_weights(None, 1, self.num_template, device)
        else:  # CTR_POINT / CTR_REC / ALL (or no CE): only the selected rows, baked in as constants
            rows, weights = constant_ce_rows(cfg, device)
        self.register_buffer("ce_rows", rows, persistent=False)
        self.register_buffer("ce_row_weights", weights.float(), persistent=False)

    @property
    def input_names(self) -> List[str]:
        return [TOKENS, SEARCH] + ([CE_WEIGHTS] if self.weights_input else [])

    @property
    def output_names(self) -> List[str]:
        return list(MAP_OUTPUTS) + kept_output_names(len(self.kept_counts))

    def forward(
        self, template_tokens: torch.Tensor, search: torch.Tensor, ce_weights: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, ...]:
        weights = self.ce_row_weights if ce_weights is None else ce_weights.float()
        enc = self.model.backbone(template_tokens, search, ce_rows=(self.ce_rows, weights))
        score_map, size_map, offset_map = self.model.head_on_tokens(enc["tokens"])
        return (score_map, size_map, offset_map, *(k.to(torch.int32) for k in enc["kept_indices"]))
