"""What the demo camera plays: a seeded synthetic sequence, or the user's own video and box."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import cv2
import numpy as np

from ..data import read_sequence
from ..data.synthetic import SyntheticConfig, render_sequence, write_sequence

Box = Tuple[float, float, float, float]

#: Seed of the demo video; the demo model is trained and evaluated on other seeds.
DEMO_SEED = 20261126


@dataclass(frozen=True)
class DemoInput:
    """A playable path (video file or frame folder), the first frame's target box, and optional
    per-frame ground truth ((N, 4) boxes, (N,) visibility) to score the run against."""

    path: Path
    init_box: Box
    description: str
    num_frames: int
    ground_truth: Optional[np.ndarray] = None
    visible: Optional[np.ndarray] = None


def parse_box(text: str) -> Box:
    """``"x,y,w,h"`` (pixels, top-left corner) -> a box with positive finite size."""
    parts = [p for p in text.replace(" ", "").split(",") if p]
    try:
        box = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"INIT must be x,y,w,h in pixels, got {text!r}") from None
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or box[2] <= 0 or box[3] <= 0:
        raise ValueError(f"INIT must be x,y,w,h with w, h > 0, got {text!r}")
    return box  # type: ignore[return-value]


def synthetic_input(
    out_dir: Path, frames: int, seed: int = DEMO_SEED, index: int = 0, size: Tuple[int, int] = (320, 240)
) -> DemoInput:
    """Render synthetic sequence ``index`` of ``seed`` into ``out_dir`` (GOT-10k layout), replacing
    the frames of an earlier run there."""
    cfg = SyntheticConfig(width=size[0], height=size[1], length=frames)
    sequence = render_sequence(cfg, seed, index)
    if sequence.absence[0]:
        raise ValueError(f"synthetic sequence {index} of seed {seed} starts without a visible target")
    if out_dir.is_dir():
        for old in out_dir.glob("*.jpg"):
            old.unlink()
    write_sequence(sequence, out_dir, cfg.jpeg_quality)
    return DemoInput(
        out_dir,
        tuple(float(v) for v in sequence.boxes[0]),
        f"synthetic sequence (seed {seed}, #{index}, {frames} frames {size[0]}x{size[1]})",
        frames,
        sequence.boxes.copy(),
        sequence.absence == 0,
    )


def user_input(video: Path, init: Optional[str]) -> DemoInput:
    """The user's video file or frame folder. A folder with ``groundtruth.txt`` (GOT-10k layout)
    brings its own first box and scores; otherwise ``init`` (x,y,w,h) is required."""
    video = Path(video).expanduser()
    if not video.exists():
        raise FileNotFoundError(f"VIDEO {video} does not exist")
    if video.is_dir() and (video / "groundtruth.txt").is_file():
        seq = read_sequence(video)
        init_box = parse_box(init) if init else tuple(float(v) for v in seq.boxes[0])
        return DemoInput(
            video,
            init_box,
            f"{video} ({len(seq)} frames, with ground truth)",
            len(seq),
            seq.boxes,
            seq.visible,
        )
    if not init:
        raise ValueError("VIDEO needs INIT=x,y,w,h: the target's box in the first frame, in pixels")
    if video.is_dir():
        count = sum(1 for p in video.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp"))
    else:
        capture = cv2.VideoCapture(str(video))
        if not capture.isOpened():
            raise ValueError(f"OpenCV cannot open {video} as a video")
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
    return DemoInput(video, parse_box(init), f"{video} ({count} frames)", count)
