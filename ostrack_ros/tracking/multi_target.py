"""Several targets on one network: per-target templates and state, one batched forward per frame.

Each target is a ``LongTermTracker`` (a ``sibling`` of one prototype, so all share the network) with
its own template tokens, CE mask, state, claim and re-detection. ``track`` prepares every target's
crops (its search crop plus any re-detection tiles), stacks them with each crop's own template into
one batch, runs the network once and hands each target its slice. Candidate elimination ranks the
search tokens of each sample against that sample's template only, so a target's result does not
depend on which other targets share the batch (up to float rounding of the batched matrix products).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from .errors import TrackingError
from .long_term import LongTermTracker
from .result import TrackResult
from .tracker import run_network


class MultiTargetTracker:
    """Up to ``max_targets`` targets, keyed by caller-chosen ids, tracked together.

    ``initialize`` with a new id adds a target, with a known id re-initialises that one; ``remove``
    drops one. Not thread-safe: one instance per thread, like ``Tracker``."""

    def __init__(self, prototype: Any, max_targets: int = 1) -> None:
        """``prototype``: a ``Tracker`` or ``LongTermTracker`` whose network and settings every target
        shares (its ``sibling``); with ``max_targets`` 1 it tracks the one target itself."""
        if max_targets < 1:
            raise TrackingError(f"max_targets must be >= 1, got {max_targets}")
        self.prototype = LongTermTracker.around(prototype)
        self.max_targets = max_targets
        self.targets: Dict[str, LongTermTracker] = {}  # in the order they were first initialised

    def __len__(self) -> int:
        return len(self.targets)

    def __contains__(self, target_id: object) -> bool:
        return target_id in self.targets

    @property
    def ids(self) -> List[str]:
        return list(self.targets)

    def configure(self, **changes: Any) -> None:
        """Change the long-term settings of every target (and of targets added later)."""
        self.prototype.configure(**changes)
        for target in self.targets.values():  # the prototype again with one target: a no-op
            target.configure(**changes)

    def initialize(
        self, target_id: str, image: np.ndarray, box: Sequence[float], relocate: bool = False
    ) -> None:
        """Start ``target_id`` on ``box``: a new target when the id is new (TrackingError when
        ``max_targets`` are tracked already), else a new template for that target. On a failed
        initialisation a re-initialised target is dropped (its old template is gone)."""
        target = self.targets.get(target_id)
        if target is None:
            if len(self.targets) >= self.max_targets:
                raise TrackingError(
                    f"already tracking {len(self.targets)} targets (max_targets {self.max_targets}); "
                    "remove one first"
                )
            # one target at a time: the prototype itself (any tracker with the contract will do)
            target = self.prototype if self.max_targets == 1 else self.prototype.sibling()
        try:
            target.initialize(image, box, relocate=relocate)
        except TrackingError:
            self.targets.pop(target_id, None)
            raise
        self.targets[target_id] = target

    def remove(self, target_id: str) -> bool:
        """Stop tracking ``target_id``; False when there was no such target."""
        return self.targets.pop(target_id, None) is not None

    def clear(self) -> None:
        self.targets.clear()

    @torch.inference_mode()
    def track(
        self, image: np.ndarray, with_kept_mask: bool = False, skip: Collection[str] = ()
    ) -> Dict[str, TrackResult]:
        """Every target's result on the next RGB frame, from one network call. Targets in ``skip``
        (e.g. one just initialised on this very frame) take no step and get no result."""
        active = {i: t for i, t in self.targets.items() if i not in skip}
        if not active:
            return {}
        if len(active) == 1:  # one target: exactly the single-target step
            ((target_id, target),) = active.items()
            return {target_id: target.track(image, with_kept_mask)}
        plans, steps = {}, {}
        for target_id, target in active.items():
            plans[target_id] = plan = target.plan(image)
            steps[target_id] = target.tracker.prepare(
                image, with_kept_mask, plan.boxes, fresh=True, follow=plan.local
            )
        outputs = self._forward([steps[i] for i in active], list(active.values()))
        return {
            target_id: target.conclude(plans[target_id], target.tracker.finish(steps[target_id], out))
            for (target_id, target), out in zip(active.items(), outputs)
        }

    def _forward(self, steps: List[Any], targets: List[LongTermTracker]) -> List[Any]:
        """One network call over every target's crops, each crop against its own target's template."""
        sizes = [step.search.shape[0] for step in steps]
        inner = [target.tracker for target in targets]
        tokens = torch.cat([t.template_tokens.expand(n, -1, -1) for t, n in zip(inner, sizes)])
        masks: Optional[torch.Tensor] = None
        if inner[0].ce_mask is not None:
            masks = torch.cat([t.ce_mask.expand(n, -1) for t, n in zip(inner, sizes)])
        search = torch.cat([step.search for step in steps])
        return run_network(inner[0].model, tokens, search, masks).split(sizes)


__all__ = ["MultiTargetTracker"]
