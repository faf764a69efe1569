"""One-pass-evaluation (OPE) metrics as the OTB / LaSOT toolkits (and pytracking) define them.

Boxes are ``(x, y, w, h)`` in pixels, top-left corner, one row per frame. A frame counts only when
its ground truth is valid (finite, positive size, target present); a prediction that is not a
valid box on such a frame scores IoU 0 and an infinite centre error, so it fails every threshold.
Curves are computed per sequence and then averaged over sequences (each sequence weighs the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

#: IoU thresholds of the success plot: 0, 0.05, ..., 1 (21 points); AUC is the curve's mean.
OVERLAP_THRESHOLDS = np.linspace(0.0, 1.0, 21)
#: centre-error thresholds of the precision plot in pixels: 0, 1, ..., 50.
PIXEL_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
#: thresholds of the normalised precision plot (error in units of the target size): 0, 0.01, ..., 0.5.
NORMALIZED_THRESHOLDS = np.linspace(0.0, 0.5, 51)
#: the operating points reported in tables: 20 px and 0.2 target sizes (LaSOT protocol).
PRECISION_AT_PX = 20.0
NORM_PRECISION_AT = 0.2


def _as_boxes(boxes: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) of x, y, w, h boxes, got {arr.shape}")
    return arr


def valid_boxes(boxes: np.ndarray) -> np.ndarray:
    """(N,) bool: rows that are finite with positive width and height."""
    boxes = _as_boxes(boxes, "boxes")
    return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


def iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) intersection over union of paired x, y, w, h boxes; 0 where either box is invalid."""
    pred, gt = _as_boxes(pred, "pred"), _as_boxes(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt differ in length: {pred.shape[0]} vs {gt.shape[0]}")
    ok = valid_boxes(pred) & valid_boxes(gt)
    p, g = np.where(ok[:, None], pred, 1.0), np.where(ok[:, None], gt, 1.0)
    iw = np.minimum(p[:, 0] + p[:, 2], g[:, 0] + g[:, 2]) - np.maximum(p[:, 0], g[:, 0])
    ih = np.minimum(p[:, 1] + p[:, 3], g[:, 1] + g[:, 3]) - np.maximum(p[:, 1], g[:, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter
    return np.where(ok, inter / union, 0.0)


def center_error(pred: np.ndarray, gt: np.ndarray, normalized: bool = False) -> np.ndarray:
    """(N,) Euclidean distance between box centres, in pixels or (normalized) in units of the
    ground-truth width/height per axis; infinite where either box is invalid."""
    pred, gt = _as_boxes(pred, "pred"), _as_boxes(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt differ in length: {pred.shape[0]} vs {gt.shape[0]}")
    ok = valid_boxes(pred) & valid_boxes(gt)
    g = np.where(ok[:, None], gt, 1.0)
    delta = (pred[:, :2] + pred[:, 2:] / 2) - (g[:, :2] + g[:, 2:] / 2)
    if normalized:
        delta = delta / g[:, 2:]
    with np.errstate(invalid="ignore"):
        dist = np.hypot(delta[:, 0], delta[:, 1])
    return np.where(ok, dist, np.inf)


def success_curve(ious: np.ndarray, thresholds: np.ndarray = OVERLAP_THRESHOLDS) -> np.ndarray:
    """Fraction of frames whose IoU is strictly above each threshold."""
    ious = np.asarray(ious, dtype=np.float64)
    if ious.size == 0:
        return np.full(len(thresholds), np.nan)
    return (ious[:, None] > np.asarray(thresholds)[None, :]).mean(axis=0)


def precision_curve(errors: np.ndarray, thresholds: np.ndarray = PIXEL_THRESHOLDS) -> np.ndarray:
    """Fraction of frames whose centre error is at most each threshold."""
    errors = np.asarray(errors, dtype=np.float64)
    if errors.size == 0:
        return np.full(len(thresholds), np.nan)
    return (errors[:, None] <= np.asarray(thresholds)[None, :]).mean(axis=0)


@dataclass(frozen=True)
class SequenceEvaluation:
    """Per-frame errors of one tracker on one sequence, restricted to frames with valid ground truth."""

    name: str
    ious: np.ndarray
    center_errors: np.ndarray
    normalized_errors: np.ndarray
    num_frames: int
    tracking_time_s: float = float("nan")

    @property
    def success(self) -> np.ndarray:
        return success_curve(self.ious)

    @property
    def precision(self) -> np.ndarray:
        return precision_curve(self.center_errors, PIXEL_THRESHOLDS)

    @property
    def normalized_precision(self) -> np.ndarray:
        return precision_curve(self.normalized_errors, NORMALIZED_THRESHOLDS)


def evaluate_sequence(
    name: str,
    pred: np.ndarray,
    gt: np.ndarray,
    present: Optional[np.ndarray] = None,
    times: Optional[np.ndarray] = None,
) -> SequenceEvaluation:
    """Score one sequence; ``present`` marks frames where the target is visible (GOT-10k
    ``absence.label`` inverted), ``times`` the per-frame tracking time in seconds."""
    pred, gt = _as_boxes(pred, "pred"), _as_boxes(gt, "gt")
    if len(pred) != len(gt):
        raise ValueError(f"sequence {name!r}: {len(pred)} predicted boxes for {len(gt)} frames")
    keep = valid_boxes(gt)
    if present is not None:
        present = np.asarray(present, dtype=bool)
        if present.shape != (len(gt),):
            raise ValueError(f"sequence {name!r}: presence flags {present.shape} for {len(gt)} frames")
        keep &= present
    total_time = float(np.sum(times)) if times is not None and len(times) else float("nan")
    p, g = pred[keep], gt[keep]
    return SequenceEvaluation(
        name, iou(p, g), center_error(p, g), center_error(p, g, normalized=True), len(pred), total_time
    )


@dataclass(frozen=True)
class OPEScores:
    """Dataset-level OPE scores of one tracker (fractions in [0, 1], fps in frames per second)."""

    tracker: str
    auc: float
    precision: float
    normalized_precision: float
    success_50: float
    success_75: float
    fps: float
    num_sequences: int
    num_frames: int
    success_curve: np.ndarray
    precision_curve: np.ndarray
    normalized_precision_curve: np.ndarray
    sequence_auc: Tuple[Tuple[str, float], ...] = ()


def summarize(tracker: str, sequences: Sequence[SequenceEvaluation]) -> OPEScores:
    """Average the per-sequence curves over sequences and read off the reported operating points."""
    scored = [s for s in sequences if s.ious.size > 0]
    if not scored:
        raise ValueError(f"tracker {tracker!r}: no sequence has a frame with valid ground truth")
    success = np.mean([s.success for s in scored], axis=0)
    precision = np.mean([s.precision for s in scored], axis=0)
    norm_precision = np.mean([s.normalized_precision for s in scored], axis=0)
    frames = sum(s.num_frames for s in sequences)
    timed = [s for s in sequences if np.isfinite(s.tracking_time_s)]
    time_s = sum(s.tracking_time_s for s in timed)
    fps = sum(s.num_frames for s in timed) / time_s if timed and time_s > 0 else float("nan")
    px_index = int(np.argmin(np.abs(PIXEL_THRESHOLDS - PRECISION_AT_PX)))
    norm_index = int(np.argmin(np.abs(NORMALIZED_THRESHOLDS - NORM_PRECISION_AT)))
    return OPEScores(
        tracker=tracker,
        auc=float(success.mean()),
        precision=float(precision[px_index]),
        normalized_precision=float(norm_precision[norm_index]),
        success_50=float(np.mean([(s.ious > 0.5).mean() for s in scored])),
        success_75=float(np.mean([(s.ious > 0.75).mean() for s in scored])),
        fps=fps,
        num_sequences=len(sequences),
        num_frames=frames,
        success_curve=success,
        precision_curve=precision,
        normalized_precision_curve=norm_precision,
        sequence_auc=tuple((s.name, float(s.success.mean())) for s in scored),
    )
