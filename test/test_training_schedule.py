"""CE keep-rate warm-up, optimiser groups and the step LR schedule, all driven by the config."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ostrack_ros.configs import load_config
from ostrack_ros.model import build_model
from ostrack_ros.training.ce_schedule import ce_keep_rate, keep_rate_for_epoch
from ostrack_ros.training.optim import build_optimizer, build_scheduler
from training_helpers import tiny_config


def test_keep_rate_warm_up_curve():
    # start 20, warm 50, target 0.7 (the GOT-10k preset)
    assert ce_keep_rate(0, 20, 50, 0.7) == 1.0
    assert ce_keep_rate(19, 20, 50, 0.7) == 1.0
    assert ce_keep_rate(20, 20, 50, 0.7) == pytest.approx(1.0)  # cos(0) = 1
    assert ce_keep_rate(45, 20, 50, 0.7) == pytest.approx(0.85)  # half way: cos(pi/2) = 0
    assert ce_keep_rate(30, 20, 50, 0.7) == pytest.approx(0.7 + 0.3 * (math.cos(math.pi / 5) + 1) / 2)
    assert ce_keep_rate(70, 20, 50, 0.7) == 0.7
    assert ce_keep_rate(300, 20, 50, 0.7) == 0.7
    rates = [ce_keep_rate(e, 20, 50, 0.7) for e in range(80)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never increases


def test_keep_rate_for_epoch_reads_the_config():
    cfg = load_config("vitb_256_mae_ce_32x4_got10k_ep100")
    assert (cfg.train.ce_start_epoch, cfg.train.ce_warm_epoch) == (20, 50)
    assert keep_rate_for_epoch(cfg, 10) == 1.0
    assert keep_rate_for_epoch(cfg, 45) == pytest.approx(0.85)
    assert keep_rate_for_epoch(cfg, 99) == pytest.approx(0.7)
    assert keep_rate_for_epoch(load_config("vitb_256_mae_32x4_ep300"), 99) is None  # no CE in that network


def test_optimizer_groups_and_step_schedule():
    cfg = tiny_config()
    cfg = dataclasses.replace(
        cfg,
        train=dataclasses.replace(
            cfg.train, lr=1e-3, backbone_multiplier=0.1, weight_decay=0.05, lr_drop_epoch=3
        ),
    )
    model = build_model(cfg)
    opt = build_optimizer(model, cfg)
    assert isinstance(opt, torch.optim.AdamW)
    head, backbone = opt.param_groups
    assert head["lr"] == pytest.approx(1e-3) and backbone["lr"] == pytest.approx(1e-4)
    assert head["weight_decay"] == backbone["weight_decay"] == 0.05
    n_backbone = sum(p.numel() for n, p in model.named_parameters() if n.startswith("backbone."))
    assert sum(p.numel() for p in backbone["params"]) == n_backbone
    assert sum(p.numel() for p in head["params"]) == sum(p.numel() for p in model.box_head.parameters())
    sched = build_scheduler(opt, cfg)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1e-3, 1e-3, 1e-3, 1e-4, 1e-4])
