"""One-stream ViT over concatenated template and search tokens, with candidate elimination."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from timm.layers import PatchEmbed, resample_abs_pos_embed, trunc_normal_
from timm.models.vision_transformer import init_weights_vit_timm
from torch import nn

from ..configs import OSTrackConfig
from .blocks import CEBlock
from .candidate_elimination import ce_row_weights, recover_tokens


class VisionTransformerCE(nn.Module):
    """ViT backbone of OSTrack (official parameter names).

    Template and search images are patch-embedded, get their own learnt 1-D position embeddings
    (``pos_embed_z`` / ``pos_embed_x``) and run through one encoder as a single sequence. CE blocks
    drop background search tokens; after the final LayerNorm the surviving tokens are put back in
    spatial order and removed positions are zero. ``cls_token`` / ``pos_embed`` (224-grid) exist so
    official checkpoints load strictly; ``pos_embed`` only seeds ``pos_embed_z/x`` at build time.
    """

    def __init__(self, cfg: OSTrackConfig, drop_path_rate: float = 0.0, fused_attn: bool = True) -> None:
        super().__init__()
        bb = cfg.model.backbone
        width = bb.width()
        dim, depth, heads, mlp_ratio = width.embed_dim, width.depth, width.num_heads, width.mlp_ratio
        self.embed_dim = dim
        self.patch_size = bb.stride
        self.patch_embed = PatchEmbed(
            img_size=None, patch_size=bb.stride, in_chans=3, embed_dim=dim, strict_img_size=False
        )
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (224 // bb.stride) ** 2 + 1, dim))
        self.pos_embed_z = nn.Parameter(torch.zeros(1, cfg.template_grid**2, dim))
        self.pos_embed_x = nn.Parameter(torch.zeros(1, cfg.search_grid**2, dim))
        ratios = dict(zip(bb.ce_loc, bb.ce_keep_ratio)) if bb.uses_ce else {}
        self.ce_loc = tuple(sorted(ratios))
        dpr = torch.linspace(0, drop_path_rate, depth).tolist()
        self.blocks = nn.ModuleList(
            CEBlock(
                dim,
                heads,
                mlp_ratio,
                qkv_bias=True,
                drop_path=dpr[i],
                keep_ratio=ratios.get(i, 1.0),
                fused_attn=fused_attn,
            )
            for i in range(depth)
        )
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.template_grid = cfg.template_grid
        self.search_grid = cfg.search_grid
        self._init_weights()

    def _init_weights(self) -> None:
        trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        self.apply(init_weights_vit_timm)
        self.init_track_pos_embed()

    @torch.no_grad()
    def init_track_pos_embed(self) -> None:
        """Seed ``pos_embed_z/x`` by bicubic resampling of the 224-grid ``pos_embed`` (official
        ``finetune_track``); call again after loading a classification pre-train such as MAE."""
        for param, grid in ((self.pos_embed_z, self.template_grid), (self.pos_embed_x, self.search_grid)):
            resampled = resample_abs_pos_embed(
                self.pos_embed, (grid, grid), num_prefix_tokens=1, interpolation="bicubic", antialias=False
            )
            param.copy_(resampled[:, 1:])

    def set_fused_attn(self, fused: bool) -> None:
        """Switch every block between SDPA and the explicit attention path."""
        for blk in self.blocks:
            blk.attn.fused = fused

    def embed_template(self, z: torch.Tensor) -> torch.Tensor:
        """Template image (B, 3, Ht, Wt) -> position-embedded template tokens (B, Nz, C)."""
        return self.patch_embed(z) + self.pos_embed_z

    def forward(
        self,
        z_tokens: torch.Tensor,
        x: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
        ce_keep_rate: Optional[float] = None,
        ce_rows: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
    ) -> Dict[str, object]:
        """Encode template tokens + search image; returns ``tokens`` (B, Nz+Nx, C) and CE indices.

        ``ce_rows`` = precomputed ``(rows (R,), weights (B, R))`` (``candidate_elimination.ce_row_weights``
        or ``constant_ce_rows``) replaces ``ce_template_mask``: no data-dependent ops or host syncs, for
        ONNX export and CUDA graphs."""
        x = self.patch_embed(x) + self.pos_embed_x
        B, num_search = x.shape[0], x.shape[1]
        num_template = z_tokens.shape[1]
        if z_tokens.shape[0] != B:
            z_tokens = z_tokens.expand(B, -1, -1)
        tokens = torch.cat([z_tokens, x], dim=1)
        rows, row_weights = (
            ce_rows if ce_rows is not None else ce_row_weights(ce_template_mask, B, num_template, x.device)
        )
        global_index = torch.arange(num_search, device=x.device).expand(B, -1)
        kept_indices: List[torch.Tensor] = []
        removed_indices: List[torch.Tensor] = []
        for i, blk in enumerate(self.blocks):
            tokens, global_index, removed = blk(
                tokens, num_template, global_index, rows, row_weights, ce_keep_rate
            )
            if i in self.ce_loc:
                kept_indices.append(global_index)
                removed_indices.append(removed if removed is not None else global_index.new_empty(B, 0))
        return {
            "tokens": recover_tokens(self.norm(tokens), num_template, global_index, num_search),
            "kept_indices": kept_indices,
            "removed_indices": removed_indices,
        }
