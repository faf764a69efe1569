"""Hand-over between the ROS callbacks and the inference worker: newest frame wins. ROS-free.

Callbacks post frames (an unprocessed older frame is replaced and counted as dropped) and commands
(init requests, resets; kept in order, a newer command of a superseding kind replacing a pending one).
A reset bumps ``generation`` so a result computed before it can be recognised as stale and not
published.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Deque, Generic, List, Optional, TypeVar

F = TypeVar("F")


@dataclass
class Work(Generic[F]):
    """What the worker takes in one go: pending commands (oldest first), then the newest frame."""

    commands: List[Any] = field(default_factory=list)
    frame: Optional[F] = None
    generation: int = 0


class Mailbox(Generic[F]):
    """A one-frame slot plus a command queue, guarded by one condition variable."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Optional[F] = None
        self._commands: Deque[Any] = deque()
        self._generation = 0
        self._closed = False

    def put_frame(self, frame: F) -> bool:
        """Offer a frame; True when it replaced one the worker had not taken (a dropped frame)."""
        with self._cond:
            dropped = self._frame is not None
            self._frame = frame
            self._cond.notify()
            return dropped

    def put_command(
        self, command: Any, invalidates_in_flight: bool = False, supersedes: bool = False
    ) -> List[Any]:
        """Queue a command; ``invalidates_in_flight`` marks the result being computed now as stale;
        ``supersedes`` removes pending commands of the same type and ``supersede_key`` (only the
        newest init of each target counts). Returns the removed commands."""
        with self._cond:
            removed = []
            if supersedes:
                key = _supersede_key(command)
                removed = [c for c in self._commands if _supersede_key(c) == key]
                self._commands = deque(c for c in self._commands if _supersede_key(c) != key)
            self._commands.append(command)
            if invalidates_in_flight:
                self._generation += 1
            self._cond.notify()
            return removed

    def take(self, timeout: Optional[float] = None) -> Optional[Work[F]]:
        """Wait for work; None on timeout or after close()."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._frame is not None or self._commands, timeout)
            if self._closed or (self._frame is None and not self._commands):
                return None
            work = Work(list(self._commands), self._frame, self._generation)
            self._commands.clear()
            self._frame = None
            return work

    def current(self, generation: int) -> "_Current":
        """Context manager: holds the lock and tells whether ``generation`` is still the latest."""
        return _Current(self, generation)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


def _supersede_key(command: Any) -> tuple:
    return type(command), getattr(command, "supersede_key", None)


class _Current:
    def __init__(self, box: Mailbox, generation: int) -> None:
        self._box, self._generation = box, generation

    def __enter__(self) -> bool:
        self._box._cond.acquire()
        return self._box._generation == self._generation

    def __exit__(self, *exc) -> None:
        self._box._cond.release()


__all__ = ["Mailbox", "Work"]
