"""What the image stream itself says: frame order, estimated transport loss, silence. ROS-free.

Header stamps tell what the camera sent: a gap of k frame periods between two consecutive stamps
means about k - 1 frames were lost on the way (a best-effort subscription does not see them, so no
counter in the node would). The period is the median of recent stamp steps. Receipt times (the
caller's monotonic clock) tell whether the stream has gone quiet.
"""

from __future__ import annotations

import enum
import statistics
import threading
from collections import deque
from dataclasses import dataclass
from typing import Deque, Optional, Tuple

#: stamp steps (and receipt intervals) the period estimate looks at
WINDOW = 30
#: no frame for this many periods = stale input
STALE_PERIODS = 5
#: estimated loss over the last WINDOW frames at which diagnostics warn
LOSS_WARN_FRACTION = 0.1


class Order(str, enum.Enum):
    """How a frame's stamp relates to the previous one's."""

    IN_ORDER = "in order"
    UNKNOWN_TIME = "unknown time"  # zero stamp: no time to compare
    OUT_OF_ORDER = "out of order"  # a little earlier than the previous frame: drop it
    JUMPED_BACK = "jumped back"  # far earlier: bag loop or clock reset, start over


@dataclass(frozen=True)
class InputHealth:
    """A snapshot for diagnostics."""

    out_of_order: int
    lost_estimate: int
    recent_loss_fraction: float
    period_s: Optional[float]
    silent_s: Optional[float]  # since the last frame; None before the first
    stale: bool


class InputMonitor:
    """Classifies each frame's stamp and keeps the loss and silence figures (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_stamp: Optional[int] = None
        self._last_received: Optional[float] = None
        self._steps: Deque[int] = deque(maxlen=WINDOW)
        self._intervals: Deque[float] = deque(maxlen=WINDOW)
        self._recent_lost: Deque[int] = deque(maxlen=WINDOW)
        self.out_of_order = 0
        self.lost_estimate = 0

    def on_frame(self, stamp_ns: int, received_s: float, jump_reset_s: float) -> Tuple[Order, float]:
        """Classify a frame (zero stamp = unknown time) and return (order, seconds it is behind)."""
        with self._lock:
            if self._last_received is not None:
                self._intervals.append(received_s - self._last_received)
            self._last_received = received_s
            if stamp_ns == 0:
                return Order.UNKNOWN_TIME, 0.0
            last = self._last_stamp
            if last is not None and stamp_ns < last:
                behind = (last - stamp_ns) / 1e9
                if behind >= jump_reset_s:
                    self._last_stamp = stamp_ns
                    self._steps.clear()
                    self._recent_lost.clear()
                    return Order.JUMPED_BACK, behind
                self.out_of_order += 1
                return Order.OUT_OF_ORDER, behind
            if last is not None and stamp_ns > last:
                self._count_gap(stamp_ns - last)
            self._last_stamp = stamp_ns
            return Order.IN_ORDER, 0.0

    def _count_gap(self, step: int) -> None:
        lost = 0
        if len(self._steps) >= 3:
            period = statistics.median(self._steps)
            if period > 0 and step > 1.5 * period:
                lost = int(round(step / period)) - 1
        self.lost_estimate += lost
        self._recent_lost.append(lost)
        self._steps.append(step)

    def health(self, now_s: float) -> InputHealth:
        with self._lock:
            period = statistics.median(self._steps) / 1e9 if len(self._steps) >= 3 else None
            interval = statistics.median(self._intervals) if len(self._intervals) >= 3 else None
            silent = None if self._last_received is None else now_s - self._last_received
            expected = max(filter(None, (period, interval)), default=None)
            stale = silent is not None and expected is not None and silent > STALE_PERIODS * expected
            lost = sum(self._recent_lost)
            fraction = lost / (lost + len(self._recent_lost)) if self._recent_lost else 0.0
            return InputHealth(self.out_of_order, self.lost_estimate, fraction, period, silent, stale)


__all__ = ["InputMonitor", "InputHealth", "Order", "STALE_PERIODS", "LOSS_WARN_FRACTION", "WINDOW"]
