"""The official OSTrack tracking loop (crops, Hann-windowed peak, map back, clip) and its long-term
wrapper (claim state, global re-detection while the target is lost)."""

from __future__ import annotations

from .auto_precision import resolve_precision
from .errors import TrackingError
from .geometry import Crop, clip_box, map_box_back, sample_target
from .inputs import PRECISION_NAMES, PRECISIONS, as_dtype
from .long_term import LongTermSettings, LongTermTracker
from .model_choice import ModelChoice, choose_model, load_tracker
from .result import TrackResult
from .tracker import Tracker, TrackStep
from .window import hann2d

__all__ = [
    "Crop",
    "LongTermSettings",
    "LongTermTracker",
    "ModelChoice",
    "PRECISIONS",
    "PRECISION_NAMES",
    "TrackResult",
    "TrackStep",
    "Tracker",
    "TrackingError",
    "as_dtype",
    "choose_model",
    "clip_box",
    "hann2d",
    "load_tracker",
    "map_box_back",
    "resolve_precision",
    "sample_target",
]
