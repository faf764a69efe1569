"""When a re-detection candidate may become the target again: the look-alike-resistant rule.

A scan of the frame proposes a peak (``long_term``: a pass's best at its end, or a fresh peak once
the whole frame has been seen). The proposal is accepted for checking only when it scores at least
``propose_threshold`` (tile crops see the target off-centre, so their peaks run lower than a
centred crop's; default ``threshold``) and beats its strongest rival (another object,
``runner_up``) by ``margin``, so two equally good look-alikes claim nothing. It is then re-checked
on the next ``frames`` frames with a crop centred on its latest position: every re-check must score
at least ``threshold`` and stay within ``max_shift`` target sizes per frame since the previous
sighting (a pass's best peak may be several frames old) with a size change of at most
``max_scale_change``; one failure drops the candidate.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from .result import Box


@dataclass(frozen=True)
class Peak:
    """A score-map peak mapped to an image box."""

    box: Box
    score: float
    search_box: Optional[Box] = None  # the crop it was found in (for overlays)
    frame: int = 0  # the frame of the scan pass it was seen on (a pass spans several frames)
    colour: float = 1.0  # its box's colour match with the marked target (``colour.ColourModel``)

    @property
    def center(self) -> tuple:
        return (self.box[0] + 0.5 * self.box[2], self.box[1] + 0.5 * self.box[3])

    @property
    def size(self) -> float:
        return math.sqrt(self.box[2] * self.box[3])


def runner_up(best: Peak, peaks: Iterable[Peak], max_shift: float = 1.0) -> Optional[Peak]:
    """The strongest rival of ``best`` among ``peaks``, or None.

    A rival is another object: at least one target size from ``best`` on the same frame, and
    ``max_shift`` target sizes more per frame between them, so the target seen again a few frames
    later in another tile of the same pass is not taken for its own look-alike."""
    rivals = [
        p
        for p in peaks
        if p is not best and distance(p, best) >= best.size * (1.0 + max_shift * abs(p.frame - best.frame))
    ]
    return max(rivals, key=lambda p: p.score, default=None)


def distance(a: Peak, b: Peak) -> float:
    return math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1])


class Verdict(str, enum.Enum):
    """Outcome of one re-check."""

    PENDING = "pending"  # consistent so far, more re-checks needed
    CONFIRMED = "confirmed"  # the candidate is the target again
    REJECTED = "rejected"  # the candidate failed a re-check and is dropped


@dataclass(frozen=True)
class ConfirmationRule:
    """The thresholds of the rule (see the module docstring)."""

    threshold: float = 0.4
    margin: float = 0.1
    frames: int = 2
    max_shift: float = 1.0  # target sizes per frame
    max_scale_change: float = 1.5
    propose_threshold: float | None = None  # a scan peak worth re-checking; None = ``threshold``

    def __post_init__(self) -> None:
        if not (math.isfinite(self.threshold) and math.isfinite(self.margin)) or self.margin < 0:
            raise ValueError(f"confirmation threshold must be finite and margin >= 0, got {self}")
        if self.frames < 0 or self.max_shift <= 0 or self.max_scale_change < 1:
            raise ValueError(f"need frames >= 0, max_shift > 0 and max_scale_change >= 1, got {self}")


class Confirmation:
    """One candidate at a time: ``propose`` after a full scan, ``check`` once per later frame."""

    def __init__(self, rule: ConfirmationRule) -> None:
        self.rule = rule
        self.candidate: Optional[Peak] = None
        self.checks = 0

    @property
    def pending(self) -> bool:
        return self.candidate is not None

    def propose(self, best: Optional[Peak], runner_up: Optional[Peak]) -> Verdict:
        """Start checking ``best`` if it is strong and distinct enough (CONFIRMED at once when
        ``frames`` is 0); REJECTED otherwise."""
        self.candidate, self.checks = None, 0
        needed = self.rule.threshold if self.rule.propose_threshold is None else self.rule.propose_threshold
        if best is None or not best.score >= needed:
            return Verdict.REJECTED
        if runner_up is not None and best.score - runner_up.score < self.rule.margin:
            return Verdict.REJECTED
        if self.rule.frames == 0:
            return Verdict.CONFIRMED
        self.candidate = best
        return Verdict.PENDING

    def check(self, peak: Peak) -> Verdict:
        """One re-check of the pending candidate with the peak found around it in a new frame."""
        if self.candidate is None:
            raise RuntimeError("check() without a pending candidate: propose() one first")
        previous = self.candidate
        scale = peak.size / previous.size if previous.size > 0 else math.inf
        frames = max(1, peak.frame - previous.frame)  # a pass's best peak may be a few frames old
        consistent = (
            peak.score >= self.rule.threshold
            and distance(peak, previous) <= self.rule.max_shift * previous.size * frames
            and 1.0 / self.rule.max_scale_change <= scale <= self.rule.max_scale_change
        )
        if not consistent:
            self.candidate, self.checks = None, 0
            return Verdict.REJECTED
        self.checks += 1
        if self.checks >= self.rule.frames:
            self.candidate, self.checks = None, 0
            return Verdict.CONFIRMED
        self.candidate = peak
        return Verdict.PENDING

    def clear(self) -> None:
        self.candidate, self.checks = None, 0
