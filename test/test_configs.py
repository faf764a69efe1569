"""Config loading: presets mirror the official YAMLs, unknown or unsupported values are rejected."""

from __future__ import annotations

import pytest

from ostrack_ros.configs import ConfigError, available_presets, config_from_dict, config_to_dict, load_config


def test_all_official_presets_ship():
    assert set(available_presets()) >= {
        "vitb_256_mae_32x4_ep300",
        "vitb_256_mae_ce_32x4_ep300",
        "vitb_256_mae_ce_32x4_got10k_ep100",
        "vitb_384_mae_32x4_ep300",
        "vitb_384_mae_ce_32x4_ep300",
        "vitb_384_mae_ce_32x4_got10k_ep100",
    }


@pytest.mark.parametrize("name", ["vitb_256_mae_ce_32x4_got10k_ep100", "vitb_384_mae_32x4_ep300"])
def test_preset_values(name):
    cfg = load_config(name)
    big = "384" in name
    assert cfg.test.search_size == (384 if big else 256) and cfg.test.search_factor == (5.0 if big else 4.0)
    assert cfg.model.backbone.uses_ce == ("_ce_" in name)
    assert cfg.model.backbone.width() == (768, 12, 12, 4.0)


def test_round_trip():
    cfg = load_config("vitb_256_mae_ce_32x4_ep300")
    assert config_from_dict(config_to_dict(cfg), name=cfg.name) == cfg


def test_unknown_key_names_its_path():
    with pytest.raises(ConfigError, match=r"unknown config key 'MODEL.BACKBONE.FOO'.*CE_LOC"):
        config_from_dict({"MODEL": {"BACKBONE": {"FOO": 1}}})


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"MODEL": {"HEAD": {"TYPE": "CORNER"}}}, "only CENTER"),
        ({"MODEL": {"BACKBONE": {"CE_LOC": [3], "CE_KEEP_RATIO": [0.7]}}}, "no candidate elimination"),
        (
            {"MODEL": {"BACKBONE": {"TYPE": "vit_base_patch16_224_ce", "CE_LOC": [3], "CE_KEEP_RATIO": []}}},
            "same length",
        ),
        ({"MODEL": {"BACKBONE": {"CE_TEMPLATE_RANGE": "MIDDLE"}}}, "CE_TEMPLATE_RANGE"),
        ({"DATA": {"SEARCH": {"SIZE": 250}}}, "multiple of the stride"),
        ({"TRAIN": {"LR": "fast"}}, "wrong type"),
    ],
)
def test_invalid_values(raw, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def test_missing_preset_lists_choices():
    with pytest.raises(ConfigError, match="vitb_256_mae_ce_32x4_ep300"):
        load_config("vitb_999")
