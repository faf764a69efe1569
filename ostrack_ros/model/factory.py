"""Build an OSTrack network from a config, optionally with weights, on a device and dtype."""

from __future__ import annotations

import os
from typing import Callable, Optional, Union

import torch

from ..configs import OSTrackConfig, load_config
from .checkpoint import CheckpointError, load_state_dict_file, load_weights
from .ostrack import OSTrack
from .precision import set_precision

ConfigLike = Union[str, os.PathLike, OSTrackConfig]


def build_model(config: ConfigLike, training: bool = False, fused_attn: bool = True) -> OSTrack:
    """A randomly initialised network for a preset name, YAML path or config.

    ``training=True`` enables drop path at ``TRAIN.DROP_PATH_RATE`` (as the official builder does).
    """
    cfg = load_config(config)
    model = OSTrack(cfg, drop_path_rate=cfg.train.drop_path_rate if training else 0.0, fused_attn=fused_attn)
    return model.train(training)


def resolve_device(
    device: Union[str, torch.device], cuda_available: Optional[Callable[[], bool]] = None
) -> torch.device:
    """``auto`` -> cuda if available else cpu; an unavailable cuda device is a clear error.

    The one place ``auto`` is decided; ``cuda_available`` replaces ``torch.cuda.is_available`` (tests)."""
    available = cuda_available or torch.cuda.is_available
    if str(device) == "auto":
        return torch.device("cuda" if available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"invalid device {device!r} (use cpu, cuda, cuda:N or auto)") from None
    if dev.type == "cuda":
        if not available():
            raise ValueError(f"device {device!r} requested but CUDA is not available to this torch build")
        if cuda_available is None and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    return dev


def load_model(
    config: ConfigLike,
    weights: Optional[Union[str, os.PathLike]],
    device: Union[str, torch.device] = "cpu",
    dtype: torch.dtype = torch.float32,
    fused_attn: bool = True,
) -> OSTrack:
    """Build the network, load ``weights`` strictly (None keeps random init), move it to ``device``,
    put it in (mixed) precision ``dtype`` (see ``set_precision``) and in eval mode."""
    dev = resolve_device(device)
    model = build_model(config, training=False, fused_attn=fused_attn)
    if weights is not None:
        load_weights(model, load_state_dict_file(weights), source=str(weights))
    return set_precision(model.to(device=dev), dtype).eval()


__all__ = ["build_model", "load_model", "resolve_device", "CheckpointError"]
