"""What one ``Tracker.track`` call returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np

Box = Tuple[float, float, float, float]  # typing.Tuple: a runtime alias, and Python 3.8 has no tuple[...]


@dataclass(frozen=True)
class TrackResult:
    """The new target state of one frame plus what a debug overlay needs.

    ``box`` is (x, y, w, h) in image pixels after the official ``clip_box``; ``score`` is the raw
    (un-windowed) score-map value at the Hann-windowed peak; ``search_box`` is the square search crop
    (x, y, side, side) that may extend past the image (None on the frame the target was marked on);
    ``kept_mask`` is the (Hs, Ws) grid of search tokens still alive after the last CE stage (None
    without CE or when not requested); ``claimed`` says whether the tracker currently claims the
    target is at ``box`` (always true for the short-term ``Tracker``; a ``LongTermTracker`` clears
    it while the target is lost); ``searched`` are the other crops (x, y, side, side) searched on
    this frame (a ``LongTermTracker`` while lost: re-detection tiles or a candidate's re-check).
    """

    box: Box
    score: float
    search_box: Box | None
    kept_mask: np.ndarray | None
    frame_index: int
    claimed: bool = True
    searched: Tuple[Box, ...] = ()

    @classmethod
    def marked(cls, box: Box) -> TrackResult:
        """The answer on the frame a target was marked on: the marked box itself with score 1.0 (a
        person or a tool said so), no search crop."""
        return cls(tuple(float(v) for v in box), 1.0, None, None, 0)
