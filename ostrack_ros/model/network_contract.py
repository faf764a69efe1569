"""What the tracker needs from a network: a typed per-frame output and the ``TrackingNetwork`` protocol.

``OSTrack`` (eager torch) and every runtime backend (cuda-graph, torch-compile, onnxruntime,
tensorrt) implement the protocol, so ``Tracker`` runs them all through one per-frame path.
``OSTrack.forward`` keeps the official output dict (parity tests and training read it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Protocol, runtime_checkable

import torch

from .head import decode_peak


@dataclass(frozen=True)
class FrameOutput:
    """One frame's network output on the search grid (B crops)."""

    score_map: torch.Tensor  # (B, 1, G, G) target centre score
    size_map: torch.Tensor  # (B, 2, G, G) normalised box width and height
    offset_map: torch.Tensor  # (B, 2, G, G) sub-cell centre offset
    kept_indices: List[torch.Tensor]  # per CE stage: (B, k) int64 search-token indices kept
    removed_indices: List[torch.Tensor] = field(default_factory=list)  # per CE stage (torch model only)

    @property
    def pred_boxes(self) -> torch.Tensor:
        """(B, 1, 4) normalised cx, cy, w, h decoded at the raw (un-windowed) score peak."""
        boxes = decode_peak(self.score_map.float(), self.size_map.float(), self.offset_map.float())
        return boxes.view(-1, 1, 4)

    @staticmethod
    def concat(outputs: List[FrameOutput]) -> FrameOutput:
        """Outputs of consecutive crop batches joined along the batch dimension."""
        return FrameOutput(
            score_map=torch.cat([o.score_map for o in outputs]),
            size_map=torch.cat([o.size_map for o in outputs]),
            offset_map=torch.cat([o.offset_map for o in outputs]),
            kept_indices=[torch.cat(stage) for stage in zip(*(o.kept_indices for o in outputs))],
            removed_indices=[torch.cat(stage) for stage in zip(*(o.removed_indices for o in outputs))],
        )

    def split(self, sizes: List[int]) -> List[FrameOutput]:
        """The inverse of ``concat``: consecutive slices of ``sizes`` crops each."""
        parts = [
            torch.split(t, sizes)
            for t in (
                self.score_map,
                self.size_map,
                self.offset_map,
                *self.kept_indices,
                *self.removed_indices,
            )
        ]
        stages, removed = len(self.kept_indices), len(self.removed_indices)
        return [
            FrameOutput(
                *(p[i] for p in parts[:3]),
                kept_indices=[p[i] for p in parts[3 : 3 + stages]],
                removed_indices=[p[i] for p in parts[3 + stages : 3 + stages + removed]],
            )
            for i in range(len(sizes))
        ]


@runtime_checkable
class TrackingNetwork(Protocol):
    """The network as ``Tracker`` uses it: embed the template once, then run one pass per frame."""

    search_grid: int  # cells per side of the score map
    max_batch: Optional[int]  # most search crops per call (None: any batch)

    @property
    def device(self) -> torch.device:
        """Where inputs go and outputs come from."""

    def embed_template(self, template: torch.Tensor) -> torch.Tensor:
        """Normalised template crop (B, 3, Ht, Wt) -> template tokens (B, Nz, C)."""

    def track_frame(
        self,
        template_tokens: torch.Tensor,
        search: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
    ) -> FrameOutput:
        """Template tokens + normalised search crops (B, 3, Hs, Ws) -> this frame's maps and CE indices."""


__all__ = ["FrameOutput", "TrackingNetwork"]
