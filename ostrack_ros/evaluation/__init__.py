"""One-pass evaluation (OPE) of single-object trackers: metrics, results files, plots, ``ostrack-eval``."""

from .metrics import (
    NORMALIZED_THRESHOLDS,
    OVERLAP_THRESHOLDS,
    PIXEL_THRESHOLDS,
    OPEScores,
    SequenceEvaluation,
    center_error,
    evaluate_sequence,
    iou,
    precision_curve,
    success_curve,
    summarize,
)
from .results_io import read_box_file, read_results, write_results

__all__ = [
    "NORMALIZED_THRESHOLDS",
    "OVERLAP_THRESHOLDS",
    "PIXEL_THRESHOLDS",
    "OPEScores",
    "SequenceEvaluation",
    "center_error",
    "evaluate_sequence",
    "iou",
    "precision_curve",
    "success_curve",
    "summarize",
    "read_box_file",
    "read_results",
    "write_results",
]
