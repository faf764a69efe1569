#!/usr/bin/env python3
"""Build the real-clip evaluation set (OpenCV's box.mp4 and cup.mp4) that ``ostrack-eval`` reads.

Maintainer tool, not part of the package. ``python tools/real_clips.py --out build/real_clips``
fetches Debian's ``opencv-doc`` (``apt-get download`` into ``--cache``, never into the repository),
decodes its two hand-held clips (640x480) and writes one GOT-10k sequence folder per clip: frames,
``groundtruth.txt`` and ``absence.label``. Every ``KEYFRAME_STEP``-th frame (frame 0 included: the
tracker's init) is boxed by a fixed colour rule (``CLIPS``: the yellow box; the dark bottle as the
union of the dark parts the hand splits, near the previous keyframe's box); every other frame is
marked absent, so it is tracked but not scored. ``contact_sheet.jpg`` shows every keyframe with its
box for an eye check, ``sources.txt`` the package, version, licence, files and rules.

``--score EVAL_OUT`` prints, per tracker and clip, the keyframes hit (centre inside the ground
truth and IoU >= 0.5) and the mean IoU over the keyframes after the init, from ``ostrack-eval``'s
``results/`` folders.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the working tree, not an installed copy

from ostrack_ros.data.annotations import write_boxes, write_flags  # noqa: E402
from ostrack_ros.data.datasets import read_dataset  # noqa: E402
from ostrack_ros.data.photo_sources import fetch_debian_package  # noqa: E402
from ostrack_ros.evaluation.metrics import iou  # noqa: E402
from ostrack_ros.evaluation.results_io import read_results  # noqa: E402

PACKAGE = "opencv-doc"
LICENCE = "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)"
VIDEO_FOLDER = "usr/share/doc/opencv-doc/opencv4/html"
KEYFRAME_STEP = 10
JPEG_QUALITY = 95
HIT_IOU = 0.5

Box = Tuple[int, int, int, int]


@dataclass(frozen=True)
class ColourRule:
    """Which pixels belong to the target: HSV ranges (OpenCV scale: H 0-179, S and V 0-255, both
    ends included) and a ceiling on the absolute chroma max(R,G,B) - min(R,G,B), which tells grey
    from skin in the shadows where saturation is noise; then how the parts are joined."""

    hue: Tuple[int, int] = (0, 179)
    saturation: Tuple[int, int] = (0, 255)
    value: Tuple[int, int] = (0, 255)
    max_chroma: int = 255
    min_part: int = 150  # pixels: smaller connected parts are noise
    close: int = 5  # side of the square that closes gaps inside a part before parts are labelled
    search: float = 0.5  # the seed meets the last keyframe's box grown by this share of its size
    gap: int = 30  # pixels: parts this close to the box so far join it (a finger's width at 640x480)


@dataclass(frozen=True)
class Clip:
    """One video of the package, the rule that boxes its target, and keyframes dropped after the eye check."""

    name: str
    target: str
    rule: ColourRule
    dropped: Tuple[Tuple[int, str], ...] = ()  # (frame, why): marked absent, not scored


CLIPS = (
    Clip(
        "box",
        "a textured yellow box moved by hand",
        # the box's yellow sides and border (H 19-24 measured); skin stays below hue 17
        ColourRule(hue=(18, 35), saturation=(110, 255), value=(120, 255)),
    ),
    Clip(
        "cup",
        "a dark bottle held in a hand",
        # the near-black, grey bottle; the hand's shaded underside is as dark but coloured (chroma 25-50)
        ColourRule(value=(0, 100), max_chroma=15),
    ),
)


def colour_mask(image_bgr: np.ndarray, rule: ColourRule) -> np.ndarray:
    """uint8 mask (255 = target colour) of a BGR image: the HSV ranges and the chroma ceiling, then
    a 3x3 opening (speckle) and a ``rule.close`` closing (gaps within a part)."""
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    lower = (rule.hue[0], rule.saturation[0], rule.value[0])
    upper = (rule.hue[1], rule.saturation[1], rule.value[1])
    mask = cv2.inRange(hsv, lower, upper)
    if rule.max_chroma < 255:
        chroma = image_bgr.max(axis=2).astype(np.int16) - image_bgr.min(axis=2)
        mask[chroma > rule.max_chroma] = 0
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    if rule.close > 1:
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((rule.close, rule.close), np.uint8))
    return mask


def _grow(box: Box, dx: int, dy: int) -> Box:
    return (box[0] - dx, box[1] - dy, box[2] + 2 * dx, box[3] + 2 * dy)


def _meets(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _union(a: Box, b: Box) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    return (x0, y0, max(a[0] + a[2], b[0] + b[2]) - x0, max(a[1] + a[3], b[1] + b[3]) - y0)


def segment_box(image_bgr: np.ndarray, rule: ColourRule, previous: Optional[Box] = None) -> Optional[Box]:
    """x, y, w, h in pixels (w and h count the pixels covered) of the target's parts, or None if none.

    Parts are connected regions of the colour mask of at least ``rule.min_part`` pixels. The seed is
    the largest part that meets ``previous`` (the last keyframe's box) grown by ``rule.search`` of
    its size on each side, or the largest part of all without ``previous``; parts within
    ``rule.gap`` pixels of the box grown so far join it, until none is left (the parts of the bottle
    that the fingers split, not the darker folds of the hand beyond them)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(colour_mask(image_bgr, rule), connectivity=8)
    ranked = sorted((i for i in range(1, count) if stats[i, 4] >= rule.min_part), key=lambda i: -stats[i, 4])
    parts = [tuple(int(v) for v in stats[i, :4]) for i in ranked]
    if previous is not None:
        region = _grow(previous, int(round(previous[2] * rule.search)), int(round(previous[3] * rule.search)))
        seeds = [p for p in parts if _meets(p, region)]
    else:
        seeds = parts
    if not seeds:
        return None
    box, rest = seeds[0], [p for p in parts if p != seeds[0]]
    joined = True
    while joined:
        near = [p for p in rest if _meets(p, _grow(box, rule.gap, rule.gap))]
        for part in near:
            box = _union(box, part)
        rest = [p for p in rest if p not in near]
        joined = bool(near)
    return box


def decode_gz_video(path: Path, work: Path) -> List[np.ndarray]:
    """All frames (BGR) of a gzip-compressed video, unpacked next to ``work`` for OpenCV's reader."""
    video = work / path.name[: -len(".gz")]
    with gzip.open(path, "rb") as src, open(video, "wb") as dst:
        shutil.copyfileobj(src, dst)
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise RuntimeError(f"{video}: OpenCV decoded no frame (is its video backend missing?)")
    return frames


def annotate(clip: Clip, frames: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """(boxes, absence, notes): a box on every keyframe the rule finds, absent elsewhere."""
    boxes = np.zeros((len(frames), 4), np.float64)
    absence = np.ones(len(frames), np.int64)
    dropped = dict(clip.dropped)
    notes = [f"keyframe {k} dropped (absent): {why}" for k, why in clip.dropped]
    previous: Optional[Box] = None
    for k in range(0, len(frames), KEYFRAME_STEP):
        box = None if k in dropped else segment_box(frames[k], clip.rule, previous)
        if k == 0 and box is None:
            raise RuntimeError(f"{clip.name}: no box in frame 0 (the init); the colour rule does not fit")
        if box is None and k not in dropped:
            notes.append(f"keyframe {k}: the colour rule found nothing (absent)")
            print(f"warning: {clip.name} keyframe {k}: the colour rule found nothing; marked absent")
        if box is not None:
            previous = box
            boxes[k], absence[k] = box, 0
    return boxes, absence, notes


def write_clip(folder: Path, frames: Sequence[np.ndarray], boxes: np.ndarray, absence: np.ndarray) -> None:
    """Frames ``00000001.jpg``... , ``groundtruth.txt`` and ``absence.label`` (GOT-10k layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames, start=1):
        if not cv2.imwrite(str(folder / f"{i:08d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"cannot write frame {i} into {folder}")
    write_boxes(folder / "groundtruth.txt", boxes)
    write_flags(folder / "absence.label", absence)


def contact_sheet(
    tiles: Sequence[Tuple[str, np.ndarray, Optional[np.ndarray]]], columns: int = 8
) -> np.ndarray:
    """Keyframes at half size in a grid, each labelled, its box drawn (green; red label if absent)."""
    cells = []
    for label, frame, box in tiles:
        tile = _half_size(frame)
        if box is not None:
            x, y, w, h = (np.asarray(box) / 2).round().astype(int)
            cv2.rectangle(tile, (x, y), (x + w, y + h), (0, 255, 0), 2)
        _label(tile, label, (6, 22), 0.7, (0, 255, 255) if box is not None else (0, 0, 255))
        cells.append(tile)
    blank = np.zeros_like(cells[0])
    cells += [blank] * (-len(cells) % columns)
    rows = [np.hstack(cells[i : i + columns]) for i in range(0, len(cells), columns)]
    return np.vstack(rows)


def _half_size(frame: np.ndarray) -> np.ndarray:
    return cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2), interpolation=cv2.INTER_AREA)


def _label(image: np.ndarray, text: str, origin: Tuple[int, int], scale: float, colour) -> None:
    """``text`` in ``colour`` with a black outline, readable on any frame."""
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 2)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path, cache: Path) -> None:
    """Fetch, decode, annotate and write both clips, ``list.txt``, ``sources.txt`` and the contact sheet."""
    root, version = fetch_debian_package(PACKAGE, cache)
    work = cache / "videos"
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"package: Debian {PACKAGE} {version}",
        f"licence: {LICENCE}",
        f"annotation: every {KEYFRAME_STEP}th frame from 0 boxed by a fixed colour rule "
        "(tools/real_clips.py CLIPS), checked by eye on contact_sheet.jpg; other frames absent",
    ]
    tiles = []
    for clip in CLIPS:
        source = root / VIDEO_FOLDER / f"{clip.name}.mp4.gz"
        frames = decode_gz_video(source, work)
        boxes, absence, notes = annotate(clip, frames)
        write_clip(out / clip.name, frames, boxes, absence)
        keyframes = range(0, len(frames), KEYFRAME_STEP)
        tiles += [(f"{clip.name} {k}", frames[k], None if absence[k] else boxes[k]) for k in keyframes]
        counts = f"{len(frames)} frames, {int((absence == 0).sum())} of {len(keyframes)} keyframes boxed"
        lines += [
            f"{clip.name}: /{VIDEO_FOLDER}/{source.name} (sha256 {_sha256(source)}), {clip.target}, "
            f"{frames[0].shape[1]}x{frames[0].shape[0]}, {counts}; rule {clip.rule}",
            *(f"  {note}" for note in notes),
        ]
        print(f"{clip.name}: {counts}")
    (out / "list.txt").write_text("".join(f"{clip.name}\n" for clip in CLIPS))
    (out / "sources.txt").write_text("\n".join(lines) + "\n")
    if not cv2.imwrite(str(out / "contact_sheet.jpg"), contact_sheet(tiles), [cv2.IMWRITE_JPEG_QUALITY, 85]):
        raise OSError(f"cannot write {out / 'contact_sheet.jpg'}")
    print(f"wrote {out} (sources.txt, contact_sheet.jpg)")


def keyframe_scores(dataset: Path, eval_out: Path) -> Dict[str, Dict[str, Tuple[int, int, float]]]:
    """tracker -> clip -> (hits, keyframes, mean IoU) over the scored keyframes after the init."""
    sequences = read_dataset(dataset)
    scores: Dict[str, Dict[str, Tuple[int, int, float]]] = {}
    for results in _tracker_folders(eval_out):
        for seq in sequences:
            pred, _ = read_results(results, seq.name)
            keep = seq.visible.copy()
            keep[0] = False
            gt, p = seq.boxes[keep], pred[keep]
            overlap = iou(p, gt)
            centre = p[:, :2] + p[:, 2:] / 2
            inside = np.all((centre >= gt[:, :2]) & (centre <= gt[:, :2] + gt[:, 2:]), axis=1)
            hits = int(np.sum(inside & (overlap >= HIT_IOU)))
            scores.setdefault(results.name, {})[seq.name] = (hits, int(keep.sum()), float(overlap.mean()))
    return scores


def _tracker_folders(eval_out: Path) -> List[Path]:
    """The per-tracker results folders of an ``ostrack-eval`` run, sorted; an error when there are none."""
    folders = sorted(p for p in (eval_out / "results").iterdir() if p.is_dir())
    if not folders:
        raise FileNotFoundError(f"{eval_out}/results holds no tracker folder (run ostrack-eval first)")
    return folders


TRACKER_COLOURS = ((0, 0, 255), (255, 128, 0), (0, 200, 0), (255, 0, 255), (0, 255, 255))  # BGR


def figure(dataset: Path, eval_out: Path, per_clip: int = 4) -> np.ndarray:
    """``per_clip`` evenly spaced scored keyframes of every clip: ground truth white, each tracker
    of the run in its own colour, with a legend row."""
    trackers = _tracker_folders(eval_out)
    colours = [TRACKER_COLOURS[i % len(TRACKER_COLOURS)] for i in range(len(trackers))]
    rows = []
    for seq in read_dataset(dataset):
        scored = np.flatnonzero(seq.visible)[1:]
        picks = scored[np.linspace(0, len(scored) - 1, per_clip).round().astype(int)]
        preds = [read_results(t, seq.name)[0] for t in trackers]
        tiles = []
        for k in picks:
            tile = cv2.imread(str(seq.frames[k]))
            for box, colour in [(seq.boxes[k], (255, 255, 255))] + [
                (p[k], c) for p, c in zip(preds, colours)
            ]:
                x, y, w, h = np.asarray(box).round().astype(int)
                cv2.rectangle(tile, (x, y), (x + w, y + h), colour, 2)
            _label(tile, f"{seq.name} {k}", (8, 26), 0.8, (255, 255, 255))
            tiles.append(_half_size(tile))
        rows.append(np.hstack(tiles))
    legend = np.zeros((32, rows[0].shape[1], 3), np.uint8)
    labels = [("ground truth", (255, 255, 255))] + [(t.name, c) for t, c in zip(trackers, colours)]
    x = 8
    for text, colour in labels:
        cv2.putText(legend, text, (x, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
        x += 16 + cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)[0][0]
    return np.vstack([legend, *rows])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/real_clips"), help="dataset folder")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("build/real_clips_cache"),
        help="the .deb, its unpacked tree, videos",
    )
    parser.add_argument(
        "--score", type=Path, metavar="EVAL_OUT", help="print keyframe hits of an ostrack-eval run"
    )
    parser.add_argument(
        "--figure", type=Path, metavar="IMAGE", help="with --score: draw keyframes with every tracker's box"
    )
    args = parser.parse_args(argv)
    if args.figure is not None and args.score is None:
        parser.error("--figure needs --score EVAL_OUT (the run whose boxes it draws)")
    try:
        if args.score is None:
            build(args.out, args.cache)
            return 0
        for tracker, clips in keyframe_scores(args.out, args.score).items():
            cells = [f"{c} {h}/{n} hits, mean IoU {m:.2f}" for c, (h, n, m) in clips.items()]
            print(f"{tracker:<20} " + "; ".join(cells))
        if args.figure is not None:
            if not cv2.imwrite(
                str(args.figure), figure(args.out, args.score), [cv2.IMWRITE_JPEG_QUALITY, 85]
            ):
                raise OSError(f"cannot write {args.figure}")
            print(f"wrote {args.figure}")
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"real_clips: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
