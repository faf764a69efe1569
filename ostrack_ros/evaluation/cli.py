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
from ..export.backend_base import BackendError
from ..tracking.cli import add_runtime_arguments
from .anchors import AnchorUnavailable, parse_anchor_names, run_anchors
from .metrics import OPEScores, evaluate_sequence, summarize
from .plots import save_plots
from .report import format_table, write_summary
from .results_io import read_results

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
        prog="ostrack-eval", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--dataset", required=True, type=Path,
                        help="folder of sequence folders (frames + groundtruth.txt [+ absence.label])")
    parser.add_argument("--out", required=True, type=Path,
                        help="output folder: results/<name>/, plots, summary.json")
    parser.add_argument("--config", help="preset name or experiment YAML of --weights")
    parser.add_argument("--weights", type=Path, help="checkpoint (.pth.tar / .safetensors); "
                        "default: the embedded demo model")
    parser.add_argument("--name", help="tracker name in tables and plots (default: weights file stem)")
    add_runtime_arguments(parser)
    parser.add_argument("--sequences", nargs="+", metavar="SEQ", help="evaluate only these sequences")
    parser.add_argument("--compare", nargs="+", default=[], metavar="NAME=DIR",
                        help="also score existing results folders (<seq>.txt per sequence)")
    parser.add_argument("--results-only", action="store_true",
                        help="run no network; score only the --compare results (and --anchors)")
    parser.add_argument("--anchors", type=parse_anchor_names, default=[], metavar="csrt,kcf,mil",
                        help="also run these OpenCV trackers on the same sequences (CSRT/KCF need "
                             "the [anchors] extra: opencv-contrib-python-headless)")
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


def _resolve_model(config: Optional[str], weights: Optional[Path]) -> Tuple[str, Path]:
    if weights is None:
        if config is not None:
            raise ValueError("--config needs --weights (the demo model brings its own config)")
        from ..assets import demo_model_paths
        config_path, weights_path = demo_model_paths()
        log.info("no --weights given: using the embedded demo model (%s)", weights_path)
        return str(config_path), Path(weights_path)
    if config is None:
        raise ValueError("--weights needs --config (a preset name or the checkpoint's experiment YAML)")
    if not weights.is_file():
        raise FileNotFoundError(f"weights file {weights} does not exist")
    return config, weights


def _run_tracker(args, sequences: List[Sequence]) -> Tuple[str, Path]:
    import torch

    from ..tracking import Tracker
    from .ope import run_dataset

    if args.threads:
        torch.set_num_threads(args.threads)
    config, weights = _resolve_model(args.config, args.weights)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    name = args.name or weights.name.split(".")[0]
    tracker = Tracker.from_files(config, weights, device=device, dtype=args.precision, backend=args.backend)
    results_dir = args.out / "results" / name
    log.info("tracking %d sequences with %s on %s (%s, %s) -> %s", len(sequences), name, device,
             args.precision, args.backend, results_dir)
    run_dataset(tracker, sequences, results_dir, progress=not args.no_progress)
    return name, results_dir


def score_results(name: str, results_dir: Path, sequences: Seq[Sequence]) -> OPEScores:
    """Score one results folder against the dataset's ground truth."""
    evaluations = []
    for seq in sequences:
        boxes, times = read_results(results_dir, seq.name)
        evaluations.append(evaluate_sequence(seq.name, boxes, seq.boxes, seq.visible, times))
    return summarize(name, evaluations)


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
        scores = [score_results(name, folder, sequences) for name, folder in entries]
    except (OSError, ValueError, BackendError, AnchorUnavailable) as exc:
        print(f"ostrack-eval: error: {exc}", file=sys.stderr)
        return 2
    plots = save_plots(scores, args.out, dataset=args.dataset.name)
    summary = write_summary(scores, args.out / "summary.json", str(args.dataset))
    log.info("plots: %s", ", ".join(str(p) for p in plots.values()))
    log.info("summary: %s", summary)
    print(format_table(scores), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
