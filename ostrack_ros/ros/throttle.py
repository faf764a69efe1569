"""Per-reason rate limiting of warnings, so a bad camera stream logs once every few seconds. ROS-free.

The first warning of a key goes out at once; the ones that follow within ``period_s`` are held back,
and when that window closes one summary line repeats the LAST held-back message with how many were
held back. So a count always travels with the text it counts, never with a later, unrelated warning.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional


@dataclass
class _Window:
    opened: float
    suppressed: int = 0
    last_message: str = ""


def _summary(window: _Window, now: float) -> str:
    return (
        f"{window.last_message} ({window.suppressed} similar warning(s) suppressed in the "
        f"{now - window.opened:.1f} s since the first; this is the latest)"
    )


class KeyedThrottle:
    """One message per key every ``period_s``; held-back ones are summarised when the window closes."""

    def __init__(self, period_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period_s = period_s
        self._clock = clock
        self._windows: Dict[str, _Window] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, message: str, now: Optional[float] = None) -> List[str]:
        """The lines to log now: a closed window's summary for ``key`` (if any), then ``message``
        unless it falls inside the key's current window (then it is counted and held back)."""
        now = self._clock() if now is None else now
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now - window.opened < self.period_s:
                window.suppressed += 1
                window.last_message = message
                return []
            lines = [_summary(window, now)] if window is not None and window.suppressed else []
            self._windows[key] = _Window(now)
            return lines + [message]

    def flush(self, now: Optional[float] = None) -> List[str]:
        """Summaries of every window that has closed with held-back messages (call it periodically)."""
        now = self._clock() if now is None else now
        with self._lock:
            lines = []
            for key, window in list(self._windows.items()):
                if now - window.opened >= self.period_s:
                    if window.suppressed:
                        lines.append(_summary(window, now))
                    del self._windows[key]
            return lines


class ThrottledLog:
    """``warn(key, message)`` through a KeyedThrottle into one logging callable (one rclpy call site)."""

    def __init__(
        self, log: Callable[[str], None], period_s: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = log
        self.throttle = KeyedThrottle(period_s, clock)

    def warn(self, key: str, message: str) -> None:
        for line in self.throttle.admit(key, message):
            self._log(line)

    def flush(self) -> None:
        for line in self.throttle.flush():
            self._log(line)


__all__ = ["KeyedThrottle", "ThrottledLog"]
