"""A second, independent renderer of tracking sequences: many source families, camera motion and the
hard cases the demo model fails on.

Unlike ``synthetic.py`` the scene lives in a world canvas seen through a moving camera (pan, zoom,
shake), so the whole frame moves and zooms. Each sequence draws from one photo family (see
``photo_sources``): a target with an alpha mask of varied shape (rectangle, ellipse, polygon, blob),
in mostly natural colours, optionally low-texture or dark, optionally held by a "hand" (a limb that
moves with it and covers part of its edge); 20 % of the sequences are grey; look-alike distractors
cut from the same texture at the same size; scale change up to ``max_scale_change``; motion blur
along the target's and the camera's motion; lighting ramps and flicker; an occluder; an excursion out
of view; sensor noise and JPEG at varied quality.
The ground truth is the tight box of the target's visible alpha (after occluder and hand), clipped
to the frame, with GOT-10k ``absence.label`` / ``cover.label``.

``python -m ostrack_ros.data.diverse --out DIR --sequences N --seed S --families skimage,procedural``
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .compositing import alpha_blend, sprite_pixels
from .parallel import run_jobs
from .photo_sources import PhotoFamily, load_families
from .synthetic import SyntheticSequence, _random_patch, _tint, _trajectory, write_sequence


@dataclass(frozen=True)
class DiverseConfig:
    """Knobs of the diverse renderer (probabilities are per sequence)."""

    width: int = 320
    height: int = 240
    length: int = 60
    object_size: Tuple[float, float] = (18.0, 72.0)  # geometric-mean side at scale 1, px
    aspect_ratio: Tuple[float, float] = (0.4, 2.5)
    max_scale_change: float = 3.0  # largest / smallest target size within a sequence
    motion_amplitude: float = 0.35
    max_frequency: float = 0.03
    p_grey: float = 0.2  # the whole sequence grey (no colour cue between target and background)
    tint: float = 0.1  # log-std of the per-channel colour gain of targets (natural colours mostly kept)
    p_low_texture: float = 0.3
    p_dark: float = 0.15
    p_holder: float = 0.3
    p_lookalike: float = 0.4
    max_lookalikes: int = 2
    p_occlusion: float = 0.3
    p_out_of_view: float = 0.15
    p_motion_blur: float = 0.4
    p_lighting: float = 0.5
    p_camera_zoom: float = 0.4
    p_shake: float = 0.3
    noise_std: Tuple[float, float] = (1.0, 6.0)
    jpeg_quality: Tuple[int, int] = (35, 95)
    world_margin: float = 0.3  # world canvas = frame * (1 + 2 margin)


@dataclass
class _Layer:
    """A textured, alpha-masked object in world coordinates: centre path and size path per frame."""

    texture: np.ndarray  # float32 RGB at reference size
    alpha: np.ndarray  # float32 [0, 1] at reference size
    centers: np.ndarray  # (N, 2)
    sizes: np.ndarray  # (N, 2) w, h in world px

    def rect(self, t: int) -> Tuple[int, int, int, int]:
        w, h = (max(2, int(round(v))) for v in self.sizes[t])
        return int(round(self.centers[t, 0] - w / 2)), int(round(self.centers[t, 1] - h / 2)), w, h


def shape_mask(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Alpha mask filling its w x h box: rectangle, ellipse, star-shaped polygon or smooth blob."""
    kind = int(rng.integers(0, 4))
    mask = np.zeros((h, w), np.float32)
    if kind == 0:
        mask[:] = 1.0
    elif kind == 1:
        cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2 - 1), max(1, h // 2 - 1)), 0, 0, 360, 1.0, -1)
    elif kind == 2:
        corners = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
        radii = rng.uniform(0.55, 1.0, corners)
        pts = np.stack([np.cos(angles) * radii, np.sin(angles) * radii], 1)
        pts = (pts - pts.min(0)) / np.maximum(np.ptp(pts, 0), 1e-6) * [w - 1, h - 1]
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1.0)
    else:
        coarse = rng.random((4, 4)).astype(np.float32)
        field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        radial = 1 - np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2))
        mask = ((radial + 0.5 * (field - 0.5)) > 0.15).astype(np.float32)
        ys, xs = np.nonzero(mask)
        if len(xs) < 4:
            mask[:] = 1.0
        else:  # stretch the blob to fill its box, so the box is tight
            mask = cv2.resize(
                mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1],
                (w, h),
                interpolation=cv2.INTER_NEAREST,
            )
    return cv2.GaussianBlur(mask, (3, 3), 0.6) if kind else mask


def _target_texture(rng: np.random.Generator, cfg: DiverseConfig, photo: np.ndarray, w: int, h: int):
    """Target texture, made low-texture (contrast squashed, blurred) or dark with the config's odds."""
    texture = _tint(rng, _random_patch(rng, photo, w, h), cfg.tint)
    if rng.random() < cfg.p_low_texture:
        mean = texture.mean(axis=(0, 1), keepdims=True)
        texture = cv2.GaussianBlur(texture, (0, 0), rng.uniform(1.0, 3.0))
        texture = mean + rng.uniform(0.05, 0.3) * (texture - mean)
    if rng.random() < cfg.p_dark:
        texture = texture * rng.uniform(0.1, 0.35)
    return np.clip(texture, 0, 255).astype(np.float32)


def _scale_path(rng: np.random.Generator, cfg: DiverseConfig, n: int) -> np.ndarray:
    """(N,) smooth scale factor whose max / min reaches up to ``max_scale_change``."""
    ratio = np.exp(rng.uniform(0, np.log(cfg.max_scale_change)))
    phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.0) / n
    wave = np.sin(2 * np.pi * freq * np.arange(n) + phase)
    wave = (wave - wave.min()) / max(float(np.ptp(wave)), 1e-6) if np.ptp(wave) > 1e-6 else wave * 0
    scales = np.exp(np.log(ratio) * wave)
    return scales / scales[0]


def _camera(rng: np.random.Generator, cfg: DiverseConfig, n: int) -> np.ndarray:
    """(N, 3) camera state: zoom and the world point at the frame's top-left corner."""
    margin = np.array([cfg.width, cfg.height]) * cfg.world_margin
    zoom = np.ones(n)
    if rng.random() < cfg.p_camera_zoom:
        zoom = np.exp(rng.uniform(-0.4, 0.4) * np.sin(np.linspace(0, rng.uniform(0.5, 1.5) * np.pi, n)))
    pan = margin + _trajectory(rng, cfg, np.zeros(2), n, 0.4) * margin / np.array([cfg.width, cfg.height])
    if rng.random() < cfg.p_shake:
        pan += rng.normal(0, rng.uniform(1.0, 4.0), size=(n, 2))
    # zooming about the frame centre: the view covers frame / zoom world px around it
    center = pan + np.array([cfg.width, cfg.height]) / 2
    origin = center - np.array([cfg.width, cfg.height]) / (2 * zoom[:, None])
    return np.concatenate([zoom[:, None], origin], axis=1)


def _motion_kernel(dx: float, dy: float) -> Optional[np.ndarray]:
    length = int(round(np.hypot(dx, dy)))
    if length < 2:
        return None
    kernel = np.zeros((2 * length + 1, 2 * length + 1), np.float32)
    c = length
    cv2.line(
        kernel,
        (int(round(c - dx / 2)), int(round(c - dy / 2))),
        (int(round(c + dx / 2)), int(round(c + dy / 2))),
        1.0,
        1,
    )
    return kernel / kernel.sum()


def _paste(
    canvas: np.ndarray,
    layer: _Layer,
    t: int,
    blur: Optional[np.ndarray] = None,
    coverage: Optional[np.ndarray] = None,
) -> None:
    """Alpha-blend ``layer`` at frame ``t`` into the world canvas (optionally motion-blurred)."""
    x, y, w, h = layer.rect(t)
    pixels = sprite_pixels(canvas.shape, layer.texture, layer.alpha, (x, y, w, h))
    if pixels is None:
        return
    texture, alpha = pixels
    if blur is not None:  # blur colour and alpha together: the smear of a moving object
        pad = blur.shape[0] // 2
        premult = cv2.copyMakeBorder(texture * alpha[..., None], pad, pad, pad, pad, cv2.BORDER_CONSTANT)
        alpha_p = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT)
        premult, alpha_p = cv2.filter2D(premult, -1, blur), cv2.filter2D(alpha_p, -1, blur)
        texture = (premult / np.maximum(alpha_p[..., None], 1e-6))[pad:-pad, pad:-pad]
        alpha = alpha_p[pad:-pad, pad:-pad]
    alpha_blend(canvas, texture, alpha, x, y, coverage)


def _holder(rng: np.random.Generator, target: _Layer, world_hw: Tuple[int, int]) -> _Layer:
    """A limb-like bar from the target's lower or side edge towards the world border that moves with
    the target and covers up to a quarter of it (a hand holding the object)."""
    n = len(target.centers)
    skin = np.array([rng.uniform(90, 230), rng.uniform(60, 180), rng.uniform(40, 150)], np.float32)
    texture = np.clip(skin + rng.normal(0, 6, size=(32, 32, 3)), 0, 255).astype(np.float32)
    texture = cv2.GaussianBlur(texture, (0, 0), 2.0)
    side = int(rng.integers(0, 3))  # 0: from below, 1: from the left, 2: from the right
    thickness = rng.uniform(0.35, 0.7)
    length = max(world_hw) * 0.8
    overlap = rng.uniform(0.1, 0.25)
    sizes, centers = np.zeros((n, 2)), np.zeros((n, 2))
    for t in range(n):
        w, h = target.sizes[t]
        cx, cy = target.centers[t]
        if side == 0:
            sizes[t] = (w * thickness, length)
            centers[t] = (cx, cy + h / 2 - overlap * h + length / 2)
        else:
            sign = -1 if side == 1 else 1
            sizes[t] = (length, h * thickness)
            centers[t] = (cx + sign * (w / 2 - overlap * w + length / 2), cy)
    alpha = np.ones((32, 32), np.float32)
    cv2.GaussianBlur(alpha, (3, 3), 0.8, dst=alpha)
    return _Layer(texture, alpha, centers, sizes)


def render_diverse(
    cfg: DiverseConfig, families: Sequence[PhotoFamily], seed: int, index: int = 0
) -> SyntheticSequence:
    """Render sequence ``index`` of set ``seed`` from one of ``families`` (same inputs -> same pixels)."""
    rng = np.random.default_rng([seed, index, 0xD1])
    family = families[int(rng.integers(0, len(families)))]
    photos = family.images
    n, W, H = cfg.length, cfg.width, cfg.height
    world_wh = (int(W * (1 + 2 * cfg.world_margin)), int(H * (1 + 2 * cfg.world_margin)))
    ids = rng.choice(len(photos), size=3, replace=len(photos) < 3)
    background = _tint(rng, _random_patch(rng, photos[ids[0]], *world_wh), 0.15)
    camera = _camera(rng, cfg, n)

    # Target path in frame coordinates, mapped into the world through the camera.
    size = rng.uniform(*cfg.object_size)
    aspect = np.exp(rng.uniform(*np.log(cfg.aspect_ratio)))
    base = np.array([size * np.sqrt(aspect), size / np.sqrt(aspect)])
    scales = _scale_path(rng, cfg, n)
    if rng.random() < 0.5:
        scales = scales / scales.max() * rng.uniform(1.0, 1.5)  # start big, shrink
    start = rng.uniform([0.3 * W, 0.3 * H], [0.7 * W, 0.7 * H])
    frame_path = np.clip(
        _trajectory(rng, cfg, start, n, cfg.motion_amplitude), [0.1 * W, 0.1 * H], [0.9 * W, 0.9 * H]
    )
    if rng.random() < cfg.p_out_of_view:
        t0, span = int(rng.integers(n // 5, max(n // 5 + 1, n // 2))), int(rng.integers(8, max(9, n // 3)))
        bump = np.sin(np.pi * np.clip((np.arange(n) - t0) / span, 0, 1)) ** 2
        exit_dir = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], float)[int(rng.integers(0, 4))]
        frame_path = frame_path + np.minimum(1.0, 1.6 * bump)[:, None] * exit_dir * (max(W, H) * 0.9)
    zoom, origin = camera[:, :1], camera[:, 1:]
    centers = origin + frame_path / zoom
    sizes = base[None, :] * scales[:, None] / zoom
    ref = (max(4, int(base[0] * 1.5)), max(4, int(base[1] * 1.5)))
    texture = _target_texture(rng, cfg, photos[ids[1]], *ref)
    target = _Layer(texture, shape_mask(rng, *ref), centers, sizes)

    lookalikes = []
    if rng.random() < cfg.p_lookalike:
        for _ in range(int(rng.integers(1, cfg.max_lookalikes + 1))):
            d_start = rng.uniform([0.1 * W, 0.1 * H], [0.9 * W, 0.9 * H])
            d_path = origin + _trajectory(rng, cfg, d_start, n, cfg.motion_amplitude) / zoom
            twin = np.clip(texture * np.exp(rng.normal(0, 0.05, 3)).astype(np.float32), 0, 255)
            lookalikes.append(_Layer(twin, shape_mask(rng, *ref), d_path, sizes * rng.uniform(0.85, 1.15)))
    holder = _holder(rng, target, world_wh[::-1]) if rng.random() < cfg.p_holder else None
    occluder = None
    if rng.random() < cfg.p_occlusion:
        t_mid, sweep = int(rng.integers(n // 4, max(n // 4 + 1, 3 * n // 4))), rng.uniform(8, 20)
        direction = rng.choice([-1.0, 1.0])
        occ_size = sizes[t_mid] * rng.uniform(1.0, 1.8)
        path = centers[t_mid] + np.stack(
            [direction * (np.arange(n) - t_mid) * occ_size[0] * 2 / sweep, np.zeros(n)], axis=1
        )
        occ_ref = (max(4, int(occ_size[0])), max(4, int(occ_size[1])))
        occ_tex = _tint(rng, _random_patch(rng, photos[ids[2]], *occ_ref), 0.2)
        occluder = _Layer(occ_tex, shape_mask(rng, *occ_ref), path, np.repeat(occ_size[None], n, 0))

    blur_on = rng.random() < cfg.p_motion_blur
    exposure = rng.uniform(0.5, 1.5)
    lighting = np.ones(n)
    if rng.random() < cfg.p_lighting:
        lighting = np.exp(rng.uniform(-0.6, 0.4) * np.linspace(0, 1, n) + rng.normal(0, 0.04, n))
    noise_std = rng.uniform(*cfg.noise_std)
    grey = rng.random() < cfg.p_grey

    frames, boxes, fractions = [], np.zeros((n, 4)), np.zeros(n)
    for t in range(n):
        world = background.copy()
        velocity = centers[t] - centers[max(0, t - 1)]
        for layer in lookalikes:
            _paste(world, layer, t)
        full = np.zeros(world.shape[:2], np.float32)
        blur = _motion_kernel(*(velocity * exposure)) if blur_on else None
        _paste(world, target, t, blur, full)
        visible = full.copy()
        for layer in (holder, occluder):
            if layer is not None:
                cover = np.zeros_like(full)
                _paste(world, layer, t, coverage=cover)
                visible *= 1.0 - cover
        z, ox, oy = camera[t]
        affine = np.array([[z, 0, -z * ox], [0, z, -z * oy]], np.float32)
        frame = cv2.warpAffine(world, affine, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        seen = cv2.warpAffine(visible, affine, (W, H), flags=cv2.INTER_LINEAR)
        if blur_on and t > 0:
            shake = _motion_kernel(*((camera[t, 1:] - camera[t - 1, 1:]) * z * exposure))
            if shake is not None:
                frame = cv2.filter2D(frame, -1, shake)
        ys, xs = np.nonzero(seen > 0.5)
        full_area = float(full.sum()) * z * z
        fractions[t] = float(np.clip(seen.sum() / max(full_area, 1e-6), 0, 1))
        if len(xs):
            boxes[t] = (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
        if grey:
            frame = np.repeat(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
        frame = frame * lighting[t] + rng.normal(0, noise_std, size=frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    absence = ((fractions < 0.02) | (boxes[:, 2] < 2) | (boxes[:, 3] < 2)).astype(np.int64)
    cover = np.where(absence == 1, 0, np.clip(np.ceil(fractions * 8), 1, 8)).astype(np.int64)
    boxes[absence == 1] = 0.0
    return SyntheticSequence(frames, boxes, absence, cover, fractions)


def sequence_jpeg_quality(cfg: DiverseConfig, seed: int, index: int) -> int:
    """The JPEG quality sequence ``index`` is written with (its own stream, so pixels stay fixed)."""
    low, high = cfg.jpeg_quality
    return int(np.random.default_rng([seed, index, 0x3E6]).integers(low, high + 1))


_FAMILIES: List[PhotoFamily] = []  # the families of the set being written, set in each worker


def _set_families(families: List[PhotoFamily]) -> None:
    _FAMILIES[:] = families


def _render_and_write(job) -> None:
    cfg, seed, index, folder = job
    sequence = render_diverse(cfg, _FAMILIES, seed, index)
    write_sequence(sequence, folder, sequence_jpeg_quality(cfg, seed, index))


def generate_diverse(
    out_dir: Path,
    num_sequences: int,
    seed: int,
    families: Sequence[PhotoFamily],
    cfg: Optional[DiverseConfig] = None,
    workers: int = 1,
    progress: bool = True,
) -> List[Path]:
    """Write ``num_sequences`` sequences plus ``list.txt`` and ``sources.txt`` (families, origins,
    licences) under ``out_dir``; the pixels depend only on (cfg, families, seed, index)."""
    cfg = cfg or DiverseConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [f"diverse_{seed}_{i:04d}" for i in range(num_sequences)]
    jobs = [(cfg, seed, i, out_dir / name) for i, name in enumerate(names)]
    run_jobs(
        _render_and_write,
        jobs,
        f"diverse seed {seed}",
        workers,
        progress,
        initializer=_set_families,
        initargs=(list(families),),
    )
    (out_dir / "list.txt").write_text("\n".join(names) + "\n")
    (out_dir / "sources.txt").write_text(
        "".join(f"{f.name}\t{len(f.images)} images\t{f.origin}\t{f.licence}\n" for f in families)
    )
    return [out_dir / n for n in names]


def parse_family_args(items: Sequence[str]) -> Tuple[List[str], dict]:
    """``["skimage", "ukui=/path"]`` -> (names, {name: folder})."""
    names, folders = [], {}
    for item in items:
        for part in item.split(","):
            name, sep, folder = part.partition("=")
            if not name:
                continue
            names.append(name)
            if sep:
                folders[name] = Path(folder)
    return names, folders


def main(argv: Optional[Sequence[str]] = None) -> int:
    """CLI: write a diverse GOT-10k-layout dataset."""
    parser = argparse.ArgumentParser(
        prog="python -m ostrack_ros.data.diverse", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", required=True, type=Path, help="output dataset folder")
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--length", type=int, default=DiverseConfig.length)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--families",
        nargs="+",
        default=["skimage", "procedural"],
        help="photo families: skimage, procedural, lomiri, gnome, ukui (Debian "
        "packages, fetched into --work-dir) or NAME=FOLDER",
    )
    parser.add_argument("--work-dir", type=Path, default=Path("build/photo_sources"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--out-of-view",
        action="store_true",
        help="every target leaves the view through a border and comes back (a long-term set; "
        f"default: {DiverseConfig.p_out_of_view * 100:.0f} %% of the sequences)",
    )
    args = parser.parse_args(argv)
    if args.sequences < 1 or args.length < 2:
        parser.error("need >= 1 sequence of >= 2 frames")
    try:
        names, folders = parse_family_args(args.families)
        families = load_families(names, args.work_dir, folders)
    except (ValueError, RuntimeError) as exc:
        parser.error(str(exc))
    cfg = DiverseConfig(length=args.length)
    if args.out_of_view:
        cfg = dataclasses.replace(cfg, p_out_of_view=1.0)
    generate_diverse(args.out, args.sequences, args.seed, families, cfg, workers=max(1, args.workers))
    print(f"wrote {args.sequences} sequences to {args.out} from {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
