"""Thread-safe per-frame counters, rates and latency percentiles for diagnostics and benchmarks.

ROS-free: times are plain seconds, taken by the caller from whichever clock fits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Optional, Sequence

import numpy as np


class RateMeter:
    """Events per second over a sliding time window."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: Deque[float] = deque()

    def tick(self, now: Optional[float] = None) -> None:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        self._trim(now)

    def rate(self, now: Optional[float] = None) -> float:
        now = time.monotonic() if now is None else now
        self._trim(now)
        if len(self._times) < 2:
            return 0.0
        span = max(now - self._times[0], self._times[-1] - self._times[0])
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()


class LatencyWindow:
    """The last ``size`` durations (s) and their percentiles in milliseconds."""

    def __init__(self, size: int = 300) -> None:
        self._values: Deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._values.append(seconds)

    def percentiles_ms(self, qs: Sequence[float] = (50, 90, 99)) -> Dict[str, float]:
        """{'p50': ms, ..., 'max': ms}; empty dict before the first sample."""
        if not self._values:
            return {}
        values = np.asarray(self._values) * 1e3
        out = {f"p{q:g}": float(np.percentile(values, q)) for q in qs}
        out["max"] = float(values.max())
        return out

    def __len__(self) -> int:
        return len(self._values)


@dataclass
class StatsSnapshot:
    """A consistent copy of FrameStats at one instant."""

    received: int
    processed: int
    dropped: int
    rejected: int
    input_fps: float
    processed_fps: float
    latency_ms: Dict[str, float] = field(default_factory=dict)
    in_node_ms: Dict[str, float] = field(default_factory=dict)
    model_ms: Dict[str, float] = field(default_factory=dict)
    overhead_ms: Dict[str, float] = field(default_factory=dict)


class FrameStats:
    """Counts frames in (received), out (processed), skipped by newest-wins (dropped), bad (rejected)."""

    def __init__(self, window_s: float = 2.0, latency_samples: int = 300) -> None:
        self._lock = threading.Lock()
        self._input = RateMeter(window_s)
        self._output = RateMeter(window_s)
        self._latency = LatencyWindow(latency_samples)
        self._in_node = LatencyWindow(latency_samples)
        self._model = LatencyWindow(latency_samples)
        self._overhead = LatencyWindow(latency_samples)
        self.received = self.processed = self.dropped = self.rejected = 0

    def on_received(self) -> None:
        with self._lock:
            self.received += 1
            self._input.tick()

    def on_dropped(self, count: int = 1) -> None:
        with self._lock:
            self.dropped += count

    def on_rejected(self) -> None:
        with self._lock:
            self.rejected += 1

    def on_processed(self, latency_s: Optional[float], in_node_s: float, model_s: Optional[float]) -> None:
        """One frame published: ``latency_s`` stamp to publish (None if unknown), ``in_node_s``
        receipt to publish, ``model_s`` the tracker call (None when idle). Overhead = latency - model:
        what transport, conversion and publishing add to the network's time."""
        with self._lock:
            self.processed += 1
            self._output.tick()
            self._in_node.add(in_node_s)
            if latency_s is not None:
                self._latency.add(latency_s)
            if model_s is not None:
                self._model.add(model_s)
            if latency_s is not None and model_s is not None:
                self._overhead.add(latency_s - model_s)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                self.received,
                self.processed,
                self.dropped,
                self.rejected,
                self._input.rate(),
                self._output.rate(),
                self._latency.percentiles_ms(),
                self._in_node.percentiles_ms(),
                self._model.percentiles_ms(),
                self._overhead.percentiles_ms(),
            )


__all__ = ["RateMeter", "LatencyWindow", "FrameStats", "StatsSnapshot"]
