"""Experiment configs: typed dataclasses, official-layout YAML loading, and shipped presets."""

from .loader import ConfigError, available_presets, config_from_dict, config_to_dict, load_config
from .schema import (
    BackboneConfig,
    CropConfig,
    DataConfig,
    HeadConfig,
    ModelConfig,
    OSTrackConfig,
    TestConfig,
    TrainConfig,
)

DEFAULT_PRESET = "vitb_256_mae_ce_32x4_ep300"

__all__ = [
    "ConfigError",
    "available_presets",
    "config_from_dict",
    "config_to_dict",
    "load_config",
    "BackboneConfig",
    "CropConfig",
    "DataConfig",
    "HeadConfig",
    "ModelConfig",
    "OSTrackConfig",
    "TestConfig",
    "TrainConfig",
    "DEFAULT_PRESET",
]
