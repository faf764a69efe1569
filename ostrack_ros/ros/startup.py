"""The node's start-up on the core resolver (``tracking.model_choice``), with one readable error line.

ROS-free: messages that should be logged are returned, errors are raised as ``StartupError`` whose
text is the single line the node prints before exiting non-zero.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

from ..tracking.errors import TrackingError
from ..tracking.model_choice import ModelChoice
from .parameters import NodeParams


class StartupError(RuntimeError):
    """The node cannot start; str() is the one-line reason shown to the user."""


def choose_model(params: NodeParams, cuda_available: Callable[[], bool]) -> ModelChoice:
    """The core resolver (``tracking.model_choice.choose_model``) on the node's parameters."""
    from ..tracking.model_choice import choose_model as resolve

    try:
        return resolve(
            params.config,
            params.weights,
            params.device,
            params.precision,
            params.backend,
            cuda_available=cuda_available,
        )
    except TrackingError as exc:
        raise StartupError(str(exc)) from None


def load_tracker(choice: ModelChoice) -> Any:
    """``model_choice.load_tracker`` for the choice; every expected failure becomes a StartupError."""
    from ..configs import ConfigError
    from ..model import CheckpointError
    from ..tracking.model_choice import load_tracker as load

    try:
        with warnings.catch_warnings():  # torch's multi-line note on pickle protocols: not ours to print
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return load(choice)
    except ConfigError as exc:
        raise StartupError(f"bad config '{choice.config}': {_one_line(exc)}") from None
    except CheckpointError as exc:
        raise StartupError(
            f"cannot load weights '{choice.weights}' with config '{choice.config}': {_checkpoint_reason(exc)}"
        ) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise StartupError(f"cannot build the tracker ({type(exc).__name__}): {_one_line(exc)}") from None


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
    return (
        f"{head}: the file is corrupt or pickles Python code, so the safe (weights-only) loader "
        f"refuses it{cause}; re-download it, or convert a file you trust with ostrack-convert --trust"
    )


def _one_line(exc: BaseException) -> str:
    """The exception text folded onto one line (checkpoint errors list keys over several)."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text if len(text) <= 600 else text[:597] + "..."


__all__ = ["StartupError", "ModelChoice", "choose_model", "load_tracker"]
