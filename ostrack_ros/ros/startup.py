"""Picking model files, device and precision for the node, with one readable error when that fails.

ROS-free: messages that should be logged are returned, errors are raised as ``StartupError`` whose
text is the single line the node prints before exiting non-zero.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, List, Tuple

from .parameters import NodeParams

DEFAULT_CONFIG = "vitb_256_mae_ce_32x4_ep300"


class StartupError(RuntimeError):
    """The node cannot start; str() is the one-line reason shown to the user."""


@dataclass(frozen=True)
class ModelChoice:
    """What the node loads, and the notes worth one log line each."""

    config: str
    weights: str
    device: str
    precision: str
    notes: List[Tuple[str, str]] = field(default_factory=list)  # (level, message)
    backend: str = "torch"


def choose_model(params: NodeParams, cuda_available: Callable[[], bool]) -> ModelChoice:
    """Resolve empty weights/config to the demo model and ``auto`` to a device and a precision (the
    core's ``resolve_precision``, named in a note); check files exist."""
    notes: List[Tuple[str, str]] = []
    config, weights = params.config, params.weights
    if not weights:
        config_demo, weights_demo = _demo_model_paths()
        weights = weights_demo
        config = config or config_demo
        notes.append(("info", f"no 'weights' given: using the embedded demo model ({weights})"))
    elif not config:
        config = DEFAULT_CONFIG
        notes.append(("info", f"no 'config' given: assuming preset {DEFAULT_CONFIG}"))
    weights = os.path.expanduser(weights)
    if not os.path.isfile(weights):
        raise StartupError(f"weights file not found: {weights}")
    if config.endswith((".yaml", ".yml")) or os.sep in config:
        config = os.path.expanduser(config)
        if not os.path.isfile(config):
            raise StartupError(f"config file not found: {config}")

    device = params.device
    if device == "auto":
        if cuda_available():
            device = "cuda"
        else:
            device = "cpu"
            notes.append(("warning", "device 'auto': CUDA is not available, running on CPU"))
    elif device.startswith("cuda") and not cuda_available():
        raise StartupError(f"device '{device}' requested but CUDA is not available "
                           "(use device:=cpu or device:=auto)")
    from ..tracking.auto_precision import resolve_precision
    precision, reason = resolve_precision(params.precision, device, params.backend)
    if reason:
        notes.append(("info", f"precision 'auto': {precision} ({reason})"))
    if precision == "fp16" and device == "cpu":
        raise StartupError("precision fp16 needs a CUDA device; use fp32, bf16 or auto on CPU")
    return ModelChoice(config, weights, device, precision, notes, backend=params.backend)


def load_tracker(choice: ModelChoice) -> Any:
    """``Tracker.from_files`` for the choice; every expected failure becomes a StartupError."""
    from ..configs import ConfigError
    from ..model import CheckpointError
    from ..tracking import Tracker

    try:
        with warnings.catch_warnings():  # torch's multi-line note on pickle protocols: not ours to print
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return Tracker.from_files(choice.config, choice.weights, device=choice.device,
                                      dtype=choice.precision, backend=choice.backend)
    except ConfigError as exc:
        raise StartupError(f"bad config '{choice.config}': {_one_line(exc)}") from None
    except CheckpointError as exc:
        raise StartupError(f"cannot load weights '{choice.weights}' with config "
                           f"'{choice.config}': {_checkpoint_reason(exc)}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise StartupError(f"cannot build the tracker ({type(exc).__name__}): {_one_line(exc)}") from None


def _demo_model_paths() -> Tuple[str, str]:
    try:
        from ..assets import demo_model_paths
        config, weights = demo_model_paths()
    except (ImportError, OSError, RuntimeError) as exc:
        raise StartupError("no 'weights' given and the embedded demo model is unavailable "
                           f"({_one_line(exc)}); pass weights:=/path/to/OSTrack_ep0300.pth.tar") from None
    return str(config), str(weights)


def _checkpoint_reason(exc: BaseException) -> str:
    """The checkpoint error on one line, without torch's advice to retry with weights_only=False
    (for a file that is corrupt or pickles code, that advice is exactly what must not be done)."""
    text = _one_line(exc)
    advice = text.find("Weights only load failed")
    if advice < 0:
        return text
    detail = re.search(r"WeightsUnpickler error:\s*([^.]+?)\s*(?:Check the documentation|$)", text)
    cause = f": {detail.group(1).strip()}" if detail else ""
    head = text[:advice].rstrip(" (")
    return (f"{head}: the file is corrupt or pickles Python code, so the safe (weights-only) loader "
            f"refuses it{cause}; re-download it, or convert a file you trust with ostrack-convert --trust")


def _one_line(exc: BaseException) -> str:
    """The exception text folded onto one line (checkpoint errors list keys over several)."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text if len(text) <= 600 else text[:597] + "..."


__all__ = ["StartupError", "ModelChoice", "choose_model", "load_tracker", "DEFAULT_CONFIG"]
