"""Tracking results in the standard per-sequence text format (pytracking / OSTrack layout).

``<dir>/<seq>.txt`` holds one ``x,y,w,h`` box per frame (the first is the initial box),
``<dir>/<seq>_time.txt`` the seconds each frame took and ``<dir>/<seq>_confidence.txt`` the
tracker's per-frame confidence (VOT-LT / GOT-10k convention; 0 = no target claimed). Readers
also accept tab/space separators and the GOT-10k submission layout ``<dir>/<seq>/<seq>_001.txt``,
so results of other toolkits compare.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

PathLike = Union[str, Path]


def read_box_file(path: PathLike) -> np.ndarray:
    """(N, 4) float64 boxes from a text file with one comma/tab/space separated box per line."""
    path = Path(path)
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        fields = [f for f in re.split(r"[,\s]+", line) if f]
        if len(fields) < 4:
            raise ValueError(f"{path}:{lineno}: expected x,y,w,h, got {line!r}")
        try:
            rows.append([float(v) for v in fields[:4]])
        except ValueError:
            raise ValueError(f"{path}:{lineno}: not a number in {line!r}") from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def write_results(
    out_dir: PathLike,
    name: str,
    boxes: np.ndarray,
    times: Optional[np.ndarray] = None,
    confidence: Optional[np.ndarray] = None,
) -> Path:
    """Write ``<name>.txt`` (and ``<name>_time.txt`` / ``<name>_confidence.txt`` when given);
    returns the box file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    box_path = out_dir / f"{name}.txt"
    np.savetxt(box_path, np.asarray(boxes, dtype=np.float64).reshape(-1, 4), fmt="%.4f", delimiter=",")
    if times is not None:
        np.savetxt(out_dir / f"{name}_time.txt", np.asarray(times, dtype=np.float64), fmt="%.6f")
    if confidence is not None:
        np.savetxt(out_dir / f"{name}_confidence.txt", np.asarray(confidence, dtype=np.float64), fmt="%.6f")
    return box_path


def read_confidence(results_dir: PathLike, name: str) -> Optional[np.ndarray]:
    """Per-frame confidence of sequence ``name`` (either layout), or None when there is none."""
    results_dir = Path(results_dir)
    for path in (results_dir / f"{name}_confidence.txt", results_dir / name / f"{name}_confidence.txt"):
        if path.is_file():
            return np.loadtxt(path, dtype=np.float64, ndmin=1)
    return None


def read_results(results_dir: PathLike, name: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """(boxes, times or None) of sequence ``name`` in either supported layout."""
    results_dir = Path(results_dir)
    for box_path, time_path in (
        (results_dir / f"{name}.txt", results_dir / f"{name}_time.txt"),
        (results_dir / name / f"{name}_001.txt", results_dir / name / f"{name}_time.txt"),
    ):
        if box_path.is_file():
            times = np.loadtxt(time_path, dtype=np.float64, ndmin=1) if time_path.is_file() else None
            return read_box_file(box_path), times
    raise FileNotFoundError(
        f"no results for sequence {name!r} in {results_dir} (looked for {name}.txt and {name}/{name}_001.txt)"
    )
