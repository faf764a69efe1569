"""Cost per frame of several targets: one batched forward (MultiTargetTracker) vs one forward each.

N targets are marked in one synthetic frame (N copies of a scene side by side); both ways track the
same frames, timed round-robin frame by frame in one process. Printed per N: median ms per frame
batched and sequential, each against one target, and batched / sequential. Embedded demo model unless
``--config/--weights`` are given (``--config vitb_256_mae_ce_32x4_ep300 --weights random``: the
official network's size and speed without a checkpoint).

    .venv/bin/python benchmarks/bench_multi_target.py [--threads 1] [--frames 20] [--targets 1 2 4 8]
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

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ostrack_ros.data.synthetic import SyntheticConfig, render_sequence  # noqa: E402
from ostrack_ros.tracking import LongTermTracker, Tracker  # noqa: E402
from ostrack_ros.tracking.model_choice import choose_model, load_tracker  # noqa: E402
from ostrack_ros.tracking.multi_target import MultiTargetTracker  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--weights")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=20, help="timed frames per way and target count")
    parser.add_argument("--targets", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    most = max(args.targets)
    seq = render_sequence(SyntheticConfig(length=args.frames + 2, max_distractors=0), seed=99)
    width = seq.frames[0].shape[1]
    frames = [np.concatenate([f] * most, axis=1) for f in seq.frames]  # one target per copy
    boxes = [(seq.boxes[0][0] + i * width, *seq.boxes[0][1:]) for i in range(most)]
    if args.weights == "random":  # the network's size and speed without a checkpoint
        inner = Tracker.from_files(args.config, None, args.device, args.precision)
        name, device, precision = args.config + " (random weights)", inner.device, inner.precision
    else:
        choice = choose_model(args.config, args.weights, args.device, args.precision)
        inner, name, device, precision = load_tracker(choice), choice.config, choice.device, choice.precision
    prototype = LongTermTracker(inner)
    cuda = torch.device(device).type == "cuda"
    print(
        f"{name} on {device} {precision}, {args.threads} thread(s), "
        f"frame {frames[0].shape[1]}x{frames[0].shape[0]}, {args.frames} frames; median ms per frame, "
        "timed round-robin"
    )
    print(f"{'targets':>7} {'batched':>9} {'x one':>6} {'sequential':>10} {'x one':>6} {'batched/seq':>11}")
    one = None
    for count in args.targets:
        batched = MultiTargetTracker(prototype, max_targets=count)
        sequential = [prototype.sibling() for _ in range(count)]
        for i in range(count):
            batched.initialize(str(i), frames[0], boxes[i])
            sequential[i].initialize(frames[0], boxes[i])
        times = {"batched": [], "sequential": []}

        def run_sequential(frame, trackers=sequential):
            for tracker in trackers:
                tracker.track(frame)

        ways = (("batched", batched.track), ("sequential", run_sequential))
        for frame in frames[1:2]:  # warm-up
            for _, step in ways:
                step(frame)
        for frame in frames[2:]:
            for name, step in ways:
                start = time.perf_counter()
                step(frame)
                if cuda:
                    torch.cuda.synchronize()
                times[name].append(time.perf_counter() - start)
        t_batched, t_seq = (statistics.median(times[k]) * 1e3 for k in ("batched", "sequential"))
        if one is None:  # one target's cost: the first row's sequential time per target
            one = t_seq / count
        print(
            f"{count:>7} {t_batched:>9.2f} {t_batched / one:>5.2f}x {t_seq:>10.2f} {t_seq / one:>5.2f}x "
            f"{t_batched / t_seq:>10.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
