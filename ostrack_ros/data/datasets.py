"""Dataset readers: the GOT-10k directory layout and a generic "frames + groundtruth.txt" folder.

GOT-10k: ``root/list.txt`` (optional) naming sequence folders, each with numbered frames,
``groundtruth.txt`` and optionally ``absence.label`` (1 = target absent) and ``cover.label``
(0 = fully occluded .. 8 = fully visible). A frame is visible when it is not absent, not fully
covered and its box is valid, as in the official training reader. A generic folder is one
sequence folder on its own, or a folder of them without ``list.txt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Union

import numpy as np

from .annotations import read_boxes, read_flags
from .sequence import Sequence, valid_boxes

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def read_sequence(folder: Union[str, Path]) -> Sequence:
    """One sequence folder: frames sorted by name, ``groundtruth.txt``, optional GOT-10k labels."""
    folder = Path(folder)
    gt_path = folder / "groundtruth.txt"
    if not gt_path.is_file():
        raise FileNotFoundError(f"{folder}: no groundtruth.txt")
    image_dir = folder / "img" if (folder / "img").is_dir() else folder
    frames = sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not frames:
        raise FileNotFoundError(f"{folder}: no image frames ({', '.join(IMAGE_SUFFIXES)})")
    boxes = read_boxes(gt_path)
    if len(boxes) != len(frames):
        raise ValueError(f"{folder}: {len(frames)} frames but {len(boxes)} boxes in groundtruth.txt")
    visible = valid_boxes(boxes)
    attributes = {}
    if (folder / "absence.label").is_file():
        attributes["absence"] = read_flags(folder / "absence.label", len(frames))
        visible &= attributes["absence"] == 0
    if (folder / "cover.label").is_file():
        attributes["cover"] = read_flags(folder / "cover.label", len(frames))
        visible &= attributes["cover"] > 0
    return Sequence(folder.name, frames, boxes, visible, attributes)


def sequence_folders(root: Union[str, Path]) -> List[Path]:
    """Sequence folders under ``root``: those named in ``list.txt``, else every child with a groundtruth."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder '{root}' does not exist")
    if (root / "groundtruth.txt").is_file():
        return [root]
    listing = root / "list.txt"
    if listing.is_file():
        names = [n for n in listing.read_text().split() if n]
        missing = [n for n in names if not (root / n).is_dir()]
        if missing:
            raise FileNotFoundError(f"{listing}: sequence folders missing: {', '.join(missing[:5])}")
        return [root / n for n in names]
    folders = sorted(p for p in root.iterdir() if (p / "groundtruth.txt").is_file())
    if not folders:
        raise FileNotFoundError(f"'{root}' holds no sequence (no list.txt, no */groundtruth.txt)")
    return folders


def read_dataset(root: Union[str, Path]) -> List[Sequence]:
    """All sequences of a GOT-10k-layout dataset or a generic sequence folder."""
    return [read_sequence(folder) for folder in sequence_folders(root)]


def visible_fraction(sequences: List[Sequence]) -> float:
    """Share of visible frames over all sequences (a quick sanity figure for logs)."""
    total = sum(len(s) for s in sequences)
    return float(np.sum([s.visible.sum() for s in sequences]) / max(total, 1))
