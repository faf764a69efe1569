"""Figures of one demo run (frames, fps, IoU against ground truth, latency) and its README still."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from ..evaluation.metrics import iou
from .inputs import DemoInput
from .supervisor import Observation


@dataclass(frozen=True)
class DemoSummary:
    """What ``make demo`` prints; latencies are image stamp -> detections arrival at the supervisor.

    Of the frames published, ``frames_lost_in_transport`` never reached the tracker (middleware),
    ``frames_skipped_by_tracker`` reached it while it was busy and were replaced by a newer one
    (newest frame wins); both come from the tracker's own /diagnostics counters (None without them)."""

    frames_published: int
    frames_processed: int
    frames_tracked: int
    fps: float
    mean_iou: Optional[float]
    iou_frames: int
    latency_p50_ms: float
    latency_p95_ms: float
    frames_received_by_tracker: Optional[int] = None
    frames_lost_in_transport: Optional[int] = None
    frames_skipped_by_tracker: Optional[int] = None
    frames_rejected_by_tracker: Optional[int] = None


def summarize_run(seen: Observation, source: DemoInput) -> DemoSummary:
    """Score the run from the first tracked frame on: every later processed frame counts, an empty
    ``detections`` (target lost) as IoU 0; frames the tracker dropped are counted, not scored. Nor is
    the marked frame scored (answered with the init box when the init reached the tracker first)."""
    index_of = {stamp: i for i, stamp in enumerate(seen.frame_stamps)}
    answered = [d for d in seen.detections if d[0] in index_of]
    first = next((k for k, d in enumerate(answered) if d[1] is not None), None)
    active = answered[first:] if first is not None else []
    tracked = sum(d[1] is not None for d in active)
    latencies = np.array([(arrival - stamp) / 1e6 for stamp, _, _, arrival in active])
    span_s = (active[-1][3] - active[0][3]) / 1e9 if len(active) > 1 else 0.0
    fps = (len(active) - 1) / span_s if span_s > 0 else float("nan")

    mean_iou, iou_frames = None, 0
    if source.ground_truth is not None and active:
        idx = np.array([index_of[d[0]] for d in active])
        keep = idx < len(source.ground_truth)
        if source.visible is not None:
            keep &= source.visible[np.minimum(idx, len(source.visible) - 1)]
        keep &= np.array([d[0] != seen.init_stamp for d in active])  # the marked frame's box is the mark
        pred = np.array([d[1] if d[1] is not None else (np.nan,) * 4 for d in active], dtype=float)
        scores = iou(pred[keep], source.ground_truth[idx[keep]])
        iou_frames = int(keep.sum())
        mean_iou = float(scores.mean()) if iou_frames else None
    pct = (lambda q: float(np.percentile(latencies, q))) if latencies.size else (lambda q: math.nan)
    counts = {
        key: int(value)
        for key, value in seen.tracker_counts.items()
        if key in ("frames_received", "frames_dropped", "frames_rejected") and value.isdigit()
    }
    received = counts.get("frames_received")
    lost = max(len(seen.frame_stamps) - received, 0) if received is not None else None
    return DemoSummary(
        len(seen.frame_stamps),
        len(answered),
        tracked,
        fps,
        mean_iou,
        iou_frames,
        pct(50),
        pct(95),
        received,
        lost,
        counts.get("frames_dropped"),
        counts.get("frames_rejected"),
    )


def save_still(
    video: Path, still: Path, positions: Sequence[float] = (1 / 6, 1 / 2, 5 / 6), max_width: int = 1440
) -> bool:
    """Write the frames at ``positions`` (fractions of the length) of ``video`` side by side as one
    PNG strip (start, middle, end of the run), scaled down to at most ``max_width`` pixels."""
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        return False
    frames = []
    ok, frame = capture.read()
    while ok:
        frames.append(frame)
        ok, frame = capture.read()
    capture.release()
    if not frames:
        return False
    picked = [frames[min(int(p * len(frames)), len(frames) - 1)] for p in positions]
    strip = cv2.hconcat(picked)
    if strip.shape[1] > max_width:
        scale = max_width / strip.shape[1]
        strip = cv2.resize(strip, (max_width, round(strip.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    still.parent.mkdir(parents=True, exist_ok=True)
    return bool(cv2.imwrite(str(still), strip))


def format_summary(s: DemoSummary, source: DemoInput, model: str, out_dir: Path) -> str:
    """The block ``make demo`` ends with."""
    if s.frames_received_by_tracker is None:
        path = (
            f"{s.frames_published - s.frames_processed} not answered (no tracker counters to say "
            "whether lost in transport or skipped by the tracker)"
        )
    else:
        path = (
            f"{s.frames_received_by_tracker} reached the tracker ({s.frames_lost_in_transport} lost in "
            f"transport), {s.frames_skipped_by_tracker} skipped by the tracker while busy, "
            f"{s.frames_rejected_by_tracker} rejected"
        )
    if s.mean_iou is not None:
        iou_line = f"{s.mean_iou:.3f} over {s.iou_frames} frames with a visible target (vs ground truth)"
    else:
        iou_line = "n/a (no ground truth for this input)" if source.ground_truth is None else "n/a"
    outputs = [out_dir / name for name in ("overlay.mp4", "detections.csv", "still.png")]
    return "\n".join(
        [
            "== ostrack_ros demo: camera -> tracker.launch.py -> recorder ==",
            f"input     {source.description}",
            f"model     {model}",
            f"frames    {s.frames_published} published, {s.frames_processed} processed, "
            f"{s.frames_tracked} with the target tracked",
            f"          {path}",
            f"fps       {s.fps:.1f} processed",
            f"mean IoU  {iou_line}",
            f"latency   p50 {s.latency_p50_ms:.1f} ms, p95 {s.latency_p95_ms:.1f} ms "
            "(image stamp -> detections received)",
            f"output    {', '.join(str(p) for p in outputs if p.is_file()) or 'none written'}",
        ]
    )


def write_summary_json(s: DemoSummary, path: Path) -> None:
    path.write_text(
        json.dumps(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(s).items()},
            indent=2,
        )
    )
