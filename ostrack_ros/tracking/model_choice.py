"""One resolver from (config, weights, device, precision, backend) to a ready network and tracker.

The node, ``ostrack-track``, ``ostrack-eval``, ``ostrack-export`` and the benchmarks all start here,
so they apply the same rules: no weights -> the embedded demo model; weights without a config -> the
official preset ``DEFAULT_PRESET``; ``auto`` device -> CUDA if available (``resolve_device``);
``auto`` precision -> ``resolve_precision``; fp16 on a CPU refused. The notes say what was decided for
the user (one log line each).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple, Union

import torch

from ..configs import DEFAULT_PRESET, OSTrackConfig, load_config
from ..model.factory import resolve_device
from ..model.network_contract import TrackingNetwork
from .auto_precision import resolve_precision
from .errors import TrackingError
from .inputs import PRECISION_NAMES, PRECISIONS, as_dtype
from .tracker import Tracker

PathLike = Union[str, os.PathLike]
Note = Tuple[str, str]  # (level: "info" or "warning", message)


@dataclass(frozen=True)
class ModelChoice:
    """What to load and run: every ``auto`` and default resolved, files checked to exist."""

    config: str  # preset name or YAML path
    weights: Optional[str]  # checkpoint, an exported .onnx / built .engine, or None: random init
    device: str  # cpu, cuda or cuda:N
    precision: str  # fp32, fp16, bf16 or int8
    backend: str = "torch"
    notes: Tuple[Note, ...] = ()  # what was decided for the user, one log line each

    @property
    def dtype(self) -> torch.dtype:
        return PRECISIONS[self.precision]


def choose_model(
    config: Optional[PathLike] = None,
    weights: Optional[PathLike] = None,
    device: Union[str, torch.device] = "auto",
    precision: Union[str, torch.dtype] = "fp32",
    backend: str = "torch",
    cuda_available: Optional[Callable[[], bool]] = None,
) -> ModelChoice:
    """Resolve defaults and ``auto``; ``TrackingError`` (one line, with the fix) when that fails.

    ``cuda_available`` replaces ``torch.cuda.is_available`` (tests of the rules)."""
    notes: List[Note] = []
    config_name, weights_path = (str(config) if config else ""), (str(weights) if weights else "")
    if not weights_path:
        demo_config, weights_path = _demo_model_paths()
        config_name = config_name or demo_config
        notes.append(("info", f"no weights given: using the embedded demo model ({weights_path})"))
    elif not config_name:
        config_name = DEFAULT_PRESET
        notes.append(("info", f"no config given: assuming preset {DEFAULT_PRESET}"))
    weights_path = os.path.expanduser(weights_path)
    if not os.path.isfile(weights_path):
        raise TrackingError(f"weights file not found: {weights_path}")
    if config_name.endswith((".yaml", ".yml")) or os.sep in config_name:
        config_name = os.path.expanduser(config_name)
        if not os.path.isfile(config_name):
            raise TrackingError(f"config file not found: {config_name}")

    dev, name, runtime_notes = resolve_runtime(device, precision, backend, cuda_available)
    if name == "fp16" and dev.type == "cpu":
        raise TrackingError("precision fp16 needs a CUDA device; use fp32, bf16 or auto on CPU")
    return ModelChoice(config_name, weights_path, str(dev), name, backend, tuple(notes + runtime_notes))


def resolve_runtime(
    device: Union[str, torch.device],
    precision: Union[str, torch.dtype],
    backend: str,
    cuda_available: Optional[Callable[[], bool]] = None,
) -> Tuple[torch.device, str, List[Note]]:
    """(device, precision name, notes): ``auto`` device and precision decided for ``backend``, the
    backend name is checked by ``create_backend``. The user-facing policy on top (fp16 on CPU) is
    ``choose_model``'s."""
    try:
        dev = resolve_device(device, cuda_available)
    except ValueError as exc:
        raise TrackingError(str(exc)) from None
    notes: List[Note] = []
    if str(device) == "auto" and dev.type == "cpu":
        notes.append(("warning", "device 'auto': CUDA is not available, running on CPU"))
    name, reason = resolve_precision(precision_name(precision), dev, backend)
    if reason:
        notes.append(("info", f"precision 'auto': {name} ({reason})"))
    return dev, name, notes


def precision_name(precision: Union[str, torch.dtype]) -> str:
    """A precision name (``auto`` kept) from a name or a torch dtype; unknown ones are a TrackingError."""
    if isinstance(precision, str) and precision.lower() == "auto":
        return "auto"
    dtype = as_dtype(precision)
    return next(name for name in PRECISION_NAMES if PRECISIONS.get(name) == dtype)


def load_network(choice: ModelChoice, cfg: Optional[OSTrackConfig] = None) -> TrackingNetwork:
    """The network of the choice on its backend (``runtime.create_backend``)."""
    from ..runtime import create_backend

    return create_backend(
        choice.backend,
        cfg or load_config(choice.config),
        choice.weights,
        device=choice.device,
        dtype=choice.dtype,
    )


def load_tracker(choice: ModelChoice) -> Tracker:
    """A ``Tracker`` around ``load_network(choice)``."""
    cfg = load_config(choice.config)
    return Tracker(load_network(choice, cfg), cfg, device=choice.device, dtype=choice.dtype)


def _demo_model_paths() -> Tuple[str, str]:
    try:
        from ..assets import demo_model_paths

        config, weights = demo_model_paths()
    except (ImportError, OSError, RuntimeError) as exc:
        raise TrackingError(
            f"no weights given and the embedded demo model is unavailable ({exc}); "
            "pass the weights of a checkpoint, e.g. OSTrack_ep0300.pth.tar"
        ) from None
    return str(config), str(weights)


__all__ = ["ModelChoice", "choose_model", "load_network", "load_tracker", "precision_name", "resolve_runtime"]
