"""Summary table (stdout) and machine-readable summary (JSON) of OPE scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .long_term import MIN_ABSENCE, QUICK_REACQUISITION, LongTermScores
from .metrics import OPEScores

_COLUMNS = (
    ("Tracker", "{:<20}"),
    ("Seqs", "{:>5}"),
    ("Frames", "{:>7}"),
    ("AUC", "{:>6}"),
    ("P@20px", "{:>7}"),
    ("NormP@.2", "{:>8}"),
    ("SR@.5", "{:>6}"),
    ("SR@.75", "{:>6}"),
    ("FPS", "{:>7}"),
)


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"  # NaN-safe


def _num(value: float):
    """JSON has no NaN or infinity: those become null."""
    return value if value == value and abs(value) != float("inf") else None


def format_table(scores: Sequence[OPEScores]) -> str:
    """Fixed-width table, one row per tracker; the last line is ``AUC <value>`` of the first one."""
    header = " ".join(fmt.format(name) for name, fmt in _COLUMNS)
    lines = [header, "-" * len(header)]
    for s in scores:
        cells = (
            s.tracker[:20],
            s.num_sequences,
            s.num_frames,
            _fmt(s.auc),
            _fmt(s.precision),
            _fmt(s.normalized_precision),
            _fmt(s.success_50),
            _fmt(s.success_75),
            _fmt(s.fps, 1),
        )
        lines.append(" ".join(fmt.format(c) for (_, fmt), c in zip(_COLUMNS, cells)))
    lines.append(f"AUC {scores[0].auc:.4f}")
    return "\n".join(lines)


_LT_COLUMNS = (
    ("Tracker", "{:<20}"),
    ("Re-entries", "{:>10}"),
    ("SR@.5 after", "{:>11}"),
    (f"Reacq<={QUICK_REACQUISITION}", "{:>9}"),
    ("Delay", "{:>6}"),
    ("False claims", "{:>15}"),
)


def format_long_term_table(scores: Sequence[LongTermScores]) -> str:
    """Long-term table: success after re-entry, re-acquisition, false claims on absent frames."""
    header = " ".join(fmt.format(name) for name, fmt in _LT_COLUMNS)
    lines = [header, "-" * len(header)]
    for s in scores:
        claims = f"{s.false_claims}/{s.absent_frames} ({_fmt(s.false_claim_rate, 2)})"
        cells = (
            s.tracker[:20],
            s.reentries,
            _fmt(s.success_after_reentry),
            _fmt(s.reacquired_quickly),
            _fmt(s.median_delay, 1),
            claims,
        )
        lines.append(" ".join(fmt.format(c) for (_, fmt), c in zip(_LT_COLUMNS, cells)))
    return "\n".join(lines)


def write_summary(
    scores: Sequence[OPEScores], path: Path, dataset: str, long_term: Sequence[LongTermScores] = ()
) -> Path:
    """``summary.json``: every tracker's scores and curves (and long-term scores), for scripts and
    later comparison."""
    payload = {
        "dataset": dataset,
        "protocol": "OPE; success AUC over IoU thresholds 0:0.05:1 (IoU > t), precision at 20 px, "
        "normalized precision at 0.2, curves averaged over sequences",
        "trackers": [
            {
                "name": s.tracker,
                "auc": s.auc,
                "precision_20px": s.precision,
                "normalized_precision_0.2": s.normalized_precision,
                "success_0.5": s.success_50,
                "success_0.75": s.success_75,
                "fps": None if s.fps != s.fps else s.fps,
                "sequences": s.num_sequences,
                "frames": s.num_frames,
                "success_curve": s.success_curve.tolist(),
                "precision_curve": s.precision_curve.tolist(),
                "normalized_precision_curve": s.normalized_precision_curve.tolist(),
                "sequence_auc": dict(s.sequence_auc),
            }
            for s in scores
        ],
    }
    if long_term:
        payload["long_term_protocol"] = (
            f"re-entry = first present frame after >= {MIN_ABSENCE} absent frames; success = claimed "
            "(confidence > 0) and IoU > 0.5; delay = frames from re-entry to the first success; "
            "false claim = claimed frame with the target absent"
        )
        payload["long_term"] = [
            {
                "name": s.tracker,
                "reentries": s.reentries,
                "success_after_reentry": _num(s.success_after_reentry),
                f"reacquired_within_{QUICK_REACQUISITION}": _num(s.reacquired_quickly),
                "median_delay": _num(s.median_delay),
                "false_claims": s.false_claims,
                "absent_frames": s.absent_frames,
                "false_claim_rate": _num(s.false_claim_rate),
            }
            for s in long_term
        ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2))
    return path
