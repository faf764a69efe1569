"""Turning the three ways of marking a target into one "start tracking box B on frame F" request.

A Detection2D names its frame by header stamp (looked up in a ring buffer of recent frames), a
click pair or a single click (plus a default size) has no stamp and means the newest frame.
Boxes are checked against the chosen frame before the tracker sees them. ROS-free.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, Optional, Tuple, TypeVar

Box = Tuple[float, float, float, float]
T = TypeVar("T")
MIN_BOX_SIDE = 2.0


class InitBoxError(ValueError):
    """An init box the tracker must not start from; str() says why, ``kind`` names the check."""

    def __init__(self, message: str, kind: str = "box") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class InitRequest:
    """Start tracking ``box`` (x, y, w, h pixels) on the frame stamped ``stamp_ns`` (None: newest).

    ``request_stamp_ns`` is the request's own stamp (0 when it had none, and ``stamp_ns`` names the
    frame that was newest when it arrived); ``quiet`` asks to log it at DEBUG (inits in quick
    succession)."""

    box: Box
    stamp_ns: Optional[int]
    source: str
    request_stamp_ns: int = 0
    quiet: bool = False
    target_id: str = ""  # the Detection2D's id; empty: a new target with the next free number

    @property
    def supersede_key(self) -> str:
        """A newer init for the same target replaces this one while both wait for the worker."""
        return self.target_id

    @property
    def removes(self) -> bool:
        """An empty (0 x 0) box with an id drops that target (without an id it is a bad box: ~/reset
        ends every target)."""
        return bool(self.target_id) and self.box[2] == 0 and self.box[3] == 0


def checked_init_box(box: Box, width: int, height: int) -> Box:
    """``box`` clipped to a width x height image; InitBoxError for NaN, empty or off-image boxes."""
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise InitBoxError(f"init box has a non-finite value: ({x}, {y}, {w}, {h})", "non-finite")
    if w <= 0 or h <= 0:
        raise InitBoxError(f"init box has a non-positive size: {w:g}x{h:g}", "size")
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        raise InitBoxError(
            f"init box ({x:g}, {y:g}, {w:g}, {h:g}) lies outside the {width}x{height} image", "outside"
        )
    if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
        raise InitBoxError(
            f"init box is {x2 - x1:g}x{y2 - y1:g} px inside the image; need at least "
            f"{MIN_BOX_SIDE:g} px per side",
            "small",
        )
    return (x1, y1, x2 - x1, y2 - y1)


class FrameRingBuffer(Generic[T]):
    """The last ``capacity`` frames keyed by stamp (ns); thread-safe (camera callback vs worker)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._frames: "OrderedDict[int, T]" = OrderedDict()
        self._lock = threading.Condition()

    def add(self, stamp_ns: int, frame: T) -> None:
        with self._lock:
            self._frames.pop(stamp_ns, None)
            self._frames[stamp_ns] = frame
            while len(self._frames) > self.capacity:
                self._frames.popitem(last=False)
            self._lock.notify_all()

    def find(self, stamp_ns: int, tolerance_ns: int = 0, wait_s: float = 0.0) -> Optional[T]:
        """The frame with this stamp, else the closest within ``tolerance_ns``; with ``wait_s``, wait
        up to that long for it to be added (a marked frame sent just before or after its init box)."""
        with self._lock:
            found = (
                self._lock.wait_for(lambda: self._closest(stamp_ns, tolerance_ns), timeout=wait_s)
                if wait_s > 0
                else self._closest(stamp_ns, tolerance_ns)
            )
            return found[1] if found else None

    def _closest(self, stamp_ns: int, tolerance_ns: int) -> Optional[Tuple[int, T]]:
        if stamp_ns in self._frames:
            return stamp_ns, self._frames[stamp_ns]
        best = min(self._frames, key=lambda s: abs(s - stamp_ns), default=None)
        if best is not None and abs(best - stamp_ns) <= tolerance_ns:
            return best, self._frames[best]
        return None

    def newest(self) -> Optional[T]:
        with self._lock:
            return next(reversed(self._frames.values()), None)

    def newest_stamp(self) -> Optional[int]:
        with self._lock:
            return next(reversed(self._frames), None)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)


class ClickCollector:
    """Clicks (pixel points, no stamp) to init boxes: two corners within a timeout, or one centre."""

    def __init__(self) -> None:
        self._first: Optional[Tuple[float, float, float]] = None  # x, y, time

    def click(
        self, x: float, y: float, now: float, *, mode: str, timeout: float, default_size: Tuple[float, float]
    ) -> Optional[Box]:
        """Feed one click at time ``now`` (s); returns a box when the click completes one."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise InitBoxError(f"click has a non-finite coordinate: ({x}, {y})", "non-finite")
        if mode == "one_click":
            self._first = None
            w, h = default_size
            return (x - w / 2.0, y - h / 2.0, w, h)
        if self._first is None or now - self._first[2] > timeout:
            self._first = (x, y, now)
            return None
        x0, y0, _ = self._first
        self._first = None
        return (min(x0, x), min(y0, y), abs(x - x0), abs(y - y0))

    @property
    def waiting_for_second(self) -> bool:
        return self._first is not None

    def clear(self) -> None:
        self._first = None


__all__ = [
    "InitRequest",
    "InitBoxError",
    "checked_init_box",
    "FrameRingBuffer",
    "ClickCollector",
    "MIN_BOX_SIDE",
]
