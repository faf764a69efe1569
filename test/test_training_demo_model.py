"""The embedded demo model: files present, strict load, and its two training stages share one network."""

from __future__ import annotations

import pytest
import torch

from ostrack_ros.assets import demo_model_paths
from ostrack_ros.configs import load_config
from ostrack_ros.model import ce_template_mask, load_model
from ostrack_ros.training.demo_model import STAGE1_CONFIG, STAGE1_DATA, STAGE2_CONFIG, STAGE2_DATA, VAL_DATA


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
    stage1, stage2 = load_config(STAGE1_CONFIG), load_config(STAGE2_CONFIG)
    assert stage1.model == stage2.model and stage1.test == stage2.test
    assert (stage1.data.template, stage1.data.search) == (stage2.data.template, stage2.data.search)
    seeds = [STAGE1_DATA.seed, VAL_DATA.seed, *(d.seed for d in STAGE2_DATA)]
    assert len(set(seeds)) == len(seeds)  # every set is new; evaluate with yet another seed


def test_diverse_recipe_keeps_the_network_and_its_held_out_data_apart():
    """demo_model_diverse.yaml changes only the search scale jitter (0.25 -> 0.5) and the recipe shows
    grey pairs six times as often (the blow-up fix); no training round uses an evaluation seed or the
    held-out photo family."""
    from ostrack_ros.training.demo_model import DEMO_AUGMENTATION
    from ostrack_ros.training.demo_model_diverse import (
        DIVERSE_AUGMENTATION,
        DIVERSE_CONFIG,
        EVAL_SETS,
        HELD_OUT_FAMILY,
        ROUNDS,
        TRAIN_FAMILIES,
        VALIDATION_SET,
    )

    stage2, diverse = load_config(STAGE2_CONFIG), load_config(DIVERSE_CONFIG)
    assert diverse.model == stage2.model and diverse.test == stage2.test
    assert diverse.data.template == stage2.data.template
    assert diverse.data.search.scale_jitter == 0.5 and stage2.data.search.scale_jitter == 0.25
    assert diverse.data.search.center_jitter == stage2.data.search.center_jitter
    assert DIVERSE_AUGMENTATION.grayscale == 0.3 and DEMO_AUGMENTATION.grayscale == 0.05
    assert DIVERSE_AUGMENTATION.crop_flip == 0.0  # crops never mirrored independently, as in stage 2
    train = [s for pair in ROUNDS for s in pair]
    used = {STAGE1_DATA.seed, VAL_DATA.seed, *(d.seed for d in STAGE2_DATA), *(s.seed for s in train)}
    assert len(used) == 2 + len(STAGE2_DATA) + len(train)
    assert not used & {s.seed for s in EVAL_SETS} and VALIDATION_SET.seed not in used
    assert VALIDATION_SET.seed not in {s.seed for s in EVAL_SETS}
    assert VALIDATION_SET.families == TRAIN_FAMILIES  # checks the training families, not the held-out one
    assert HELD_OUT_FAMILY not in TRAIN_FAMILIES
    assert all(HELD_OUT_FAMILY not in s.families for s in train if hasattr(s, "families"))
    assert any(s.families == (HELD_OUT_FAMILY,) for s in EVAL_SETS if hasattr(s, "families"))


def test_diverse_recipe_adds_no_target_pairs_in_its_last_rounds():
    """Rounds 1-12 are the recipe of the model shipped before; from round 13 on, a quarter of the
    search crops hold no target (issue 13) and nothing else changes."""
    import dataclasses

    from ostrack_ros.training.demo_model_diverse import (
        DIVERSE_AUGMENTATION,
        NO_TARGET_FROM_ROUND,
        ROUNDS,
        round_augmentation,
    )

    assert DIVERSE_AUGMENTATION.no_target == 0.0
    assert all(round_augmentation(i) == DIVERSE_AUGMENTATION for i in range(1, NO_TARGET_FROM_ROUND))
    late = round_augmentation(len(ROUNDS))
    assert NO_TARGET_FROM_ROUND == 13 < len(ROUNDS) and late.no_target == 0.25
    assert dataclasses.replace(late, no_target=0.0) == DIVERSE_AUGMENTATION


def test_diverse_recipe_crowds_the_target_with_look_alikes_then_greys_it_in_its_last_rounds():
    """From round 25 on the diverse sets hold more look-alikes, from round 31 on also more grey and
    low-texture sequences; only those renderer knobs change, the first generator's sets stay."""
    import dataclasses

    from ostrack_ros.data.diverse import DiverseConfig
    from ostrack_ros.training.demo_model_diverse import (
        CROWDED,
        CROWDED_GREY,
        GREY_FROM_ROUND,
        LOOKALIKE_FROM_ROUND,
        ROUNDS,
    )

    configs = [diverse.config for diverse, _ in ROUNDS]
    assert LOOKALIKE_FROM_ROUND == 25 < GREY_FROM_ROUND == 31 < len(ROUNDS)
    assert all(c == DiverseConfig() for c in configs[: LOOKALIKE_FROM_ROUND - 1])
    assert all(c == CROWDED for c in configs[LOOKALIKE_FROM_ROUND - 1 : GREY_FROM_ROUND - 1])
    assert all(c == CROWDED_GREY for c in configs[GREY_FROM_ROUND - 1 :])
    assert CROWDED.p_lookalike > DiverseConfig.p_lookalike and CROWDED.max_lookalikes > 2
    assert dataclasses.replace(CROWDED, p_lookalike=0.4, max_lookalikes=2) == DiverseConfig()
    assert CROWDED_GREY.p_grey == 2 * CROWDED.p_grey and CROWDED_GREY.p_low_texture > CROWDED.p_low_texture
    assert dataclasses.replace(CROWDED_GREY, p_grey=0.2, p_low_texture=0.3) == CROWDED
    assert all(not hasattr(synthetic, "config") for _, synthetic in ROUNDS)


def test_diverse_recipe_continues_only_from_an_earlier_round(capsys):
    from ostrack_ros.training.demo_model_diverse import ROUNDS, main

    for bad in (
        ["--rounds", "2", "--first-round", "3"],
        ["--rounds", str(len(ROUNDS) + 1)],
        ["--rounds", "3", "--first-round", "3"],
    ):
        with pytest.raises(SystemExit):
            main(bad)
    err = capsys.readouterr().err
    assert "--first-round must be 1..2" in err
    assert "--first-round 3 needs --init-weights: round 2's result" in err


def test_diverse_recipe_ends_at_the_shipped_resolution_with_nothing_else_changed():
    """From round 37 on the rounds train the shipped network (demo_model.yaml): demo_model_diverse.yaml
    at 96/192 px crops instead of 64/128, the same factors, network and schedule."""
    import dataclasses

    from ostrack_ros.training.demo_model_diverse import (
        DIVERSE_CONFIG,
        RESOLUTION_FROM_ROUND,
        ROUNDS,
        round_config,
    )

    shipped, diverse = load_config(demo_model_paths()[0]), load_config(DIVERSE_CONFIG)
    assert (shipped.data.template.size, shipped.data.search.size) == (96, 192)
    assert (shipped.test.template_size, shipped.test.search_size) == (96, 192)
    assert (diverse.data.template.size, diverse.data.search.size) == (64, 128)
    same_sizes = dataclasses.replace(
        shipped,
        data=dataclasses.replace(
            shipped.data,
            template=dataclasses.replace(shipped.data.template, size=64),
            search=dataclasses.replace(shipped.data.search, size=128),
        ),
        test=dataclasses.replace(shipped.test, template_size=64, search_size=128),
    )
    assert dataclasses.replace(same_sizes, name=diverse.name) == diverse
    assert round_config(RESOLUTION_FROM_ROUND - 1) == DIVERSE_CONFIG
    assert all(
        round_config(i) == demo_model_paths()[0] for i in range(RESOLUTION_FROM_ROUND, len(ROUNDS) + 1)
    )
    assert RESOLUTION_FROM_ROUND == 37 < len(ROUNDS)


def test_the_resolution_round_starts_from_the_last_weights_with_resampled_grids(tmp_path):
    from ostrack_ros.model import build_model, load_weights, save_safetensors
    from ostrack_ros.training.demo_model_diverse import DIVERSE_CONFIG, fit_token_grids

    shipped = demo_model_paths()[0]
    low = build_model(load_config(DIVERSE_CONFIG)).state_dict()
    path = tmp_path / "round36.safetensors"
    save_safetensors(low, path)
    assert fit_token_grids(path, DIVERSE_CONFIG, tmp_path / "r36") == path  # grids fit: unchanged
    resampled = fit_token_grids(path, shipped, tmp_path / "r37")
    assert resampled != path and resampled.parent == tmp_path / "r37"
    from ostrack_ros.model import load_state_dict_file

    state = load_state_dict_file(resampled)
    load_weights(build_model(load_config(shipped)), state, source="resampled")  # strict
    assert state["backbone.pos_embed_x"].shape[1] == 12 * 12 and state["backbone.pos_embed_z"].shape[1] == 36
    assert all(torch.equal(state[k], v) for k, v in low.items() if "pos_embed_" not in k)


def test_the_installed_metadata_names_only_the_changes_of_the_rounds_trained():
    from safetensors import safe_open

    from ostrack_ros.training.demo_model_diverse import ROUNDS, recipe_changes

    shipped = safe_open(str(demo_model_paths()[1]), "pt").metadata()
    assert shipped["augmentation"] == recipe_changes(len(ROUNDS))  # the shipped run, unchanged
    assert recipe_changes(12) == "grayscale 0.3"
    assert "no-target" in recipe_changes(13) and "look-alike" not in recipe_changes(24)
    assert "look-alike" in recipe_changes(25) and "grey and" not in recipe_changes(30)
