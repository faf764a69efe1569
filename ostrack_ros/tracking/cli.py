"""``ostrack-track``: run the tracker over a video file or an image folder and write its boxes.

Output: one ``x,y,w,h,score`` line per frame (the first line is the initial box with score 1),
the usual single-object benchmark format; with ``--redetect`` the score is 0 on frames where the
lost target is not claimed (re-detection running).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import torch
from tqdm import tqdm

from ..configs import DEFAULT_PRESET, ConfigError
from ..export.errors import BackendError
from ..model import CheckpointError
from .errors import TrackingError
from .frames import FrameSource
from .inputs import PRECISION_NAMES
from .long_term import LongTermSettings, LongTermTracker
from .model_choice import ModelChoice, choose_model, load_tracker


def parse_box(text: str) -> tuple[float, float, float, float]:
    """``"x,y,w,h"`` -> four floats (argparse type)."""
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h (four numbers), got '{text}'")
    return values  # type: ignore[return-value]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ostrack-track", description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True, help="video file or folder of frames (sorted by name)")
    parser.add_argument(
        "--init",
        required=True,
        type=parse_box,
        metavar="x,y,w,h",
        help="target box in the first frame, pixels",
    )
    parser.add_argument("--out", help="write boxes here instead of stdout")
    add_runtime_arguments(parser)
    add_redetect_argument(parser)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    return parser


def add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    """The resolver's inputs ``--config``, ``--weights``, ``--device``, ``--precision`` and
    ``--backend``, as the node's parameters of the same names (shared by ostrack-track and ostrack-eval)."""
    from ..runtime import BACKENDS

    parser.add_argument(
        "--config",
        help=f"preset name or experiment YAML (default: {DEFAULT_PRESET}, "
        "or the demo model's config when --weights is omitted)",
    )
    parser.add_argument(
        "--weights", help="checkpoint (.pth.tar, .pth or .safetensors); default: the embedded demo model"
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISION_NAMES,
        help="fp32 (default), fp16/bf16 (mixed), int8 (onnxruntime) or auto (the node's "
        "default: the fastest that keeps accuracy on the device)",
    )
    parser.add_argument(
        "--backend",
        default="torch",
        choices=BACKENDS,
        help="inference runtime (default torch; see docs/JETSON.md)",
    )


def add_redetect_argument(parser: argparse.ArgumentParser) -> None:
    """``--redetect``, ``--crops-per-frame``, ``--confirm-frames`` and ``--colour-match``, as the node's
    ``redetect``, ``redetect_crops_per_frame``, ``redetect_confirm_frames`` and ``redetect_colour_match``
    parameters (shared by ostrack-track and ostrack-eval)."""
    parser.add_argument(
        "--redetect",
        action="store_true",
        help="long-term mode: search the whole frame for a lost target and re-acquire "
        "it after confirmation (default off: the official short-term tracker)",
    )
    parser.add_argument(
        "--crops-per-frame",
        type=_positive_int,
        default=LongTermSettings.max_crops_per_frame,
        help="with --redetect: search crops a lost frame runs in one batch, the official crop (while "
        "it still sees something) and tiles (default %(default)s; more: a pass over the frame takes "
        "fewer frames, a lost frame costs more)",
    )
    parser.add_argument(
        "--confirm-frames",
        type=_positive_int,
        default=LongTermSettings.confirm_frames,
        help="with --redetect: consecutive re-checks a candidate must pass before it is claimed again "
        "(default %(default)s; more: fewer look-alikes claimed, a later re-acquisition)",
    )
    parser.add_argument(
        "--colour-match",
        type=_correlation,
        default=LongTermSettings.colour_match,
        help="with --redetect: hue-saturation histogram correlation with the marked target that a "
        "candidate's re-check needs (default %(default)s; -1: no colour check)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _correlation(text: str) -> float:
    value = float(text)
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [-1, 1], got {value}")
    return value


def long_term_settings(args: argparse.Namespace) -> LongTermSettings:
    """The ``LongTermSettings`` that ``add_redetect_argument``'s flags ask for."""
    return LongTermSettings(
        redetect=args.redetect,
        max_crops_per_frame=args.crops_per_frame,
        confirm_frames=args.confirm_frames,
        colour_match=args.colour_match,
    )


def choose_from_args(args: argparse.Namespace, log=None) -> ModelChoice:
    """The resolver on ``--config --weights --device --precision --backend`` (shared by ostrack-track,
    ostrack-eval and ostrack-export); its notes go to ``log`` (default: stderr, prefixed)."""
    choice = choose_model(args.config, args.weights, args.device, args.precision, args.backend)
    for level, message in choice.notes:
        if log is not None:
            log(f"{level}: {message}")
        else:
            print(f"{level}: {message}", file=sys.stderr)
    return choice


def format_line(box: Sequence[float], score: float) -> str:
    return ",".join(f"{v:.4f}" for v in box) + f",{score:.6f}\n"


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    choice = choose_from_args(args)
    frames = FrameSource(args.video)
    tracker = LongTermTracker(load_tracker(choice), long_term_settings(args))
    out = open(args.out, "w") if args.out else sys.stdout  # noqa: SIM115 (stdout must not be closed)
    count, tracking_time = 0, 0.0
    try:
        with tqdm(total=len(frames) or None, unit="frame", desc="ostrack-track", file=sys.stderr) as bar:
            for image in frames:
                if count == 0:
                    tracker.initialize(image, args.init)
                    box, score = tracker.state, 1.0
                else:
                    start = time.perf_counter()
                    result = tracker.track(image)
                    tracking_time += time.perf_counter() - start
                    box, score = result.box, result.score if result.claimed or not args.redetect else 0.0
                out.write(format_line(box, score))
                count += 1
                bar.update()
    finally:
        if out is not sys.stdout:
            out.close()
    if count == 0:
        raise TrackingError(f"'{args.video}' yielded no frames")
    fps = (count - 1) / tracking_time if tracking_time > 0 else float("nan")
    print(
        f"ostrack-track: {count} frames ({tracker.device}, {tracker.precision}, {args.backend}), "
        f"{fps:.1f} fps in track()" + (f", boxes written to {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 1 runtime error, 2 usage error)."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (TrackingError, ConfigError, CheckpointError, BackendError, ValueError, OSError) as exc:
        print(f"ostrack-track: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
