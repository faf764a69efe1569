"""Rebuild the embedded demo model: synthetic data -> the training pipeline -> ``assets/``.

``python -m ostrack_ros.training.demo_model`` (``make train-demo``) writes a seeded synthetic
training set, trains ``assets/demo_model.yaml`` from scratch on it with the ordinary trainer and
copies the final weights to ``assets/demo_model.safetensors``. Evaluate on a set made with another
seed (``ostrack-eval``).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Optional
from typing import Sequence as Seq

import torch
from safetensors.torch import load_file

from ..assets import DEMO_CONFIG, DEMO_WEIGHTS
from ..configs import load_config
from ..data.synthetic import SyntheticConfig, generate_dataset
from ..model import save_safetensors
from .checkpoints import latest_checkpoint
from .processing import Augmentation
from .trainer import Trainer, TrainOptions

TRAIN_SEED = 1000  # synthetic training set seed (evaluate with any other seed)
VAL_SEED = 1001
TRAIN_SEQUENCES = 80
VAL_SEQUENCES = 8
SEQUENCE_LENGTH = 100
# Short schedule from scratch: template and search crops are mirrored together, never independently
# (the official recipe also mirrors each crop on its own, which slows a small model down).
DEMO_AUGMENTATION = Augmentation(grayscale=0.05, joint_flip=0.5, crop_flip=0.0, brightness=0.2)


def install_weights(weights: Path, **facts) -> None:
    """Copy trained weights to ``assets/demo_model.safetensors`` with the recipe's facts as metadata."""
    metadata = {
        "config": DEMO_CONFIG.name,
        "train_seed": TRAIN_SEED,
        "train_sequences": TRAIN_SEQUENCES,
        "sequence_length": SEQUENCE_LENGTH,
        **facts,
    }
    save_safetensors(load_file(str(weights)), DEMO_WEIGHTS, metadata=metadata)


def main(argv: Optional[Seq[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ostrack_ros.training.demo_model", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--config", type=Path, default=DEMO_CONFIG, help="experiment YAML (default: the demo's)"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("build/demo_model"), help="data, logs, checkpoints"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, min(14, (os.cpu_count() or 2) - 1)),
        help="data loader (and data generation) processes; default: CPU cores - 1",
    )
    parser.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda")
    parser.add_argument(
        "--no-install", action="store_true", help="do not copy the result into ostrack_ros/assets"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)

    started = time.perf_counter()
    synth = SyntheticConfig(length=SEQUENCE_LENGTH)
    train_dir, val_dir = args.work_dir / "synthetic_train", args.work_dir / "synthetic_val"
    for folder, count, seed in ((train_dir, TRAIN_SEQUENCES, TRAIN_SEED), (val_dir, VAL_SEQUENCES, VAL_SEED)):
        if not (folder / "list.txt").is_file():
            generate_dataset(folder, count, seed, synth, workers=max(1, args.workers))
    cfg = load_config(args.config)
    options = TrainOptions(
        train_data=[train_dir],
        val_data=[val_dir],
        output_dir=args.work_dir / "checkpoints",
        device=args.device,
        workers=args.workers,
        seed=TRAIN_SEED,
        augmentation=DEMO_AUGMENTATION,
        resume=args.work_dir / "checkpoints",
    )
    trainer = Trainer(cfg, options)
    result = trainer.fit()
    trainer.close()
    minutes = (time.perf_counter() - started) / 60
    final = result.checkpoint or latest_checkpoint(options.output_dir)
    if final is None:
        raise RuntimeError(f"training wrote no checkpoint into {options.output_dir}")
    weights = final.with_name(final.name.replace(".pth.tar", ".safetensors"))
    print(f"trained {result.epochs} epochs / {result.steps} steps in {minutes:.1f} min; weights {weights}")
    if not args.no_install:
        install_weights(weights, epochs=result.epochs, minutes=minutes, device=str(trainer.ctx.device))
        print(f"installed {DEMO_WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
