"""Success, precision and normalised precision plots (PNG), several trackers per plot.

Figures are built with ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state), so
plotting needs no display and is safe inside other programs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence

from matplotlib.figure import Figure

from .metrics import (
    NORM_PRECISION_AT,
    NORMALIZED_THRESHOLDS,
    OVERLAP_THRESHOLDS,
    PIXEL_THRESHOLDS,
    PRECISION_AT_PX,
    OPEScores,
)


def _plot(
    scores: Sequence[OPEScores],
    x,
    curve_of,
    score_of,
    title: str,
    xlabel: str,
    ylabel: str,
    marker_x: Optional[float],
    path: Path,
) -> Path:
    fig = Figure(figsize=(5.5, 4.5), dpi=120)
    ax = fig.subplots()
    # Best tracker first in the legend, as the toolkits do.
    for s in sorted(scores, key=score_of, reverse=True):
        ax.plot(x, curve_of(s), linewidth=2, label=f"{s.tracker} [{score_of(s):.3f}]")
    if marker_x is not None:
        ax.axvline(marker_x, color="0.6", linestyle=":", linewidth=1)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(x[0], x[-1]), ylim=(0, 1.02))
    ax.grid(True, linestyle="--", alpha=0.5)
    # Success curves fall and precision curves rise: put the legend where the curves are not.
    ax.legend(loc="lower left" if ylabel == "Success rate" else "lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def save_plots(scores: Sequence[OPEScores], out_dir: Path, dataset: str = "") -> Dict[str, Path]:
    """Write success_plot.png, precision_plot.png and norm_precision_plot.png; returns their paths."""
    out_dir = Path(out_dir)
    suffix = f" on {dataset}" if dataset else ""
    return {
        "success": _plot(
            scores,
            OVERLAP_THRESHOLDS,
            lambda s: s.success_curve,
            lambda s: s.auc,
            f"Success plot of OPE{suffix}",
            "Overlap threshold",
            "Success rate",
            None,
            out_dir / "success_plot.png",
        ),
        "precision": _plot(
            scores,
            PIXEL_THRESHOLDS,
            lambda s: s.precision_curve,
            lambda s: s.precision,
            f"Precision plot of OPE{suffix}",
            "Location error threshold (px)",
            "Precision",
            PRECISION_AT_PX,
            out_dir / "precision_plot.png",
        ),
        "norm_precision": _plot(
            scores,
            NORMALIZED_THRESHOLDS,
            lambda s: s.normalized_precision_curve,
            lambda s: s.normalized_precision,
            f"Normalized precision plot of OPE{suffix}",
            "Normalized location error threshold",
            "Precision",
            NORM_PRECISION_AT,
            out_dir / "norm_precision_plot.png",
        ),
    }
