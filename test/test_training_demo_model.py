"""The embedded demo model: files present, strict load, and its two training stages share one network."""

from __future__ import annotations

import torch

from ostrack_ros.assets import demo_model_paths
from ostrack_ros.configs import load_config
from ostrack_ros.model import ce_template_mask, load_model
from ostrack_ros.training.demo_model import STAGE1_DATA, STAGE2_CONFIG, STAGE2_DATA, VAL_DATA


def test_demo_model_loads_strictly_and_runs():
    config, weights = demo_model_paths()
    assert weights.stat().st_size < 10 * 2**20  # a few MB, fine for git
    cfg = load_config(config)
    assert cfg.model.backbone.uses_ce and cfg.test.search_size == cfg.data.search.size
    model = load_model(cfg, weights)
    with torch.no_grad():
        out = model(
            torch.zeros(1, 3, cfg.test.template_size, cfg.test.template_size),
            torch.zeros(1, 3, cfg.test.search_size, cfg.test.search_size),
            ce_template_mask=ce_template_mask(cfg, 1),
        )
    assert out["pred_boxes"].shape == (1, 1, 4) and torch.isfinite(out["pred_boxes"]).all()


def test_stage2_fine_tunes_the_same_network():
    stage1, stage2 = load_config(demo_model_paths()[0]), load_config(STAGE2_CONFIG)
    assert stage1.model == stage2.model and stage1.test == stage2.test
    assert (stage1.data.template, stage1.data.search) == (stage2.data.template, stage2.data.search)
    seeds = [STAGE1_DATA.seed, VAL_DATA.seed, *(d.seed for d in STAGE2_DATA)]
    assert len(set(seeds)) == len(seeds)  # every set is new; evaluate with yet another seed
