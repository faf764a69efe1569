"""Reading and writing the plain-text annotation files of the GOT-10k layout."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence as Seq

import numpy as np


def read_boxes(path: Path) -> np.ndarray:
    """``groundtruth.txt`` as (N, 4) float64: one x,y,w,h per line, comma, tab or space separated."""
    rows = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace(",", " ").replace("\t", " ").split()
        if len(parts) != 4:
            raise ValueError(f"{path}:{lineno}: expected 4 numbers x,y,w,h, got {line!r}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise ValueError(f"{path}:{lineno}: not a number in {line!r}") from None
    if not rows:
        raise ValueError(f"{path}: no boxes")
    return np.asarray(rows, dtype=np.float64)


def read_flags(path: Path, length: int) -> np.ndarray:
    """A one-integer-per-line label file (``absence.label``, ``cover.label``) as (length,) int64."""
    values = np.asarray([int(float(v)) for v in Path(path).read_text().split()], dtype=np.int64)
    if len(values) != length:
        raise ValueError(f"{path}: {len(values)} labels for {length} frames")
    return values


def write_boxes(path: Path, boxes: np.ndarray) -> None:
    """Write (N, 4) x,y,w,h boxes as GOT-10k ``groundtruth.txt`` (comma separated, 4 decimals)."""
    lines = [",".join(f"{v:.4f}" for v in box) for box in np.asarray(boxes, dtype=np.float64)]
    Path(path).write_text("\n".join(lines) + "\n")


def write_flags(path: Path, values: Seq[int]) -> None:
    """Write one integer per line."""
    Path(path).write_text("\n".join(str(int(v)) for v in values) + "\n")
