"""Candidate-elimination keep-rate warm-up: keep every token early, then anneal to the target ratio."""

from __future__ import annotations

import math
from typing import Optional

from ..configs import OSTrackConfig


def ce_keep_rate(epoch: int, start_epoch: int, warm_epochs: int, target: float) -> float:
    """1.0 before ``start_epoch``; cosine from 1.0 to ``target`` over ``warm_epochs``; then ``target``.

    Same curve as the official ``adjust_keep_rate`` at one step per epoch.
    """
    if epoch < start_epoch:
        return 1.0
    if epoch >= start_epoch + warm_epochs:
        return float(target)
    progress = (epoch - start_epoch) / warm_epochs
    return float(target + (1.0 - target) * (math.cos(progress * math.pi) + 1) * 0.5)


def keep_rate_for_epoch(cfg: OSTrackConfig, epoch: int) -> Optional[float]:
    """The ``ce_keep_rate`` to pass to the model at ``epoch`` (None for a network without CE)."""
    backbone = cfg.model.backbone
    if not backbone.uses_ce:
        return None
    return ce_keep_rate(epoch, cfg.train.ce_start_epoch, cfg.train.ce_warm_epoch, backbone.ce_keep_ratio[0])
