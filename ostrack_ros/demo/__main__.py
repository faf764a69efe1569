"""``python -m ostrack_ros.demo`` (what ``make demo`` runs): track a video live through ROS 2.

By default a seeded synthetic video plays as a camera; ``VIDEO=clip.mp4 INIT=x,y,w,h`` (or
``--video/--init``) plays your own. Outputs land in ``demo_output/``: overlay.mp4, detections.csv,
still.png and summary.json.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence


def _ros_environment(out_dir: Path) -> None:
    """DDS on this host only, the venv as ament prefix, ROS logs beside the demo's outputs, and the
    Fast DDS large-frames profile for the in-process supervisor and every launched process (set
    before any rclpy.init; a profile the user set wins)."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_LOG_DIR", str((out_dir / "ros_logs").resolve()))
    if (Path(sys.prefix) / "share" / "ament_index").is_dir():
        prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
        if sys.prefix not in prefixes:
            os.environ["AMENT_PREFIX_PATH"] = os.pathsep.join([sys.prefix, *prefixes])
    from ..ros.middleware import use_large_frames_profile

    use_large_frames_profile()


def build_parser() -> argparse.ArgumentParser:
    from .inputs import DEMO_SEED

    env = os.environ.get
    p = argparse.ArgumentParser(prog="python -m ostrack_ros.demo", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--video",
        type=Path,
        default=env("VIDEO") or None,
        help="video file or frame folder to play instead of the synthetic one (env VIDEO)",
    )
    p.add_argument(
        "--init",
        default=env("INIT") or None,
        help="x,y,w,h of the target in the first frame, pixels (env INIT)",
    )
    p.add_argument("--weights", help="checkpoint for the tracker (default: the embedded demo model)")
    p.add_argument("--config", help="experiment YAML or preset name of --weights")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    p.add_argument("--fps", type=float, default=15.0, help="camera rate, frames per second")
    p.add_argument("--frames", type=int, default=150, help="length of the synthetic video")
    p.add_argument("--seed", type=int, default=DEMO_SEED, help="seed of the synthetic video")
    p.add_argument(
        "--sequence-index",
        type=int,
        default=1,
        help="which sequence of that seed (0 is a hard one: look-alike distractors)",
    )
    p.add_argument("--out", type=Path, default=Path("demo_output"), help="output folder")
    p.add_argument("--timeout", type=float, default=110.0, help="stop the run after this many seconds")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.fps <= 0 or args.frames < 2 or args.timeout <= 0:
        print("ostrack-demo: error: need --fps > 0, --frames >= 2 and --timeout > 0", file=sys.stderr)
        return 2
    _ros_environment(args.out)

    from .runner import CAMERA_FINISHED, DemoOptions, run_demo
    from .summary import format_summary, write_summary_json

    options = DemoOptions(
        out_dir=args.out,
        frames=args.frames,
        fps=args.fps,
        seed=args.seed,
        sequence_index=args.sequence_index,
        video=args.video,
        init=args.init,
        weights=args.weights,
        config=args.config,
        device=args.device,
        timeout_s=args.timeout,
    )
    try:
        result = run_demo(options)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"ostrack-demo: error: {exc}", file=sys.stderr)
        return 1
    tracked = result.summary.frames_tracked > 0
    if tracked:
        model = args.weights or "embedded demo model (ostrack_ros/assets)"
        write_summary_json(result.summary, args.out / "summary.json")
        print(format_summary(result.summary, result.source, model, args.out), flush=True)
    failed = {name: code for name, code in result.exit_codes.items() if code}
    if failed or not tracked:
        what = "a process failed" if tracked else "nothing was tracked"
        print(
            f"ostrack-demo: error: {what} (run stopped because {result.stop_reason}; exit codes "
            f"{result.exit_codes}); see the log lines above",
            file=sys.stderr,
        )
        return 1
    if result.stop_reason != CAMERA_FINISHED:
        print(f"ostrack-demo: warning: run stopped early: {result.stop_reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
