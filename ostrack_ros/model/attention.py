"""Multi-head self-attention with a fused (SDPA) path and cheap candidate-elimination scores."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .candidate_elimination import ce_scores


class CandidateScores(nn.Module):
    """CE score of each search token: the attention the selected template rows pay it (softmax over
    all keys), averaged over the rows (``row_weights``) and heads. Only those rows are computed, in
    fp32 whatever the network's dtype, so top-k decisions survive fp16/bf16 and never need the full
    attention matrix. A module of its own so exported graphs name these ops (fp16 engines pin them)."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def forward(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        ce_rows: torch.Tensor,
        row_weights: torch.Tensor,
        num_template: int,
    ) -> torch.Tensor:
        """(B, heads, N, d) queries/keys -> (B, N - num_template) scores."""
        logits = q.index_select(2, ce_rows).float() @ k.float().transpose(-2, -1)
        rows = (logits * self.scale).softmax(dim=-1)
        return ce_scores(rows[..., num_template:], row_weights)


class Attention(nn.Module):
    """ViT attention (``qkv`` + ``proj``, official key names).

    ``fused=True`` runs ``F.scaled_dot_product_attention`` (the attention matrix is never
    materialised); ``fused=False`` is the plain explicit path, kept as the reference for benchmarks
    and for exports where SDPA has no ONNX form. Either way the CE scores come from
    ``CandidateScores``, which recomputes only the selected template rows, in fp32.
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
        self.candidate_scores = CandidateScores(self.scale)

    def forward(
        self,
        x: torch.Tensor,
        ce_rows: Optional[torch.Tensor] = None,
        ce_row_weights: Optional[torch.Tensor] = None,
        num_template: int = 0,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Return (output, CE scores or None). ``ce_rows`` (R,) picks the template query rows, weighted
        by ``ce_row_weights`` (B, R), whose attention (softmax over all keys) scores the search tokens."""
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        if self.fused:
            out = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.attn_drop.p if self.training else 0.0
            )
        else:
            attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
            out = self.attn_drop(attn) @ v
        scores = None
        if ce_rows is not None:
            scores = self.candidate_scores(q, k, ce_rows, ce_row_weights, num_template)
        out = out.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(out)), scores
