"""OSTrack network: one-stream ViT backbone + center head, with the official forward contract."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..configs import OSTrackConfig
from .backbone import VisionTransformerCE
from .head import CenterHead, decode_peak
from .network_contract import FrameOutput


class OSTrack(nn.Module):
    """``forward(template, search, ce_template_mask, ce_keep_rate)`` -> dict of maps, boxes, CE indices.

    Trackers that reuse one template call ``embed_template`` once and ``track_frame`` per frame (the
    ``TrackingNetwork`` protocol, typed output).
    """

    max_batch = None  # eager torch runs any batch of search crops

    def __init__(self, cfg: OSTrackConfig, drop_path_rate: float = 0.0, fused_attn: bool = True) -> None:
        super().__init__()
        self.config = cfg
        self.backbone = VisionTransformerCE(cfg, drop_path_rate=drop_path_rate, fused_attn=fused_attn)
        self.box_head = CenterHead(self.backbone.embed_dim, cfg.model.head.num_channels)
        self.search_grid = cfg.search_grid

    @property
    def device(self) -> torch.device:
        """The device of the parameters (inputs must be there)."""
        return next(self.parameters()).device

    def embed_template(self, template: torch.Tensor) -> torch.Tensor:
        """Template image batch (B, 3, Ht, Wt), normalised -> template tokens (B, Nz, C)."""
        return self.backbone.embed_template(template)

    def head_on_tokens(self, tokens: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder output (B, Nz + Ns, C), search tokens in spatial order -> the center head's
        (score, size, offset) maps on the search grid."""
        g = self.search_grid
        feat = tokens[:, -g * g :].transpose(1, 2).reshape(tokens.shape[0], tokens.shape[-1], g, g)
        return self.box_head(feat)

    def forward(
        self,
        template: torch.Tensor,
        search: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
        ce_keep_rate: Optional[float] = None,
    ) -> Dict[str, object]:
        """Normalised template (B, 3, Ht, Wt) and search (B, 3, Hs, Ws) images -> output dict."""
        return self.forward_tokens(self.embed_template(template), search, ce_template_mask, ce_keep_rate)

    def forward_tokens(
        self,
        template_tokens: torch.Tensor,
        search: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
        ce_keep_rate: Optional[float] = None,
    ) -> Dict[str, object]:
        """Like ``forward`` with the template already embedded (see ``embed_template``)."""
        enc = self.backbone(template_tokens, search, ce_template_mask, ce_keep_rate)
        tokens = enc["tokens"]
        B = tokens.shape[0]
        score_map, size_map, offset_map = self.head_on_tokens(tokens)
        return {
            "pred_boxes": decode_peak(score_map, size_map, offset_map).view(B, 1, 4),
            "score_map": score_map,
            "size_map": size_map,
            "offset_map": offset_map,
            "backbone_feat": tokens,
            "kept_indices": enc["kept_indices"],
            "removed_indices": enc["removed_indices"],
        }

    def track_frame(
        self,
        template_tokens: torch.Tensor,
        search: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
    ) -> FrameOutput:
        """The tracker's per-frame pass (``TrackingNetwork``): ``forward_tokens`` as a ``FrameOutput``."""
        enc = self.backbone(template_tokens, search, ce_template_mask)
        score_map, size_map, offset_map = self.head_on_tokens(enc["tokens"])
        return FrameOutput(
            score_map, size_map, offset_map, list(enc["kept_indices"]), list(enc["removed_indices"])
        )
