"""Accuracy of the reduced precisions against fp32, frame by frame, on a tracking dataset.

Every variant tracks the same crops: each frame is cut around the previous frame's ground-truth box
(teacher forcing), so the comparison measures the network's precision alone, not a diverged
trajectory (a whole-set AUC moves by +-0.02 when one of 20 sequences loses or regains its target).
Per variant: mean IoU of its box with the fp32 box, frames below IoU 0.5, frames whose CE kept sets
all equal fp32's, tokens swapped per frame at the first CE stage and how many of those are not ties
(fp32 margin to the keep threshold above twice the variant's own score error, see
``ce_swaps_beyond_noise``; torch variants), the largest
score-map difference (timings are a side note: variants interleaved frame by frame). ``bf16-whole`` is what
``precision: bf16`` did before mixed precision (every tensor bf16); ``bf16``/``fp16`` are mixed.

Usage: python benchmarks/precision_check.py --dataset DIR [--sequences N] [--threads 1] [--device cuda]
       [--variants fp32-onnxruntime bf16-whole bf16 fp16 int8] [--config C --weights W]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ostrack_ros.data import read_dataset  # noqa: E402
from ostrack_ros.data.sequence import valid_boxes  # noqa: E402
from ostrack_ros.evaluation.metrics import iou  # noqa: E402
from ostrack_ros.model import load_model  # noqa: E402
from ostrack_ros.model.attention import CandidateScores  # noqa: E402
from ostrack_ros.model.network_contract import FrameOutput  # noqa: E402
from ostrack_ros.model.precision import ce_swaps_beyond_noise  # noqa: E402
from ostrack_ros.runtime import BackendError  # noqa: E402
from ostrack_ros.tracking import Tracker, TrackingError  # noqa: E402
from ostrack_ros.tracking.model_choice import choose_model  # noqa: E402

VARIANTS = ("fp32-onnxruntime", "bf16-whole", "bf16", "fp16", "int8")
TORCH_VARIANTS = ("bf16-whole", "bf16", "fp16")  # CE scores recorded: swaps checked for ties


class WholeCast:
    """The network with every tensor cast to ``dtype`` (the behaviour before mixed precision)."""

    name = "whole-cast"

    max_batch = None

    def __init__(self, model, dtype: torch.dtype) -> None:
        self.net, self.dtype = copy.deepcopy(model).to(dtype), dtype
        self.search_grid, self.device = self.net.search_grid, self.net.device

    def embed_template(self, template):
        return self.net.embed_template(template.to(self.dtype))

    def track_frame(self, tokens, search, mask=None) -> FrameOutput:
        out = self.net.track_frame(tokens, search.to(self.dtype), mask)
        return FrameOutput(
            out.score_map.float(),
            out.size_map.float(),
            out.offset_map.float(),
            out.kept_indices,
            out.removed_indices,
        )


def record_ce_scores(tracker: Tracker) -> list:
    """A list that each ``track`` call fills with the CE scores of every stage (torch variants only)."""
    scores: list = []
    net = getattr(tracker.model, "net", tracker.model)
    if isinstance(net, torch.nn.Module):
        for module in net.modules():
            if isinstance(module, CandidateScores):
                module.register_forward_hook(lambda _m, _a, out: scores.append(out[0]))
    return scores


def make_tracker(variant: str, config, weights, device: str) -> Tracker:
    if variant == "fp32":
        return Tracker.from_files(config, weights, device=device)
    if variant == "bf16-whole":
        return Tracker(
            WholeCast(load_model(config, weights, device=device), torch.bfloat16),
            config,
            device=device,
            dtype=torch.bfloat16,
        )
    if variant == "fp32-onnxruntime":
        return Tracker.from_files(config, weights, device=device, dtype="fp32", backend="onnxruntime")
    if variant == "int8":
        return Tracker.from_files(config, weights, device=device, dtype="int8", backend="onnxruntime")
    return Tracker.from_files(config, weights, device=device, dtype=variant)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset", type=Path, required=True, help="folder of sequences (ostrack-eval layout)"
    )
    parser.add_argument("--sequences", type=int, help="only the first N sequences")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--config", help="default: the embedded demo model's")
    parser.add_argument("--weights", help="default: the embedded demo model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (TF32 off)")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(args.threads)
    choice = choose_model(args.config, args.weights, args.device, "fp32")  # no weights: the demo model
    config, weights = choice.config, choice.weights
    sequences = read_dataset(args.dataset)[: args.sequences]
    trackers = {}
    for name in ["fp32", *args.variants]:
        try:
            trackers[name] = make_tracker(name, config, weights, args.device)
        except (BackendError, TrackingError, ValueError) as exc:  # e.g. int8 on CUDA: say so, go on
            print(f"{name}: n/a on {args.device} ({str(exc).splitlines()[0][:100]})")
    if "fp32" not in trackers:
        return 2  # the reference itself cannot run here (reason printed above)
    args.variants = [name for name in args.variants if name in trackers]
    names = list(trackers)
    recorded = {name: record_ce_scores(tracker) for name, tracker in trackers.items()}
    not_ties = dict.fromkeys(args.variants, 0)
    ious = {name: [] for name in args.variants}
    same_ce = dict.fromkeys(args.variants, 0)
    flipped = dict.fromkeys(args.variants, 0)
    score_diff = dict.fromkeys(args.variants, 0.0)
    seconds = dict.fromkeys(names, 0.0)
    frames = 0
    for seq in sequences:
        usable = valid_boxes(seq.boxes) & seq.visible
        first = seq.frame(0)
        for tracker in trackers.values():
            tracker.initialize(first, tuple(seq.boxes[0]))
        for t in range(1, len(seq)):
            if not usable[t - 1]:
                continue
            image = seq.frame(t)
            results = {}
            for name, tracker in trackers.items():  # round-robin: every variant on the same crop
                recorded[name].clear()
                tracker.state = tuple(seq.boxes[t - 1])
                start = time.perf_counter()
                results[name] = tracker.track(image)
                seconds[name] += time.perf_counter() - start
                results[name] = (results[name], tracker.last_step.output)
            ref, ref_out = results["fp32"]
            for name in args.variants:
                result, out = results[name]
                ious[name].append(float(iou(np.array([result.box]), np.array([ref.box]))[0]))
                changed = [
                    len(set(a[0].tolist()) ^ set(b[0].tolist())) // 2
                    for a, b in zip(out.kept_indices, ref_out.kept_indices)
                ]
                same_ce[name] += not any(changed)
                flipped[name] += changed[0] if changed else 0
                if any(changed) and recorded[name]:
                    not_ties[name] += ce_swaps_beyond_noise(
                        recorded["fp32"],
                        recorded[name],
                        [k[0] for k in ref_out.kept_indices],
                        [k[0] for k in out.kept_indices],
                    )[1]
                diff = (out.score_map.float() - ref_out.score_map).abs().max()
                score_diff[name] = max(score_diff[name], float(diff))
            frames += 1
    print(
        f"{len(sequences)} sequences of {args.dataset}, {frames} teacher-forced frames, {args.device}, "
        f"{args.threads} thread(s); boxes and CE sets compared with torch fp32 on the same crops"
    )
    print(
        f"{'variant':<18} {'mean IoU':>9} {'IoU<0.5':>8} {'CE same':>8} {'1st CE swaps':>13} "
        f"{'not ties':>9} {'max |score diff|':>17} {'ms/frame':>9} {'vs fp32':>8}"
    )
    ref_ms = 1000 * seconds["fp32"] / max(frames, 1)
    print(
        f"{'fp32 (reference)':<18} {1:>9.4f} {0:>8} {'100%':>8} {0:>13} {0:>9} {0:>17} {ref_ms:>9.2f} "
        f"{'1.00x':>8}"
    )
    for name in args.variants:
        values = np.array(ious[name])
        ms = 1000 * seconds[name] / max(frames, 1)
        print(
            f"{name:<18} {values.mean():>9.4f} {int((values < 0.5).sum()):>8} "
            f"{100 * same_ce[name] / max(frames, 1):>7.1f}% {flipped[name] / max(frames, 1):>13.3f} "
            f"{not_ties[name] if name in TORCH_VARIANTS else 'n/a':>9} "
            f"{score_diff[name]:>17.4f} {ms:>9.2f} "
            f"{ref_ms / ms:>7.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
