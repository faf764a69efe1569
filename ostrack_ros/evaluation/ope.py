"""One-pass evaluation: initialise on the first ground-truth box, then track every later frame.

Only the tracker's own ``initialize`` / ``track`` calls are timed (frame decoding is not), as in
pytracking, so the FPS reflects the tracker and not the disk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Protocol, Tuple

import numpy as np
from tqdm import tqdm

from ..data import Sequence, load_rgb
from ..data.sequence import valid_boxes
from .results_io import write_results


class SingleObjectTracker(Protocol):
    """The pytracking-style contract of ``ostrack_ros.tracking.Tracker`` that OPE relies on."""

    def initialize(self, image: np.ndarray, box: Tuple[float, float, float, float]) -> None: ...

    def track(self, image: np.ndarray): ...


@dataclass(frozen=True)
class SequenceRun:
    """What a tracker produced on one sequence: (N, 4) boxes, (N,) scores, seconds per frame and
    confidence (the score where the tracker claims the target, else 0)."""

    name: str
    boxes: np.ndarray
    scores: np.ndarray
    times: np.ndarray
    confidence: np.ndarray


def run_sequence(tracker: SingleObjectTracker, seq: Sequence, progress: bool = False) -> SequenceRun:
    """Track one sequence from its first ground-truth box; frame 0 reports that box, score 1."""
    if not (valid_boxes(seq.boxes[:1])[0] and seq.visible[0]):
        raise ValueError(
            f"sequence {seq.name!r}: the target is not visible in the first frame, "
            f"so one-pass evaluation cannot initialise (box {seq.boxes[0].tolist()})"
        )
    init_box = tuple(float(v) for v in seq.boxes[0])
    boxes = np.zeros((len(seq), 4))
    scores = np.ones(len(seq))
    confidence = np.ones(len(seq))
    times = np.zeros(len(seq))
    frames = tqdm(seq.frames, desc=seq.name, unit="frame", leave=False, disable=not progress)
    for i, path in enumerate(frames):
        image = load_rgb(path)
        start = time.perf_counter()
        if i == 0:
            tracker.initialize(image, init_box)
            boxes[0] = init_box
        else:
            result = tracker.track(image)
            boxes[i] = result.box
            scores[i] = result.score
            confidence[i] = result.score if getattr(result, "claimed", True) else 0.0
        times[i] = time.perf_counter() - start
    return SequenceRun(seq.name, boxes, scores, times, confidence)


def run_dataset(
    tracker: SingleObjectTracker,
    sequences: Iterable[Sequence],
    results_dir: Optional[Path] = None,
    progress: bool = True,
) -> List[SequenceRun]:
    """Run OPE over all sequences, writing the per-sequence results files into ``results_dir``."""
    sequences = list(sequences)
    runs = []
    for seq in tqdm(sequences, desc="sequences", unit="seq", disable=not progress):
        run = run_sequence(tracker, seq, progress=progress)
        if results_dir is not None:
            write_results(results_dir, run.name, run.boxes, run.times, run.confidence)
        runs.append(run)
    return runs
