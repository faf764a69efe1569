"""Long-term metrics: how a tracker does after the target re-enters the view, and what it claims
while the target is away.

A frame is *claimed* when the tracker's confidence (``<seq>_confidence.txt``, the VOT-LT /
GOT-10k convention) is above 0; results without confidence claim every frame, as a short-term
tracker does. A *re-entry* is the first present frame after at least ``min_absence`` consecutive
absent frames (GOT-10k ``absence.label``). After a re-entry, a frame is a success when it is
claimed and its box overlaps the ground truth with IoU > 0.5; the *re-acquisition delay* counts
frames from the re-entry to the first success. A *false claim* is a claimed frame whose target is
absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from .metrics import iou

MIN_ABSENCE = 10  # absent frames before a present frame counts as a re-entry (not a brief occlusion)
QUICK_REACQUISITION = 15  # frames: the "re-acquired within" operating point


@dataclass(frozen=True)
class SequenceLongTerm:
    """Long-term tallies of one sequence."""

    name: str
    delays: List[float]  # per re-entry: frames to the first success (inf: never)
    successes_after_reentry: int
    frames_after_reentry: int
    false_claims: int
    absent_frames: int


def reentries(present: np.ndarray, min_absence: int = MIN_ABSENCE) -> List[int]:
    """Frames where the target is present after at least ``min_absence`` absent frames."""
    starts, run = [], 0
    for t, here in enumerate(np.asarray(present, dtype=bool)):
        if here and run >= min_absence:
            starts.append(t)
        run = 0 if here else run + 1
    return starts


def evaluate_long_term(
    name: str,
    pred: np.ndarray,
    gt: np.ndarray,
    present: np.ndarray,
    confidence: Optional[np.ndarray] = None,
    min_absence: int = MIN_ABSENCE,
) -> SequenceLongTerm:
    """Score one sequence; ``confidence`` None means every frame is claimed."""
    present = np.asarray(present, dtype=bool)
    claimed = np.ones(len(gt), bool) if confidence is None else np.asarray(confidence, np.float64) > 0
    if not (len(pred) == len(gt) == len(present) == len(claimed)):
        raise ValueError(
            f"sequence {name!r}: {len(pred)} boxes, {len(gt)} ground-truth boxes, "
            f"{len(present)} presence flags and {len(claimed)} confidences must match"
        )
    success = claimed & present & (iou(pred, gt) > 0.5)
    starts = reentries(present, min_absence)
    delays, hits, frames = [], 0, 0
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(gt)
        window = slice(start, end)
        found = np.flatnonzero(success[window])
        delays.append(float(found[0]) if found.size else float("inf"))
        hits += int(success[window].sum())
        frames += int(present[window].sum())
    absent = ~present
    return SequenceLongTerm(name, delays, hits, frames, int((claimed & absent).sum()), int(absent.sum()))


@dataclass(frozen=True)
class LongTermScores:
    """Dataset-level long-term scores of one tracker."""

    tracker: str
    reentries: int
    success_after_reentry: float  # fraction of present frames after re-entries that are successes
    reacquired_quickly: float  # fraction of re-entries re-acquired within QUICK_REACQUISITION frames
    median_delay: float  # frames; inf when most re-entries are never re-acquired
    false_claims: int
    absent_frames: int

    @property
    def false_claim_rate(self) -> float:
        return self.false_claims / self.absent_frames if self.absent_frames else float("nan")


def summarize_long_term(tracker: str, sequences: Sequence[SequenceLongTerm]) -> Optional[LongTermScores]:
    """Pool the sequences' tallies; None when no sequence has a re-entry or an absent frame."""
    delays = [d for s in sequences for d in s.delays]
    absent = sum(s.absent_frames for s in sequences)
    if not delays and not absent:
        return None
    frames = sum(s.frames_after_reentry for s in sequences)
    nan = float("nan")
    return LongTermScores(
        tracker=tracker,
        reentries=len(delays),
        success_after_reentry=sum(s.successes_after_reentry for s in sequences) / frames if frames else nan,
        reacquired_quickly=float(np.mean([d <= QUICK_REACQUISITION for d in delays])) if delays else nan,
        median_delay=float(np.median(delays)) if delays else nan,
        false_claims=sum(s.false_claims for s in sequences),
        absent_frames=absent,
    )
