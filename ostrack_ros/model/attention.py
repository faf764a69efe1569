"""Multi-head self-attention with a fused (SDPA) path and cheap candidate-elimination scores."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """ViT attention (``qkv`` + ``proj``, official key names).

    ``fused=True`` runs ``F.scaled_dot_product_attention``; the attention matrix is then never
    materialised, and the CE scores (attention of a few template rows to the search keys) are
    computed separately from those rows only. ``fused=False`` is the plain explicit path, kept as
    the reference for benchmarks and debugging.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        fused: bool = True,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5
        self.fused = fused
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, x: torch.Tensor, ce_rows: Optional[torch.Tensor] = None, num_template: int = 0
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Return (output, ce_attn). ``ce_rows`` (R,) picks template query rows whose attention to the
        search keys is returned as ``ce_attn`` (B, heads, R, N - num_template), softmax over all keys."""
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        ce_attn = None
        if self.fused:
            out = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.attn_drop.p if self.training else 0.0
            )
            if ce_rows is not None:
                # Only the selected template rows, in fp32 so top-k decisions survive fp16/bf16.
                rows = q.index_select(2, ce_rows).float() @ k.float().transpose(-2, -1)
                ce_attn = (rows * self.scale).softmax(dim=-1)[..., num_template:]
        else:
            attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
            if ce_rows is not None:
                ce_attn = attn.index_select(2, ce_rows)[..., num_template:].float()
            out = self.attn_drop(attn) @ v
        out = out.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(out)), ce_attn
