"""Per-reason rate limiting of warnings, so a bad camera stream logs once every few seconds. ROS-free."""
from __future__ import annotations

import threading
import time
from typing import Dict, Optional, Tuple


class KeyedThrottle:
    """Lets one message per key through every ``period_s`` and counts what it held back."""

    def __init__(self, period_s: float = 2.0) -> None:
        self.period_s = period_s
        self._state: Dict[str, Tuple[float, int]] = {}  # key -> (last emitted, suppressed since)
        self._lock = threading.Lock()

    def admit(self, key: str, now: Optional[float] = None) -> Optional[int]:
        """None to stay quiet, else how many messages of this key were suppressed before this one."""
        now = time.monotonic() if now is None else now
        with self._lock:
            last, suppressed = self._state.get(key, (None, 0))
            if last is not None and now - last < self.period_s:
                self._state[key] = (last, suppressed + 1)
                return None
            self._state[key] = (now, 0)
            return suppressed


__all__ = ["KeyedThrottle"]
