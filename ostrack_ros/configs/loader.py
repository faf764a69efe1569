"""Load an OSTrack experiment config from a preset name or an official-layout YAML file.

Strict like the official loader: an unknown key is an error that names its dotted path and the
keys that are allowed there. Values the official code accepts but this package does not implement
are rejected with a reason instead of being silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping, Union

import yaml

from .schema import BACKBONE_WIDTHS, CE_TEMPLATE_RANGES, OSTrackConfig, as_tuple

PRESET_DIR = Path(__file__).resolve().parent / "presets"


class ConfigError(ValueError):
    """A config file or value that cannot describe a model this package builds."""


def available_presets() -> list:
    """Names of the shipped presets (each mirrors an official experiment YAML)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_config(config: Union[str, os.PathLike, OSTrackConfig]) -> OSTrackConfig:
    """Return the config for a preset name, a YAML path, or pass an ``OSTrackConfig`` through."""
    if isinstance(config, OSTrackConfig):
        return config
    text = str(config)
    path = Path(text).expanduser()
    if not path.is_file():
        preset = PRESET_DIR / f"{Path(text).stem if text.endswith('.yaml') else text}.yaml"
        if not preset.is_file():
            raise ConfigError(
                f"config '{text}' is neither a YAML file nor a preset; presets: "
                + ", ".join(available_presets())
            )
        path = preset
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: top level must be a mapping of sections, got {type(raw).__name__}")
    cfg = config_from_dict(raw, name=path.stem, source=str(path))
    return cfg


def config_from_dict(raw: Mapping[str, Any], name: str = "custom", source: str = "<dict>") -> OSTrackConfig:
    """Build and validate a config from a dict in the official UPPER_CASE layout."""
    cfg = _build(OSTrackConfig, raw, prefix="", source=source)
    cfg = dataclasses.replace(cfg, name=name)
    validate(cfg, source)
    return cfg


def config_to_dict(cfg: OSTrackConfig) -> dict:
    """The official UPPER_CASE layout of a config (round-trips through ``config_from_dict``)."""

    def convert(obj):
        if dataclasses.is_dataclass(obj):
            return {
                f.name.upper(): convert(getattr(obj, f.name))
                for f in dataclasses.fields(obj)
                if f.name != "name" and getattr(obj, f.name) is not None
            }
        if isinstance(obj, tuple):
            return [convert(v) for v in obj]
        return obj

    return convert(cfg)


def _build(cls, raw: Mapping[str, Any], prefix: str, source: str):
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "name"}
    defaults = cls()
    kwargs = {}
    for key, value in raw.items():
        attr = str(key).lower()
        path = f"{prefix}{key}"
        if attr not in fields:
            allowed = ", ".join(sorted(n.upper() for n in fields))
            raise ConfigError(f"{source}: unknown config key '{path}' (allowed here: {allowed})")
        default = getattr(defaults, attr)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: '{path}' must be a mapping")
            base = _build(type(default), value, prefix=path + ".", source=source)
            # Keys absent from the file keep the section's own default (e.g. DATA.VAL).
            kwargs[attr] = dataclasses.replace(
                default, **{k.lower(): getattr(base, k.lower()) for k in value}
            )
        else:
            kwargs[attr] = _coerce(value, default, path, source)
    return cls(**kwargs)


def _coerce(value, default, path: str, source: str):
    try:
        if isinstance(default, tuple):
            items = as_tuple(value)
            if default and isinstance(default[0], float):
                return tuple(float(v) for v in items)
            return items
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise TypeError
            return value
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise TypeError
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            return str(value)
        return value  # Optional width fields
    except (TypeError, ValueError):
        raise ConfigError(
            f"{source}: '{path}' = {value!r} has the wrong type (expected {type(default).__name__})"
        ) from None


def validate(cfg: OSTrackConfig, source: str = "<config>") -> None:
    """Reject values this package does not implement, each with the reason."""
    bb = cfg.model.backbone
    problems = []
    if bb.type not in BACKBONE_WIDTHS:
        problems.append(f"MODEL.BACKBONE.TYPE '{bb.type}' unsupported (use one of {sorted(BACKBONE_WIDTHS)})")
    if bb.stride != 16:
        problems.append("MODEL.BACKBONE.STRIDE must be 16 (patch size of the ViT)")
    if len(bb.ce_loc) != len(bb.ce_keep_ratio):
        problems.append("MODEL.BACKBONE.CE_LOC and CE_KEEP_RATIO must have the same length")
    if bb.ce_loc and not bb.type.endswith("_ce"):
        problems.append(f"MODEL.BACKBONE.CE_LOC is set but TYPE '{bb.type}' has no candidate elimination")
    if bb.ce_template_range not in CE_TEMPLATE_RANGES:
        problems.append(f"MODEL.BACKBONE.CE_TEMPLATE_RANGE must be one of {CE_TEMPLATE_RANGES}")
    if any(not 0.0 < r <= 1.0 for r in bb.ce_keep_ratio):
        problems.append("MODEL.BACKBONE.CE_KEEP_RATIO values must be in (0, 1]")
    if bb.type in BACKBONE_WIDTHS:
        width = bb.width()
        if width.embed_dim % width.num_heads:
            problems.append(f"EMBED_DIM {width.embed_dim} is not divisible by NUM_HEADS {width.num_heads}")
        if any(not 0 <= loc < width.depth for loc in bb.ce_loc):
            problems.append(f"MODEL.BACKBONE.CE_LOC {list(bb.ce_loc)} outside 0..{width.depth - 1}")
    for key, value, wanted in (
        ("CAT_MODE", bb.cat_mode, "direct"),
        ("SEP_SEG", bb.sep_seg, False),
        ("ADD_CLS_TOKEN", bb.add_cls_token, False),
        ("MID_PE", bb.mid_pe, False),
    ):
        if value != wanted:
            problems.append(
                f"MODEL.BACKBONE.{key}={value!r} is not supported (only {wanted!r}, "
                "as in every official OSTrack experiment)"
            )
    if cfg.model.extra_merger:
        problems.append("MODEL.EXTRA_MERGER=True is not supported (no official experiment uses it)")
    if cfg.model.head.type != "CENTER":
        problems.append(f"MODEL.HEAD.TYPE '{cfg.model.head.type}' unsupported (only CENTER)")
    for section in ("template", "search"):
        crop = getattr(cfg.data, section)
        if crop.size % bb.stride:
            problems.append(f"DATA.{section.upper()}.SIZE {crop.size} is not a multiple of the stride")
    if cfg.test.search_size % bb.stride or cfg.test.template_size % bb.stride:
        problems.append("TEST.SEARCH_SIZE / TEMPLATE_SIZE must be multiples of the stride")
    if cfg.test.search_size != cfg.data.search.size or cfg.test.template_size != cfg.data.template.size:
        problems.append("TEST.*_SIZE must equal DATA.*.SIZE (the network's token grids are built from DATA)")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
