"""Latency while the target is lost (re-detection crops in one batch) vs while tracking.

Two trackers on the same frames, timed round-robin frame by frame in one process: one tracks
normally, the other is kept lost (thresholds 1.0) so every call runs ``max_crops_per_frame`` search
crops in one batch (the local crop and tiles). Printed per crop budget: median ms per frame and the
lost / tracking ratio (target: <= 2x at the default budget). Embedded demo model unless
``--config/--weights`` are given; synthetic 320x240 frames unless ``--size``.

    .venv/bin/python benchmarks/bench_long_term.py [--threads 1] [--frames 60] [--budgets 1 2 4 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the working tree, not an installed copy
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from ostrack_ros.data.synthetic import SyntheticConfig, render_sequence  # noqa: E402
from ostrack_ros.tracking import LongTermSettings, LongTermTracker  # noqa: E402
from ostrack_ros.tracking.model_choice import choose_model, load_tracker  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--weights")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=60, help="timed frames per tracker and budget")
    parser.add_argument("--size", default="320x240", help="frame size WxH of the synthetic sequence")
    parser.add_argument(
        "--budgets", type=int, nargs="+", default=sorted({1, 2, 4, 8, LongTermSettings.max_crops_per_frame})
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    width, height = (int(v) for v in args.size.split("x"))
    seq = render_sequence(SyntheticConfig(width=width, height=height, length=args.frames + 1), seed=99)
    choice = choose_model(args.config, args.weights, args.device, "fp32")
    tracking = LongTermTracker(load_tracker(choice))
    lost = LongTermTracker(
        load_tracker(choice), redetect=True, lost_threshold=1.0, reacquire_threshold=1.0, lost_frames=1
    )
    print(
        f"{choice.config} on {choice.device}, {args.threads} thread(s), {width}x{height}, "
        f"{args.frames} frames; median ms per frame, timed round-robin"
    )
    print(f"{'crops/frame':>11} {'tracking':>9} {'lost':>9} {'ratio':>6}  {'tiles/pass':>10}")
    for budget in args.budgets:
        lost.configure(max_crops_per_frame=budget)
        times = {"tracking": [], "lost": []}
        for tracker in (tracking, lost):
            tracker.initialize(seq.frames[0], tuple(seq.boxes[0]))
            tracker.track(seq.frames[1])  # warm-up (the lost one loses the target here)
        for frame in seq.frames[1:]:
            for name, tracker in (("tracking", tracking), ("lost", lost)):
                start = time.perf_counter()
                tracker.track(frame)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                times[name].append(time.perf_counter() - start)
        assert not lost.claimed and tracking.tracker.last_step.extra_peaks is None
        t_track, t_lost = (statistics.median(times[k]) * 1e3 for k in ("tracking", "lost"))
        ratio = t_lost / t_track
        print(f"{budget:>11} {t_track:>9.2f} {t_lost:>9.2f} {ratio:>5.2f}x  {lost.tiles_per_pass:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
