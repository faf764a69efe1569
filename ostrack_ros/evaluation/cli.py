"""``ostrack-eval``: one-pass evaluation of OSTrack on a GOT-10k-format dataset, with plots.

Examples::

    ostrack-eval --dataset data/synthetic_test --out eval_out                 # embedded demo model
    ostrack-eval --dataset D --config vitb_256_mae_ce_32x4_ep300 --weights OSTrack_ep0300.pth.tar \\
        --out eval_out --compare baseline=old_eval/results/ostrack_demo
    ostrack-eval --dataset D --results-only --compare a=runs/a b=runs/b --out cmp   # no tracking
    ostrack-eval --dataset D --out eval_out --anchors csrt,kcf,mil   # + OpenCV anchors ([anchors] extra)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional, Tuple
from typing import Sequence as Seq

from ..data import Sequence, read_sequence, sequence_folders
from ..export.errors import BackendError
from ..tracking.cli import (
    add_redetect_argument,
    add_runtime_arguments,
    choose_from_args,
    long_term_settings,
)
from .anchors import AnchorUnavailable, parse_anchor_names, run_anchors
from .long_term import LongTermScores, evaluate_long_term, summarize_long_term
from .metrics import OPEScores, evaluate_sequence, summarize
from .plots import save_plots
from .report import format_long_term_table, format_table, write_summary
from .results_io import read_confidence, read_results

log = logging.getLogger("ostrack_eval")


def _parse_compare(items: Seq[str]) -> List[Tuple[str, Path]]:
    pairs = []
    for item in items:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise ValueError(f"--compare expects NAME=RESULTS_DIR, got {item!r}")
        pairs.append((name, Path(folder)))
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ostrack-eval",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--dataset",
        required=True,
        type=Path,
        help="folder of sequence folders (frames + groundtruth.txt [+ absence.label])",
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder: results/<name>/, plots, summary.json"
    )
    parser.add_argument("--name", help="tracker name in tables and plots (default: weights file stem)")
    add_runtime_arguments(parser)
    add_redetect_argument(parser)
    parser.add_argument("--sequences", nargs="+", metavar="SEQ", help="evaluate only these sequences")
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="NAME=DIR",
        help="also score existing results folders (<seq>.txt per sequence)",
    )
    parser.add_argument(
        "--results-only",
        action="store_true",
        help="run no network; score only the --compare results (and --anchors)",
    )
    parser.add_argument(
        "--anchors",
        type=parse_anchor_names,
        default=[],
        metavar="csrt,kcf,mil",
        help="also run these OpenCV trackers on the same sequences (CSRT/KCF need "
        "the [anchors] extra: opencv-contrib-python-headless)",
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def load_sequences(root: Path, names: Optional[Seq[str]] = None) -> List[Sequence]:
    """The dataset's sequences (``list.txt`` order), or only ``names`` in the order given."""
    folders = {f.name: f for f in sequence_folders(root)}
    if names:
        missing = [n for n in names if n not in folders]
        if missing:
            raise FileNotFoundError(f"{root}: no sequence named {', '.join(missing)}")
        return [read_sequence(folders[n]) for n in names]
    return [read_sequence(f) for f in folders.values()]


def _run_tracker(args, sequences: List[Sequence]) -> Tuple[str, Path]:
    import torch

    from ..tracking import LongTermTracker
    from ..tracking.model_choice import load_tracker
    from .ope import run_dataset

    if args.threads:
        torch.set_num_threads(args.threads)
    choice = choose_from_args(args, log=log.info)
    name = args.name or Path(choice.weights).name.split(".")[0] + ("_redetect" if args.redetect else "")
    tracker = LongTermTracker(load_tracker(choice), long_term_settings(args))
    results_dir = args.out / "results" / name
    log.info(
        "tracking %d sequences with %s on %s (%s, %s, re-detection %s) -> %s",
        len(sequences),
        name,
        choice.device,
        choice.precision,
        args.backend,
        "on" if args.redetect else "off",
        results_dir,
    )
    run_dataset(tracker, sequences, results_dir, progress=not args.no_progress)
    return name, results_dir


def score_results(
    name: str, results_dir: Path, sequences: Seq[Sequence]
) -> Tuple[OPEScores, Optional[LongTermScores]]:
    """Score one results folder against the dataset's ground truth: OPE scores, and long-term scores
    when the dataset has absent frames (None otherwise)."""
    evaluations, long_term = [], []
    for seq in sequences:
        boxes, times = read_results(results_dir, seq.name)
        evaluations.append(evaluate_sequence(seq.name, boxes, seq.boxes, seq.visible, times))
        long_term.append(
            evaluate_long_term(
                seq.name, boxes, seq.boxes, seq.visible, read_confidence(results_dir, seq.name)
            )
        )
    return summarize(name, evaluations), summarize_long_term(name, long_term)


def main(argv: Optional[Seq[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[ostrack-eval] %(message)s")
    try:
        compare = _parse_compare(args.compare)
        if args.results_only and not compare and not args.anchors:
            raise ValueError("--results-only needs at least one --compare NAME=DIR (or --anchors)")
        sequences = load_sequences(args.dataset, args.sequences)
        entries = [] if args.results_only else [_run_tracker(args, sequences)]
        entries += run_anchors(args.anchors, sequences, args.out, args.threads, not args.no_progress)
        entries += compare
        scored = [score_results(name, folder, sequences) for name, folder in entries]
    except (OSError, ValueError, BackendError, AnchorUnavailable) as exc:
        print(f"ostrack-eval: error: {exc}", file=sys.stderr)
        return 2
    scores = [ope for ope, _ in scored]
    long_term = [lt for _, lt in scored if lt is not None]
    plots = save_plots(scores, args.out, dataset=args.dataset.name)
    summary = write_summary(scores, args.out / "summary.json", str(args.dataset), long_term)
    log.info("plots: %s", ", ".join(str(p) for p in plots.values()))
    log.info("summary: %s", summary)
    if long_term:
        print(format_long_term_table(long_term), flush=True)
    print(format_table(scores), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
