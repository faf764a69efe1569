"""The box blow-up probe of issue 14: does the box keep the target's size on grey, low-texture scenes?

A 40 px elliptical cut-out of one scikit-image photograph moves across a 320x240 crop of another
for 40 frames at constant size; the tracker starts on the true box. Printed per scene: the box size
over the true size (mean of the width and height ratios) on the last frame and the largest on any
frame, and the IoU on the last frame. The scenes pair grey targets with grey backgrounds (where
earlier demo models blew the box up to 6-7x), colour pairs, and the colour pairs made grey.

    .venv/bin/python benchmarks/scale_probe.py [--weights W --config C] [--compare W2 ...] [--anchors csrt]

``--anchors`` adds OpenCV's trackers on the same scenes (CSRT and KCF need opencv-contrib).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the working tree, not an installed copy
os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ostrack_ros.assets import demo_model_paths  # noqa: E402
from ostrack_ros.evaluation.anchors import OpenCVTracker, parse_anchor_names  # noqa: E402
from ostrack_ros.evaluation.metrics import iou  # noqa: E402
from ostrack_ros.tracking.model_choice import choose_model, load_tracker  # noqa: E402

SIZE, FRAMES, WIDTH, HEIGHT = 40, 40, 320, 240
# (target photograph, background photograph, made grey): grey on grey first, then colour pairs
SCENES = (
    ("moon", "camera", False),
    ("gravel", "camera", False),
    ("page", "grass", False),
    ("grass", "camera", False),
    ("brick", "grass", False),
    ("coffee", "astronaut", False),
    ("chelsea", "rocket", False),
    ("coffee", "astronaut", True),
    ("chelsea", "rocket", True),
)


def _photo(name: str) -> np.ndarray:
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3]).astype(np.uint8)


def render(target: str, background: str, grey: bool):
    """40 RGB frames and their true boxes: the cut-out moving diagonally over the background."""
    back = cv2.resize(_photo(background), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    src = _photo(target)
    h, w = src.shape[:2]
    side = min(h, w) // 2
    patch = cv2.resize(
        src[h // 2 - side // 2 : h // 2 + side // 2, w // 2 - side // 2 : w // 2 + side // 2], (SIZE, SIZE)
    )
    mask = np.zeros((SIZE, SIZE), np.float32)
    cv2.ellipse(mask, (SIZE // 2, SIZE // 2), (SIZE // 2 - 1, SIZE // 2 - 1), 0, 0, 360, 1.0, -1)
    frames, boxes = [], []
    for i in range(FRAMES):
        x = int(40 + (WIDTH - 120) * i / (FRAMES - 1))
        y = int(40 + (HEIGHT - 120) * i / (FRAMES - 1))
        frame = back.copy().astype(np.float32)
        region = frame[y : y + SIZE, x : x + SIZE]
        region[:] = region * (1 - mask[..., None]) + patch * mask[..., None]
        frame = frame.astype(np.uint8)
        if grey:
            frame = np.repeat(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=-1)
        frames.append(frame)
        boxes.append((x, y, SIZE, SIZE))
    return frames, np.asarray(boxes, np.float64)


def probe(tracker, frames, boxes):
    tracker.initialize(frames[0], tuple(boxes[0]))
    ratios, last = [], None
    for frame, truth in zip(frames[1:], boxes[1:]):
        last = np.asarray(tracker.track(frame).box)
        ratios.append((last[2] / truth[2] + last[3] / truth[3]) / 2)
    return ratios[-1], max(ratios), float(iou(last[None], boxes[-1][None])[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="default: the embedded demo model's")
    parser.add_argument("--weights", help="default: the embedded demo model")
    parser.add_argument("--compare", nargs="*", default=[], help="more weights (same config), side by side")
    parser.add_argument("--anchors", default="", help="also OpenCV trackers, e.g. csrt,kcf,mil")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    runs = [args.weights, *args.compare]
    config = args.config or str(demo_model_paths()[0])  # default: the demo model's network
    makers = [lambda w=w: load_tracker(choose_model(config, w, "cpu", "fp32")) for w in runs]
    names = [Path(w).name if w else "embedded" for w in runs]
    for anchor in parse_anchor_names(args.anchors) if args.anchors else []:
        makers.append(lambda a=anchor: OpenCVTracker(a))  # one fresh tracker per scene
        names.append(f"opencv_{anchor}")
    print("box size / true size on the last frame (largest on any frame), IoU on the last frame")
    print(f"{'scene':<28}" + "".join(f"{n[:26]:>28}" for n in names))
    for target, background, grey in SCENES:
        frames, boxes = render(target, background, grey)
        cells = []
        for make in makers:
            final, most, last_iou = probe(make(), frames, boxes)
            cells.append(f"{final:5.2f}x ({most:4.2f}x) {last_iou:4.2f}")
        label = f"{target} on {background}" + (" (grey)" if grey else "")
        print(f"{label:<28}" + "".join(f"{c:>28}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
