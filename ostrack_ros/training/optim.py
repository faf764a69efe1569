"""Optimiser and LR schedule of the official recipe: AdamW with a backbone LR multiplier, step decay."""

from __future__ import annotations

import torch
from torch import nn

from ..configs import OSTrackConfig


def build_optimizer(model: nn.Module, cfg: OSTrackConfig) -> torch.optim.Optimizer:
    """AdamW over two groups: head at ``TRAIN.LR``, backbone at ``LR * BACKBONE_MULTIPLIER``."""
    if cfg.train.optimizer.upper() != "ADAMW":
        raise ValueError(f"TRAIN.OPTIMIZER {cfg.train.optimizer!r} is not supported (ADAMW)")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if "backbone" not in n], "lr": cfg.train.lr},
        {
            "params": [p for n, p in named if "backbone" in n],
            "lr": cfg.train.lr * cfg.train.backbone_multiplier,
        },
    ]
    return torch.optim.AdamW(groups, lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: OSTrackConfig
) -> torch.optim.lr_scheduler.LRScheduler:
    """Step decay by ``SCHEDULER.DECAY_RATE`` every ``LR_DROP_EPOCH`` epochs (stepped once per epoch)."""
    if cfg.train.scheduler.type != "step":
        raise ValueError(f"TRAIN.SCHEDULER.TYPE {cfg.train.scheduler.type!r} is not supported (step)")
    return torch.optim.lr_scheduler.StepLR(
        optimizer, step_size=cfg.train.lr_drop_epoch, gamma=cfg.train.scheduler.decay_rate
    )
