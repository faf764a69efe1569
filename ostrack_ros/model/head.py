"""Fully-convolutional center head: score, offset and size maps, and box decoding at a peak."""

from __future__ import annotations

from typing import Tuple

import torch
from torch import nn


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    """3x3 conv + BatchNorm + ReLU (keys ``.0`` conv, ``.1`` BN as in official checkpoints)."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=True), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


def clamped_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Sigmoid clamped to [1e-4, 1 - 1e-4] so the focal loss stays finite (official)."""
    return torch.clamp(x.sigmoid(), min=1e-4, max=1 - 1e-4)


def decode_peak(score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor) -> torch.Tensor:
    """Box (B, 4) normalised cx, cy, w, h read at each map's flat argmax.

    ``cx = (col + dx) / W``, ``cy = (row + dy) / H``; w, h are the size map's values at that cell.
    """
    B, _, H, W = score_map.shape
    idx = score_map.flatten(1).argmax(dim=1, keepdim=True)  # (B, 1)
    row, col = idx // W, idx % W
    gather = idx.unsqueeze(1).expand(B, 2, 1)
    size = size_map.flatten(2).gather(2, gather).squeeze(-1)
    offset = offset_map.flatten(2).gather(2, gather).squeeze(-1)
    cx = (col.to(offset.dtype) + offset[:, :1]) / W
    cy = (row.to(offset.dtype) + offset[:, 1:]) / H
    return torch.cat([cx, cy, size], dim=1)


class CenterHead(nn.Module):
    """Three conv towers (channels c, c/2, c/4, c/8) -> 1x1 conv to score (1), offset (2), size (2)."""

    def __init__(self, in_channels: int, channels: int = 256) -> None:
        super().__init__()
        widths = (in_channels, channels, channels // 2, channels // 4, channels // 8)
        for branch, out in (("ctr", 1), ("offset", 2), ("size", 2)):
            for i in range(4):
                setattr(self, f"conv{i + 1}_{branch}", conv_bn_relu(widths[i], widths[i + 1]))
            setattr(self, f"conv5_{branch}", nn.Conv2d(widths[4], out, 1))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def _tower(self, branch: str, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{branch}")(x)
        return x

    def forward(self, feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Search feature map (B, C, H, W) -> (score_map, size_map, offset_map)."""
        score = clamped_sigmoid(self._tower("ctr", feat))
        offset = self._tower("offset", feat)
        size = clamped_sigmoid(self._tower("size", feat))
        return score, size, offset
