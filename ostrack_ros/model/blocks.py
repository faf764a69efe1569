"""Transformer block with optional candidate elimination between attention and MLP."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from timm.layers import DropPath, Mlp
from torch import nn

from .attention import Attention
from .candidate_elimination import effective_keep_ratio, eliminate, num_kept


class CEBlock(nn.Module):
    """Pre-norm ViT block; with ``keep_ratio < 1`` it prunes search tokens after the attention
    residual and before the MLP, exactly where the official OSTrack CE block does."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        keep_ratio: float = 1.0,
        fused_attn: bool = True,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop, fused=fused_attn)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=nn.GELU, drop=drop)
        self.keep_ratio = keep_ratio

    def forward(
        self,
        x: torch.Tensor,
        num_template: int,
        global_index: torch.Tensor,
        ce_rows: Optional[torch.Tensor],
        ce_row_weights: Optional[torch.Tensor],
        ce_keep_rate: Optional[float] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """Return (tokens, kept global search indices, removed indices or None)."""
        keep_ratio = effective_keep_ratio(self.keep_ratio, ce_keep_rate)
        num_search = x.shape[1] - num_template
        keep = num_kept(num_search, keep_ratio)
        prune = keep < num_search
        attn_out, scores = self.attn(self.norm1(x), ce_rows if prune else None, ce_row_weights, num_template)
        x = x + self.drop_path(attn_out)
        removed = None
        if prune:
            x, global_index, removed = eliminate(x, num_template, scores, keep, global_index)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x, global_index, removed
