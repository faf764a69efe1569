"""Compare a backend's outputs with the torch fp32 network on the same inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

import torch

from ..model import OSTrack, ce_template_mask
from ..model.network_contract import TrackingNetwork

MAP_KEYS = ("score_map", "size_map", "offset_map")


@dataclass(frozen=True)
class Agreement:
    """Max absolute map differences and whether every CE stage kept the same token set."""

    max_abs_diff: Dict[str, float]
    ce_sets_equal: Tuple[bool, ...]

    def __str__(self) -> str:
        diffs = ", ".join(f"{k} {v:.2e}" for k, v in self.max_abs_diff.items())
        return f"max |diff|: {diffs}; CE kept sets equal per stage: {list(self.ce_sets_equal)}"


@torch.inference_mode()
def compare_to_torch(
    backend: TrackingNetwork, model: OSTrack, template: torch.Tensor, search: torch.Tensor
) -> Agreement:
    """Run ``template`` (1, 3, Ht, Wt) and ``search`` (1, 3, Hs, Ws) through both, on CPU fp32 copies
    of the torch side, and report their agreement."""
    mask = ce_template_mask(model.config, 1) if model.config.model.backbone.uses_ce else None
    ref = model.track_frame(model.embed_template(template), search, mask)
    dev = backend.device
    bmask = mask.to(dev) if mask is not None else None
    got = backend.track_frame(backend.embed_template(template.to(dev)), search.to(dev), bmask)
    diffs = {
        k: float((getattr(got, k).float().cpu() - getattr(ref, k).float()).abs().max()) for k in MAP_KEYS
    }
    sets = tuple(set(g[0].tolist()) == set(r[0].tolist()) for g, r in zip(got.kept_indices, ref.kept_indices))
    return Agreement(diffs, sets)
