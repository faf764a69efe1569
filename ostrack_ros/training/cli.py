"""``ostrack-train``: train or fine-tune OSTrack on GOT-10k-layout data; works the same under ``torchrun``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional
from typing import Sequence as Seq

import torch

from ..configs import ConfigError, load_config
from ..model import CheckpointError
from .processing import Augmentation
from .trainer import Trainer, TrainOptions

EXAMPLES = """examples:
  ostrack-train --config vitb_256_mae_ce_32x4_got10k_ep100 --data ~/data/got10k/train --out runs/got10k
  ostrack-train --config my.yaml --data my_seqs --out runs/ft --init-weights OSTrack_ep0300.pth.tar
  ostrack-train --config my.yaml --data my_seqs --out runs/ft --resume        # continue the latest epoch
  ostrack-train --config my.yaml --data my_seqs --out runs/ft --init-weights W --no-target-pairs 0.25
  torchrun --nproc_per_node 4 -m ostrack_ros.training.cli --config my.yaml --data my_seqs --out runs/ddp
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ostrack-train",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", required=True, help="preset name or official-layout YAML (all hyper-parameters)"
    )
    parser.add_argument(
        "--data",
        required=True,
        nargs="+",
        type=Path,
        help="training datasets: GOT-10k layout or sequence folders (frames + groundtruth.txt)",
    )
    parser.add_argument(
        "--val-data", nargs="*", type=Path, default=[], help="validation datasets (same layouts)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder: checkpoints and logs/")
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--init-weights", type=Path, help="fine-tune from these weights (official .pth.tar or .safetensors)"
    )
    start.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        help="resume from a training checkpoint (default: the latest in --out)",
    )
    parser.add_argument(
        "--device", default="auto", help="auto, cpu, cuda or cuda:N (torchrun: one GPU per rank)"
    )
    parser.add_argument("--workers", type=int, help="data loader processes (default TRAIN.NUM_WORKER)")
    parser.add_argument("--threads", type=int, help="torch CPU threads per process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-target-pairs",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of pairs whose search crop holds no target (score map trained to zero, no box "
        "loss), so a lost target scores low; default 0: the official recipe",
    )
    parser.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (smoke tests)")
    parser.add_argument("--no-tensorboard", action="store_true")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    return parser


def main(argv: Optional[Seq[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    resume = None if args.resume is None else Path(args.resume or args.out)
    if not 0.0 <= args.no_target_pairs < 1.0:
        print(
            f"ostrack-train: error: --no-target-pairs must be in [0, 1), got {args.no_target_pairs}",
            file=sys.stderr,
        )
        return 2
    try:
        cfg = load_config(args.config)
        options = TrainOptions(
            train_data=list(args.data),
            val_data=list(args.val_data),
            output_dir=args.out,
            init_weights=args.init_weights,
            resume=resume,
            device=args.device,
            workers=args.workers,
            seed=args.seed,
            augmentation=Augmentation(no_target=args.no_target_pairs),
            max_steps=args.max_steps,
            tensorboard=not args.no_tensorboard,
            progress=not args.no_progress,
        )
        trainer = Trainer(cfg, options)
    except (ConfigError, CheckpointError, FileNotFoundError, ValueError) as exc:
        print(f"ostrack-train: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = trainer.fit()
    finally:
        trainer.close()
    if trainer.ctx.is_main:
        print(
            f"finished epoch {result.epochs} after {result.steps} steps "
            f"(world size {trainer.ctx.world_size}); "
            f"checkpoint {result.checkpoint}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
