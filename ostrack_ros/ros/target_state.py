"""IDLE / TRACKING / LOST bookkeeping from per-frame scores, with hysteresis. ROS-free.

TRACKING becomes LOST after ``lost_frames`` consecutive scores below ``lost_threshold``; LOST
becomes TRACKING again at the first score >= ``reacquire_threshold`` (the tracker keeps searching
around its last state meanwhile, as the official tracker does).
"""

from __future__ import annotations

import enum
import math
from typing import Optional, Tuple


class TrackState(str, enum.Enum):
    """What the node is doing with the current target."""

    IDLE = "IDLE"
    TRACKING = "TRACKING"
    LOST = "LOST"


Transition = Tuple[TrackState, TrackState]


class TargetStateMachine:
    """Consumes one score per tracked frame and reports state transitions."""

    def __init__(self) -> None:
        self.state = TrackState.IDLE
        self.misses = 0

    def start(self, searching: bool = False) -> Optional[Transition]:
        """A new target was initialised; ``searching``: it must be found in the current view first
        (LOST until the tracker claims it, e.g. a mark on an old frame)."""
        return self._go(TrackState.LOST if searching else TrackState.TRACKING)

    def stop(self) -> Optional[Transition]:
        """Tracking ended (reset, bad frame sequence, ...)."""
        return self._go(TrackState.IDLE)

    def update(
        self, score: float, *, lost_threshold: float, lost_frames: int, reacquire_threshold: float
    ) -> Optional[Transition]:
        """Feed the score of one tracked frame; returns (old, new) when the state changed."""
        if self.state is TrackState.IDLE:
            raise RuntimeError("update() while IDLE: call start() first")
        finite = math.isfinite(score)
        if self.state is TrackState.LOST:
            if finite and score >= reacquire_threshold:
                return self._go(TrackState.TRACKING)
            return None
        if finite and score >= lost_threshold:
            self.misses = 0
            return None
        self.misses += 1
        if self.misses >= lost_frames:
            return self._go(TrackState.LOST)
        return None

    @property
    def publishing(self) -> bool:
        """Whether detections of the current frame should be published."""
        return self.state is TrackState.TRACKING

    def _go(self, new: TrackState) -> Optional[Transition]:
        old, self.state, self.misses = self.state, new, 0
        return None if old is new else (old, new)


__all__ = ["TrackState", "TargetStateMachine", "Transition"]
