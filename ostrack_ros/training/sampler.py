"""Template/search frame-pair sampling from sequences (the official "causal" mode).

A sequence is drawn with probability proportional to its dataset's ratio, then a visible template
frame, then a visible search frame at most ``max_gap`` frames after it; when none exists the gap
grows by 5 until one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional
from typing import Sequence as Seq

import numpy as np

from ..data import Sequence


@dataclass(frozen=True)
class FramePair:
    """Indices of one training sample: sequence, template frame, search frame."""

    sequence: int
    template: int
    search: int


class PairSampler:
    """Draws ``FramePair``s from sequences of one or more datasets (``DATA.MAX_SAMPLE_INTERVAL``)."""

    def __init__(
        self,
        datasets: Seq[List[Sequence]],
        ratios: Optional[Seq[float]] = None,
        max_gap: int = 200,
        mode: str = "causal",
        min_length: int = 20,
    ) -> None:
        if mode not in ("causal", "interval"):
            raise ValueError(f"frame sample mode {mode!r} is not supported (causal, interval)")
        if max_gap < 1:
            raise ValueError(f"max frame gap must be >= 1, got {max_gap}")
        self.sequences: List[Sequence] = [s for d in datasets for s in d]
        ratios = list(ratios) if ratios is not None else [float(len(d)) for d in datasets]
        if len(ratios) != len(datasets):
            raise ValueError(f"{len(ratios)} dataset ratios for {len(datasets)} datasets")
        # Official rule: more than 4 visible frames and at least ``min_length`` frames.
        usable = np.array(
            [s.visible[:-1].any() and s.visible.sum() > 4 and len(s) >= min_length for s in self.sequences],
            dtype=bool,
        )
        if not usable.any():
            raise ValueError(
                f"no sequence has > 4 visible frames and >= {min_length} frames "
                "to sample template/search pairs from"
            )
        weights = np.concatenate([np.full(len(d), r / max(len(d), 1)) for d, r in zip(datasets, ratios)])
        weights = weights * usable
        self.weights = weights / weights.sum()
        self.max_gap = max_gap
        self.mode = mode

    def sample(self, rng: np.random.Generator) -> FramePair:
        """One pair: the search frame follows the template (causal) or lies within the gap (interval)."""
        seq_id = int(rng.choice(len(self.sequences), p=self.weights))
        ids = np.flatnonzero(self.sequences[seq_id].visible)
        gap = self.max_gap
        while True:
            # the template needs a later frame, so it is never the last one
            template = int(rng.choice(ids[ids < len(self.sequences[seq_id]) - 1]))
            if self.mode == "causal":  # search in (template, template + gap), as the official range()
                window = ids[(ids > template) & (ids < template + gap)]
            else:
                window = ids[(ids != template) & (np.abs(ids - template) < gap)]
            if len(window):
                return FramePair(seq_id, template, int(rng.choice(window)))
            gap += 5
