"""TRACKING -> LOST after N misses, LOST -> TRACKING at the re-acquire threshold."""

from __future__ import annotations

import pytest

from ostrack_ros.ros.target_state import TargetStateMachine, TrackState

THRESHOLDS = {"lost_threshold": 0.3, "lost_frames": 3, "reacquire_threshold": 0.5}


def test_lost_after_n_consecutive_misses_and_reacquired_with_hysteresis():
    sm = TargetStateMachine()
    assert sm.state is TrackState.IDLE and not sm.publishing
    assert sm.start() == (TrackState.IDLE, TrackState.TRACKING)
    assert sm.update(0.1, **THRESHOLDS) is None
    assert sm.update(0.9, **THRESHOLDS) is None  # a hit resets the miss count
    assert sm.update(0.1, **THRESHOLDS) is None
    assert sm.update(float("nan"), **THRESHOLDS) is None  # NaN counts as a miss
    assert sm.update(0.2, **THRESHOLDS) == (TrackState.TRACKING, TrackState.LOST)
    assert not sm.publishing
    assert sm.update(0.45, **THRESHOLDS) is None  # above lost, below re-acquire: still lost
    assert sm.update(0.5, **THRESHOLDS) == (TrackState.LOST, TrackState.TRACKING)
    assert sm.publishing
    assert sm.stop() == (TrackState.TRACKING, TrackState.IDLE)
    assert sm.stop() is None


def test_update_while_idle_is_a_programming_error():
    with pytest.raises(RuntimeError):
        TargetStateMachine().update(0.9, **THRESHOLDS)
