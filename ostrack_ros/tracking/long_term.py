"""Long-term tracking: the official tracker plus a claim state and global re-detection while lost.

``LongTermTracker`` wraps a ``Tracker`` with the same ``initialize`` / ``track`` contract. The target
is claimed until its score stays below ``lost_threshold`` for ``lost_frames`` frames. Without
``redetect`` every step is the official one and a lost target is claimed again at the first score
>= ``reacquire_threshold`` (the node's TRACKING/LOST rule). With ``redetect`` a lost target is
searched for in the whole frame: a lost frame runs at most ``max_crops_per_frame`` search crops in
one batch, so its cost is bounded. The official search crop keeps following the old state while it
still sees something (a dip or an occlusion: it is given up once it scores below ``follow_floor``
on ``blank_frames`` frames in a row); the other crops are tiles (``tiling``), and all of them once
it has gone blank. Peaks are proposed to the look-alike resistant ``confirmation`` rule: the first
pass's best at its end; once a pass has seen the whole frame (every rival known), a peak as soon as
it is found. Only a confirmed candidate is claimed again, and only if its re-check box has the marked
target's colours (``colour``; ``colour_match``): look-alikes the network scores as high as the target
often differ in colour. A peak of other colours is no rival either.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np

from .colour import ColourModel
from .confirmation import Confirmation, ConfirmationRule, Peak, Verdict, runner_up
from .errors import TrackingError
from .geometry import clip_box, map_box_back
from .inputs import check_image
from .result import Box, TrackResult
from .tiling import TileSchedule, tile_boxes
from .tracker import CLIP_MARGIN


@dataclass(frozen=True)
class LongTermSettings:
    """Loss, re-detection and confirmation settings (node parameters: the first five, ``confirm_frames``,
    ``colour_match``).

    Defaults are tuned for the embedded demo model on long-term synthetic tuning sets (seeds 4242,
    4343 and 4444; ``colour_match`` also on seed 1111 and real clips, docs/demo_and_evaluation.md);
    other weights have other score levels."""

    redetect: bool = False
    lost_threshold: float = 0.50  # a score below it is a miss; scan peaks above it are re-checked
    lost_frames: int = 1  # consecutive misses before the target is lost
    reacquire_threshold: float = 0.55  # a re-acquisition and each re-check need it (after pass 1: proposals)
    max_crops_per_frame: int = 2  # search crops per lost frame in one batch, tiles >= 1 (1 thread: ~1.6x)
    follow_floor: float = 0.3  # while lost, the official crop runs until it scores below this ...
    blank_frames: int = 5  # ... on this many frames in a row (one bad frame of a visible target is not it)
    scales: Tuple[float, ...] = (1.0, 1.5)  # tile scales relative to the last confident target size
    tile_overlap: float = 0.25  # every pixel lies in the central (1 - overlap) of some tile
    confirm_frames: int = 1  # consecutive consistent re-checks before a candidate is claimed
    margin: float = 0.1  # score lead the best scan peak needs over the runner-up elsewhere
    max_shift: float = 1.0  # target sizes a candidate may move per frame (re-checks, and within a pass)
    early_threshold: float = 0.80  # first pass: a peak this strong is re-checked without waiting for its end
    colour_match: float = 0.6  # a re-check's colour correlation with the marked target needs it (-1: off)

    def __post_init__(self) -> None:
        if self.lost_frames < 1 or self.max_crops_per_frame < 1 or self.blank_frames < 1:
            raise TrackingError(f"lost_frames, max_crops_per_frame and blank_frames must be >= 1, got {self}")
        if not self.reacquire_threshold >= self.lost_threshold:
            raise TrackingError(
                f"reacquire_threshold ({self.reacquire_threshold}) must be >= "
                f"lost_threshold ({self.lost_threshold})"
            )
        if math.isnan(self.follow_floor):
            raise TrackingError("follow_floor must be a number (-inf: follow for the whole loss)")
        if not self.colour_match <= 1.0:
            raise TrackingError(f"colour_match must be <= 1 (-1: no colour check), got {self.colour_match}")
        if math.isnan(self.early_threshold):
            raise TrackingError("early_threshold must be a number (inf: wait for every pass to end)")
        if not self.scales or not all(s > 0 for s in self.scales):
            raise TrackingError(f"scales must be positive, got {self.scales}")
        if not 0.0 <= self.tile_overlap < 1.0:
            raise TrackingError(f"tile_overlap must be in [0, 1), got {self.tile_overlap}")
        try:
            self.rule()
        except ValueError as exc:
            raise TrackingError(str(exc)) from None

    def rule(self) -> ConfirmationRule:
        """Scan peaks above the lost threshold are re-checked; re-checks must reach the re-acquire one."""
        return ConfirmationRule(
            self.reacquire_threshold,
            self.margin,
            self.confirm_frames,
            self.max_shift,
            propose_threshold=self.lost_threshold,
        )


@dataclass(frozen=True)
class StepPlan:
    """What one long-term step asks of the network: ``follow`` (the official step), ``recheck`` (a
    candidate's crop) or ``scan`` (re-detection tiles), with the extra crop boxes that takes, and
    whether the official search crop runs too (``local``; always for ``follow``)."""

    kind: str
    boxes: Tuple[Box, ...]
    image: np.ndarray = dataclasses.field(repr=False, compare=False)  # the frame (RGB), not a copy
    local: bool = True

    @property
    def image_size(self) -> Tuple[int, int]:
        """(height, width)"""
        return self.image.shape[:2]


class LongTermTracker:
    """A ``Tracker`` that says whether it claims the target and, with ``redetect``, finds it again.

    Other attributes (``device``, ``config``, ``last_step``, ...) are the wrapped tracker's."""

    def __init__(self, tracker: Any, settings: Optional[LongTermSettings] = None, **changes: Any) -> None:
        self.tracker = tracker
        self.settings = dataclasses.replace(settings or LongTermSettings(), **changes)
        self.claimed = False
        self.misses = 0
        self._target_wh: Optional[Tuple[float, float]] = None
        self._confirmation = Confirmation(self.settings.rule())
        self._schedule: Optional[TileSchedule] = None
        self._schedule_size: Tuple[int, int] = (0, 0)
        self._scan_peaks: List[Peak] = []  # peaks of the pass under way
        self._last_pass: List[Peak] = []  # peaks of the last full pass (rivals seen everywhere)
        self._search_frames = 0  # lost frames searched so far: numbers the peaks (only differences matter)
        self._following = False  # while lost: the official crop still sees something
        self._blank = 0  # consecutive lost frames on which the official crop scored below follow_floor
        self._relocating = False  # searching the whole view for a target marked on an old frame
        self._colour: Optional[ColourModel] = None  # the marked target's colours

    @classmethod
    def around(cls, tracker: Any) -> LongTermTracker:
        """``tracker`` itself when it already is a LongTermTracker, else a wrapper with default settings."""
        return tracker if isinstance(tracker, cls) else cls(tracker)

    def __getattr__(self, name: str) -> Any:
        if name == "tracker":  # not set yet (copy/pickle): no recursion
            raise AttributeError(name)
        return getattr(self.tracker, name)

    @property
    def state(self) -> Optional[Box]:
        return self.tracker.state

    @state.setter
    def state(self, box: Sequence[float]) -> None:
        self.tracker.state = box

    @property
    def tiles_per_pass(self) -> int:
        """Re-detection tiles in one pass over the frame (0 until a lost frame was searched)."""
        return len(self._schedule.tiles) if self._schedule is not None else 0

    def configure(self, **changes: Any) -> None:
        """Change settings at run time (e.g. from node parameters); a no-op when nothing differs."""
        if all(getattr(self.settings, key) == value for key, value in changes.items()):
            return
        self.settings = dataclasses.replace(self.settings, **changes)
        self._confirmation = Confirmation(self.settings.rule())  # drops a pending candidate
        self._restart_search()

    def initialize(self, image: np.ndarray, box: Sequence[float], relocate: bool = False) -> None:
        """Start on ``box`` in ``image``. ``relocate``: ``image`` is an old frame (a mark made a while
        ago), so the target is not claimed until the whole-frame search finds and confirms it in the
        frames that follow, even with ``redetect`` off."""
        self.tracker.initialize(image, box)  # validates both
        box = tuple(float(v) for v in box)
        self._colour = ColourModel(image, box)
        self._claim(box)
        if relocate:
            self._lose()
            self._relocating = True

    def sibling(self) -> LongTermTracker:
        """A long-term tracker for another target on the same network, with these settings."""
        return LongTermTracker(self.tracker.sibling(), self.settings)

    def track(self, image: np.ndarray, with_kept_mask: bool = False) -> TrackResult:
        """The next frame's result; ``claimed`` is false while the target is lost."""
        plan = self.plan(image)
        extra = {"extra": plan.boxes, "follow": plan.local} if plan.boxes else {}  # none: the official call
        return self.conclude(plan, self.tracker.track(image, with_kept_mask=with_kept_mask, **extra))

    def plan(self, image: np.ndarray) -> StepPlan:
        """First half of ``track``: the extra crops this frame needs (re-detection tiles, or the
        re-check of a candidate) and whether the official crop runs with them; the network step
        itself is the wrapped tracker's."""
        image = check_image(image)
        height, width = image.shape[:2]
        searching = self.settings.redetect or self._relocating
        if self.claimed or not searching or self._target_wh is None:
            return StepPlan("follow", (), image)
        # the official crop takes one of the crops while it sees something; at least one tile runs
        local = self._following and self.settings.max_crops_per_frame >= 2
        if self._confirmation.pending:  # re-check the candidate with a crop centred on it
            return StepPlan("recheck", (self._confirmation.candidate.box,), image, local)
        if self._schedule is None or self._schedule_size != (width, height):
            self._restart_search()  # a new frame size: new tiles, and the old peaks are void
            self._schedule = TileSchedule(
                tile_boxes(
                    width,
                    height,
                    self._target_wh,
                    self.tracker.search_factor,
                    self.settings.scales,
                    self.settings.tile_overlap,
                ),
                self.settings.max_crops_per_frame,
            )
            self._schedule_size = (width, height)
        tiles = self._schedule.take(self.settings.max_crops_per_frame - int(local))
        return StepPlan("scan", tuple(tiles), image, local)

    def conclude(self, plan: StepPlan, result: TrackResult) -> TrackResult:
        """Second half of ``track``: the claim state after the wrapped tracker's ``result`` for ``plan``."""
        if plan.kind == "follow":
            return self._follow(result)
        frame = self._search_frames
        self._search_frames += 1
        colour = self._colour.matcher(plan.image)
        peaks = [
            dataclasses.replace(p, colour=colour(p.box))
            for p in self._peaks(plan.boxes, *plan.image_size, frame)
        ]
        result = dataclasses.replace(result, searched=tuple(p.search_box for p in peaks))
        confirmation = self._confirmation
        if plan.local:
            self._blank = 0 if result.score >= self.settings.follow_floor else self._blank + 1
            if self._blank >= self.settings.blank_frames:  # gone: its crop goes to a tile from now on
                self._following = False
        if plan.kind == "recheck":  # a centred crop: its box is tight enough to judge the colours by
            if peaks[0].colour < self.settings.colour_match:
                confirmation.clear()
            elif confirmation.check(peaks[0]) is Verdict.CONFIRMED:
                return self._reacquired(result, peaks[0])
            return dataclasses.replace(result, claimed=False)
        if plan.local:
            own = colour(result.box)
            peaks.insert(0, Peak(result.box, result.score, result.search_box, frame, own))
        self._scan_peaks += peaks
        # a rival of another colour is no look-alike (a tile's box may be too loose to judge the best by)
        rivals = [p for p in self._last_pass + self._scan_peaks if p.colour >= self.settings.colour_match]
        best = self._proposal(peaks)
        if self._schedule.cycle_done:
            self._last_pass, self._scan_peaks = self._scan_peaks, []
        if best is not None:
            rival = runner_up(best, rivals, self.settings.max_shift)
            verdict = confirmation.propose(best, rival)  # CONFIRMED here: no re-check (confirm_frames 0)
            if verdict is Verdict.CONFIRMED and best.colour >= self.settings.colour_match:
                return self._reacquired(result, best)
        return dataclasses.replace(result, claimed=False)

    def _proposal(self, peaks: List[Peak]) -> Optional[Peak]:
        """The scan peak to propose for re-checking this frame, if any (``peaks``: this frame's).

        Until a first pass has seen the whole frame, the pass's best at its end (possibly a few
        frames old), or this frame's best at once if it reaches ``early_threshold``. From then on
        every rival is known from the last pass, so this frame's best is proposed as soon as it
        reaches ``reacquire_threshold``: fresh, where the re-check finds it again."""
        fresh = max(peaks, key=lambda p: p.score, default=None)
        s = self.settings
        if self._last_pass:
            return fresh if fresh is not None and fresh.score >= s.reacquire_threshold else None
        if self._schedule.cycle_done:
            return max(self._scan_peaks, key=lambda p: p.score)
        return fresh if fresh is not None and fresh.score >= s.early_threshold else None

    # ------------------------------------------------------------------ claim bookkeeping
    def _follow(self, result: TrackResult) -> TrackResult:
        s, score = self.settings, result.score
        if self.claimed:
            if math.isfinite(score) and score >= s.lost_threshold:
                self.misses = 0
                if score >= s.reacquire_threshold:  # a confident frame: the size to search for
                    self._target_wh = (result.box[2], result.box[3])
            else:
                self.misses += 1
                if self.misses >= s.lost_frames:
                    self._lose()
        elif math.isfinite(score) and score >= s.reacquire_threshold:  # official: no global search
            self._claim(result.box)
        return dataclasses.replace(result, claimed=self.claimed)

    def _claim(self, box: Box) -> None:
        self.claimed, self.misses, self._relocating = True, 0, False
        self._target_wh = (box[2], box[3])
        self._confirmation.clear()
        self._restart_search()

    def _lose(self) -> None:
        self.claimed, self.misses, self._following, self._blank = False, 0, True, 0
        self._confirmation.clear()
        self._restart_search()

    # ------------------------------------------------------------------ re-detection
    def _restart_search(self) -> None:
        """Forget the tile schedule and every scan peak: the next lost frame starts a first pass."""
        self._schedule, self._scan_peaks, self._last_pass = None, [], []

    def _peaks(self, boxes: Sequence[Box], height: int, width: int, frame: int) -> List[Peak]:
        """The raw peaks of the last step's extra crops as image boxes, seen on search frame ``frame``."""
        step, size = self.tracker.last_step, self.tracker.search_size
        peaks = []
        for box, crop, (score, *pred) in zip(boxes, step.extra_crops, step.extra_peaks.tolist()):
            scale = size / crop.resize_factor
            mapped = map_box_back([v * scale for v in pred], box, size, crop.resize_factor)
            peaks.append(Peak(clip_box(mapped, height, width, margin=CLIP_MARGIN), score, crop.box, frame))
        return peaks

    def _reacquired(self, result: TrackResult, peak: Peak) -> TrackResult:
        self.tracker.state = peak.box
        self._claim(peak.box)
        return dataclasses.replace(
            result,
            box=peak.box,
            score=peak.score,
            claimed=True,
            search_box=peak.search_box or result.search_box,
        )


__all__ = ["LongTermSettings", "LongTermTracker"]
