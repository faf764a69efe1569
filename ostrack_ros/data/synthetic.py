"""Seeded synthetic tracking sequences in the GOT-10k layout, composited from real photographs.

Each sequence pastes a textured target (a patch cut from one photograph, rectangular or
elliptical) over a panning background photograph. The target follows a smooth random trajectory
with scale change; some sequences add an occluder crossing it, an excursion out of view, and
distractors cut from the same photograph as the target. The out-of-view mode (``reentry``,
``--out-of-view``) makes every target leave the view and re-enter elsewhere (``out_of_view``).
The ground truth is the visible part of the target box clipped to the frame, with
``absence.label`` / ``cover.label`` as in GOT-10k (absent frames: box 0,0,0,0 and absence 1).

Run ``python -m ostrack_ros.data.synthetic --out DIR --sequences N --seed S``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple
from typing import Sequence as Seq

import cv2
import numpy as np

from .annotations import write_boxes, write_flags
from .compositing import alpha_blend, sprite_pixels
from .out_of_view import reentry_path
from .parallel import run_jobs
from .photos import photo_pool


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the generator; the defaults give moderately hard 320x240 sequences."""

    width: int = 320
    height: int = 240
    length: int = 100
    object_size: Tuple[float, float] = (28.0, 64.0)  # geometric-mean side of the target, px
    aspect_ratio: Tuple[float, float] = (0.5, 2.0)  # w / h
    scale_amplitude: float = 0.35  # max |log scale| swing over a sequence
    motion_amplitude: float = 0.3  # trajectory swing as a fraction of frame size
    max_frequency: float = 0.025  # fastest trajectory component, cycles/frame
    p_occlusion: float = 0.35
    p_out_of_view: float = 0.2
    max_distractors: int = 2
    camera_pan: float = 0.12  # background pan range, fraction of frame size
    noise_std: float = 3.0  # per-frame sensor noise, grey levels
    jpeg_quality: int = 90
    # Out-of-view mode (long-term tracking): every target leaves the view for ``reentry_absent``
    # frames and re-enters at least ``reentry_distance`` of the frame away (replaces the excursion).
    reentry: bool = False
    reentry_absent: Tuple[int, int] = (15, 30)
    reentry_distance: float = 0.35


@dataclass
class SyntheticSequence:
    """Rendered frames (RGB uint8) with their GOT-10k annotations."""

    frames: List[np.ndarray]
    boxes: np.ndarray  # (N, 4) x, y, w, h: visible target box clipped to the frame
    absence: np.ndarray  # (N,) 1 where the target is out of view or fully occluded
    cover: np.ndarray  # (N,) visible ratio bin, 0 (none) .. 8 (all)
    visible_fraction: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class _Sprite:
    texture: np.ndarray  # RGB float32 texture at reference size
    alpha: np.ndarray  # float32 mask in [0, 1], same size
    base_wh: Tuple[float, float]
    centers: np.ndarray  # (N, 2) trajectory
    scales: np.ndarray  # (N,)

    def box(self, t: int) -> Tuple[int, int, int, int]:
        """Integer x, y, w, h of the sprite at frame ``t`` (the pixels it covers, before clipping)."""
        w = max(2, int(round(self.base_wh[0] * self.scales[t])))
        h = max(2, int(round(self.base_wh[1] * self.scales[t])))
        x = int(round(self.centers[t, 0] - w / 2))
        y = int(round(self.centers[t, 1] - h / 2))
        return x, y, w, h


def _random_patch(rng: np.random.Generator, photo: np.ndarray, w: int, h: int) -> np.ndarray:
    """A w x h RGB patch cut at a random place and zoom from ``photo``."""
    ph, pw = photo.shape[:2]
    zoom = rng.uniform(0.5, 1.0)
    cw = max(8, min(pw, int(pw * zoom * rng.uniform(0.3, 0.6))))
    ch = max(8, min(ph, int(cw * h / w)))
    cw = min(pw, cw)
    x0 = int(rng.integers(0, pw - cw + 1))
    y0 = int(rng.integers(0, ph - ch + 1))
    return cv2.resize(photo[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_AREA)


def _tint(rng: np.random.Generator, image: np.ndarray, strength: float) -> np.ndarray:
    """Random colour gain and brightness, so grey photographs become distinct coloured textures."""
    gain = np.exp(rng.normal(0.0, strength, size=3)).astype(np.float32)
    return np.clip(image.astype(np.float32) * gain + rng.normal(0, 12 * strength), 0, 255)


def _shape_mask(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Rectangle, ellipse or rounded rectangle alpha mask with a soft one-pixel edge."""
    kind = rng.integers(0, 3)
    mask = np.zeros((h, w), np.float32)
    if kind == 0:
        mask[:] = 1.0
    elif kind == 1:
        cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2 - 1), max(1, h // 2 - 1)), 0, 0, 360, 1.0, -1)
    else:
        r = max(1, min(w, h) // 4)
        cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 1.0, -1)
        cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 1.0, -1)
        for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(mask, (cx, cy), r, 1.0, -1)
    return cv2.GaussianBlur(mask, (3, 3), 0.6) if kind else mask


def _trajectory(
    rng: np.random.Generator, cfg: SyntheticConfig, start: np.ndarray, n: int, amplitude: float
) -> np.ndarray:
    """Smooth (n, 2) path: a sum of random sinusoids per axis, anchored at ``start`` at t=0."""
    t = np.arange(n, dtype=np.float64)[:, None]
    path = np.repeat(start[None, :].astype(np.float64), n, axis=0)
    size = np.array([cfg.width, cfg.height], np.float64)
    for _ in range(2):
        freq = rng.uniform(0.2, 1.0, size=2) * cfg.max_frequency
        phase = rng.uniform(0, 2 * np.pi, size=2)
        amp = rng.uniform(0.2, 1.0, size=2) * amplitude * size / 2
        path += amp * (np.sin(2 * np.pi * freq * t + phase) - np.sin(phase))
    return path


def _excursion(
    rng: np.random.Generator, cfg: SyntheticConfig, centers: np.ndarray, half_size: np.ndarray
) -> np.ndarray:
    """Add a smooth bump that carries the target fully out of the frame and back for a while."""
    n = len(centers)
    duration = int(rng.integers(max(6, n // 8), max(8, n // 3)))
    start = int(rng.integers(n // 5, max(n // 5 + 1, n - duration - 5)))
    t = np.arange(n)
    phase = np.clip((t - start) / duration, 0, 1)
    bump = np.sin(np.pi * phase) ** 2
    bump = np.minimum(1.0, 1.6 * bump)  # plateau: a few frames fully out of view
    mid = centers[min(n - 1, start + duration // 2)]
    size = np.array([cfg.width, cfg.height], np.float64)
    # distance needed to leave through each border (left, right, top, bottom)
    needs = (
        np.array(
            [
                mid[0] + half_size[0],
                size[0] - mid[0] + half_size[0],
                mid[1] + half_size[1],
                size[1] - mid[1] + half_size[1],
            ]
        )
        + 4
    )
    side = int(np.argmin(needs))
    direction = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], np.float64)[side]
    return centers + bump[:, None] * needs[side] * direction


def _make_sprite(
    rng: np.random.Generator,
    cfg: SyntheticConfig,
    photo: np.ndarray,
    size: float,
    centers: np.ndarray,
    scale_amp: float,
) -> _Sprite:
    aspect = np.exp(rng.uniform(*np.log(cfg.aspect_ratio)))
    w, h = size * np.sqrt(aspect), size / np.sqrt(aspect)
    ref = (max(4, int(round(w * 1.5))), max(4, int(round(h * 1.5))))
    texture = _tint(rng, _random_patch(rng, photo, *ref), 0.25)
    alpha = _shape_mask(rng, *ref)
    n = len(centers)
    phase = rng.uniform(0, 2 * np.pi)
    freq = rng.uniform(0.2, 1.0) * cfg.max_frequency
    log_scale = scale_amp * (np.sin(2 * np.pi * freq * np.arange(n) + phase) - np.sin(phase))
    return _Sprite(texture, alpha, (w, h), centers, np.exp(log_scale))


def _paste(canvas: np.ndarray, sprite: _Sprite, t: int, coverage: Optional[np.ndarray] = None) -> None:
    """Alpha-blend the sprite into ``canvas`` at frame ``t``; record its alpha in ``coverage``."""
    x, y, w, h = sprite.box(t)
    pixels = sprite_pixels(canvas.shape, sprite.texture, sprite.alpha, (x, y, w, h))
    if pixels is not None:
        alpha_blend(canvas, *pixels, x, y, coverage)


def render_sequence(cfg: SyntheticConfig, seed: int, index: int = 0) -> SyntheticSequence:
    """Render sequence ``index`` of the set seeded by ``seed`` (same inputs -> same pixels)."""
    rng = np.random.default_rng([seed, index])
    photos = photo_pool()
    n, W, H = cfg.length, cfg.width, cfg.height
    bg_id, target_id, occ_id = rng.choice(len(photos), size=3, replace=False)

    # Background: a crop of a photograph larger than the frame, panned by the camera.
    pan = np.array([cfg.camera_pan * W, cfg.camera_pan * H])
    canvas_wh = (int(W + 2 * pan[0]) + 2, int(H + 2 * pan[1]) + 2)
    background = _tint(rng, _random_patch(rng, photos[bg_id], *canvas_wh), 0.15)
    pan_path = pan + _trajectory(rng, cfg, np.zeros(2), n, 0.5) * (pan / np.array([W, H]))
    pan_path = np.clip(pan_path, 0, 2 * pan).astype(int)

    # Target: starts fully inside the frame.
    size = rng.uniform(*cfg.object_size)
    margin = np.array([0.25 * W, 0.25 * H])
    start = rng.uniform(margin, np.array([W, H]) - margin)
    centers = _trajectory(rng, cfg, start, n, cfg.motion_amplitude)
    centers = np.clip(centers, [0.1 * W, 0.1 * H], [0.9 * W, 0.9 * H])
    target = _make_sprite(rng, cfg, photos[target_id], size, centers, cfg.scale_amplitude)
    if cfg.reentry:
        half = np.array(target.base_wh) * target.scales.max() / 2

        def path_from(point: np.ndarray, length: int) -> np.ndarray:
            path = _trajectory(rng, cfg, point, length, cfg.motion_amplitude)
            return np.clip(path, [0.1 * W, 0.1 * H], [0.9 * W, 0.9 * H])

        target.centers = reentry_path(
            rng, centers, path_from, half, W, H, cfg.reentry_absent, cfg.reentry_distance
        )[0]
    elif rng.random() < cfg.p_out_of_view:
        half = np.array(target.base_wh) * target.scales.max() / 2
        target.centers = _excursion(rng, cfg, centers, half)

    # Distractors from the target's own photograph (similar look), below the target.
    distractors = []
    for _ in range(int(rng.integers(0, cfg.max_distractors + 1))):
        d_start = rng.uniform(margin * 0.5, np.array([W, H]) - margin * 0.5)
        d_path = np.clip(_trajectory(rng, cfg, d_start, n, cfg.motion_amplitude), 0, [W, H])
        distractors.append(
            _make_sprite(
                rng, cfg, photos[target_id], size * rng.uniform(0.7, 1.3), d_path, cfg.scale_amplitude
            )
        )

    # Occluder: crosses the target's path during a window of frames.
    occluder = None
    if rng.random() < cfg.p_occlusion:
        t_mid = int(rng.integers(n // 4, max(n // 4 + 1, 3 * n // 4)))
        sweep = int(rng.integers(12, 30))
        through = target.centers[t_mid]
        direction = rng.choice([-1.0, 1.0])
        t = np.arange(n)
        occ_path = np.stack(
            [
                through[0] + direction * (t - t_mid) * 2.0 * size / sweep * 1.5,
                np.full(n, through[1]) + rng.normal(0, 0.1 * size),
            ],
            axis=1,
        )
        occluder = _make_sprite(rng, cfg, photos[occ_id], size * rng.uniform(1.0, 1.6), occ_path, 0.0)

    frames, boxes, fractions = [], np.zeros((n, 4)), np.zeros(n)
    for t in range(n):
        px, py = pan_path[t]
        canvas = background[py : py + H, px : px + W].copy()
        for sprite in distractors:
            _paste(canvas, sprite, t)
        mask = np.zeros((H, W), np.float32)
        _paste(canvas, target, t, mask)
        if occluder is not None:
            cover = np.zeros((H, W), np.float32)
            _paste(canvas, occluder, t, cover)
            mask *= 1.0 - cover
        x, y, w, h = target.box(t)
        full_area = float(cv2.resize(target.alpha, (w, h)).sum())
        fractions[t] = float(np.clip(mask.sum() / max(full_area, 1e-6), 0.0, 1.0))
        x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
        boxes[t] = (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else (0, 0, 0, 0)
        noisy = canvas + rng.normal(0, cfg.noise_std, size=canvas.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))

    absence = ((fractions < 0.01) | (boxes[:, 2] <= 0)).astype(np.int64)
    cover = np.where(absence == 1, 0, np.clip(np.ceil(fractions * 8), 1, 8)).astype(np.int64)
    boxes[absence == 1] = 0.0
    return SyntheticSequence(frames, boxes, absence, cover, fractions)


def write_sequence(sequence: SyntheticSequence, folder: Path, jpeg_quality: int = 90) -> None:
    """Write frames ``00000001.jpg``... and the GOT-10k annotation files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(sequence.frames, start=1):
        ok = cv2.imwrite(
            str(folder / f"{i:08d}.jpg"),
            cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality],
        )
        if not ok:
            raise OSError(f"cannot write frame {i} into {folder}")
    write_boxes(folder / "groundtruth.txt", sequence.boxes)
    write_flags(folder / "absence.label", sequence.absence)
    write_flags(folder / "cover.label", sequence.cover)


def _render_and_write(job) -> None:
    cfg, seed, index, folder = job
    write_sequence(render_sequence(cfg, seed, index), folder, cfg.jpeg_quality)


def generate_dataset(
    out_dir: Path,
    num_sequences: int,
    seed: int,
    cfg: Optional[SyntheticConfig] = None,
    progress: bool = True,
    workers: int = 1,
) -> List[Path]:
    """Write ``num_sequences`` sequences plus ``list.txt`` under ``out_dir`` (``workers`` processes);
    returns their folders. The pixels depend only on ``(cfg, seed, index)``, not on ``workers``."""
    cfg = cfg or SyntheticConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [f"synthetic_{seed}_{i:04d}" for i in range(num_sequences)]
    jobs = [(cfg, seed, i, out_dir / name) for i, name in enumerate(names)]
    run_jobs(_render_and_write, jobs, f"synthetic seed {seed}", workers, progress)
    (out_dir / "list.txt").write_text("\n".join(names) + "\n")
    return [out_dir / n for n in names]


def main(argv: Optional[Seq[str]] = None) -> int:
    """CLI: write a synthetic GOT-10k-layout dataset."""
    parser = argparse.ArgumentParser(
        prog="python -m ostrack_ros.data.synthetic", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", required=True, type=Path, help="output dataset folder")
    parser.add_argument("--sequences", type=int, default=20, help="number of sequences")
    parser.add_argument("--length", type=int, default=SyntheticConfig.length, help="frames per sequence")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the whole set")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes")
    parser.add_argument(
        "--out-of-view",
        action="store_true",
        help="long-term mode: every target leaves the view for 15-30 frames and "
        "re-enters at least 35 %% of the frame away",
    )
    parser.add_argument(
        "--size", default=f"{SyntheticConfig.width}x{SyntheticConfig.height}", help="frame size WxH"
    )
    args = parser.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size must look like 320x240, got {args.size!r}")
    if args.sequences < 1 or args.length < 2 or width < 64 or height < 64:
        parser.error("need >= 1 sequence, >= 2 frames and frames of at least 64x64")
    cfg = SyntheticConfig(width=width, height=height, length=args.length, reentry=args.out_of_view)
    generate_dataset(args.out, args.sequences, args.seed, cfg, workers=max(1, args.workers))
    print(f"wrote {args.sequences} sequences to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
