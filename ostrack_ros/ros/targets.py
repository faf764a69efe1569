"""The node's view of each target it tracks: id, IDLE/TRACKING/LOST machine, last box and score.

ROS-free. ``Targets`` keeps them in the order they were first initialised; the first is the
*primary* target, the one ``detection``, ``target_point`` and ``target_bearing`` follow.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from ..tracking.result import Box
from .target_state import TargetStateMachine, TrackState


@dataclass
class NodeTarget:
    """One target: its id, state machine and the last box and score it was given."""

    id: str
    machine: TargetStateMachine = field(default_factory=TargetStateMachine)
    box: Optional[Box] = None
    score: float = math.nan

    @property
    def state(self) -> TrackState:
        return self.machine.state


class Targets:
    """The node's targets by id, in first-initialised order, and the numbering of unnamed ones."""

    def __init__(self) -> None:
        self._by_id: Dict[str, NodeTarget] = {}
        self._numbers = itertools.count(1)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[NodeTarget]:
        return iter(list(self._by_id.values()))

    def __contains__(self, target_id: object) -> bool:
        return target_id in self._by_id

    def get(self, target_id: str) -> Optional[NodeTarget]:
        return self._by_id.get(target_id)

    @property
    def primary(self) -> Optional[NodeTarget]:
        """The oldest target still tracked (None when there is none)."""
        return next(iter(self._by_id.values()), None)

    @property
    def ids(self) -> List[str]:
        return list(self._by_id)

    def new_id(self) -> str:
        """The next number not in use: ids of inits that name none (1, 2, 3, ... over the node's life)."""
        while True:
            candidate = str(next(self._numbers))
            if candidate not in self._by_id:
                return candidate

    def add(self, target_id: str) -> NodeTarget:
        """The target ``target_id``, created (last in order) when new."""
        target = self._by_id.get(target_id)
        if target is None:
            target = self._by_id[target_id] = NodeTarget(target_id)
        return target

    def replace_all(self, target_id: str) -> Tuple[NodeTarget, List[NodeTarget]]:
        """A new target ``target_id`` in place of all others, in one step (a reader on another thread
        never sees the node without a target); returns it and the targets it replaced."""
        target = NodeTarget(target_id)
        gone, self._by_id = [t for t in self._by_id.values() if t.id != target_id], {target_id: target}
        return target, gone

    def pop(self, target_id: str) -> Optional[NodeTarget]:
        return self._by_id.pop(target_id, None)

    def clear(self) -> List[NodeTarget]:
        gone, self._by_id = list(self._by_id.values()), {}
        return gone

    def summary(self) -> str:
        """``id=STATE`` of every target, comma-separated (the ~/state and /diagnostics value)."""
        return ",".join(f"{t.id}={t.state.value}" for t in self._by_id.values())


__all__ = ["NodeTarget", "Targets"]
