"""Rebuild the embedded demo model: synthetic data -> the training pipeline -> ``assets/``.

``python -m ostrack_ros.training.demo_model`` (``make train-demo``) writes seeded synthetic sets and
trains the first two stages with the ordinary trainer: stage 1 from scratch with
``demo_model_stage1.yaml`` on 80 long sequences, stage 2 fine-tunes with ``demo_model_stage2.yaml`` in
rounds, each on 400 short sequences of new targets (stage 1 alone overfits its 80 targets). Stage 3
(``demo_model_diverse``) continues from the result (``stage2_weights``) and installs the shipped model;
stages 1-2 crop at 64/128 px, the shipped network at 96/192, so their result is never installed.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from typing import Sequence as Seq

import torch
from safetensors.torch import load_file

from ..assets import ASSET_DIR, DEMO_CONFIG, DEMO_WEIGHTS
from ..configs import load_config
from ..data.synthetic import SyntheticConfig, generate_dataset
from ..model import save_safetensors
from .checkpoints import latest_checkpoint
from .processing import Augmentation
from .trainer import Trainer, TrainOptions

STAGE1_CONFIG = ASSET_DIR / "demo_model_stage1.yaml"
STAGE2_CONFIG = ASSET_DIR / "demo_model_stage2.yaml"
WORK_DIR = Path("build/demo_model")


@dataclass(frozen=True)
class SyntheticSet:
    """One seeded synthetic set of the recipe."""

    name: str
    seed: int
    sequences: int
    length: int


STAGE1_DATA = SyntheticSet("synthetic_train", 1000, 80, 100)
# Stage 2 runs one round per set, each on targets the network has not seen yet.
STAGE2_DATA = (
    SyntheticSet("synthetic_diverse_2000", 2000, 400, 30),
    SyntheticSet("synthetic_diverse_2001", 2001, 400, 30),
    SyntheticSet("synthetic_diverse_2002", 2002, 400, 30),
    SyntheticSet("synthetic_diverse_2003", 2003, 400, 30),
    SyntheticSet("synthetic_diverse_2004", 2004, 400, 30),
    SyntheticSet("synthetic_diverse_2005", 2005, 400, 30),
)
VAL_DATA = SyntheticSet("synthetic_val", 1001, 8, 100)  # evaluate with any other seed
TRAIN_SEED = STAGE1_DATA.seed
# Short schedule from scratch: template and search crops are mirrored together, never independently
# (the official recipe also mirrors each crop on its own, which slows a small model down).
DEMO_AUGMENTATION = Augmentation(grayscale=0.05, joint_flip=0.5, crop_flip=0.0, brightness=0.2)


def install_weights(weights: Path, **facts) -> None:
    """Copy trained weights to ``assets/demo_model.safetensors`` with the recipe's facts as metadata."""
    metadata = {
        "config": DEMO_CONFIG.name,
        "stage1_config": STAGE1_CONFIG.name,
        "stage2_config": STAGE2_CONFIG.name,
        "data_seeds": ",".join(str(d.seed) for d in (STAGE1_DATA, *STAGE2_DATA)),
        **facts,
    }
    save_safetensors(load_file(str(weights)), DEMO_WEIGHTS, metadata=metadata)


def _make_data(root: Path, spec: SyntheticSet, workers: int) -> Path:
    folder = root / spec.name
    if not (folder / "list.txt").is_file():
        generate_dataset(
            folder, spec.sequences, spec.seed, SyntheticConfig(length=spec.length), workers=workers
        )
    return folder


def _train_stage(
    config: Path,
    data,
    val: Path,
    out: Path,
    args,
    init: Optional[Path],
    augmentation: Augmentation = DEMO_AUGMENTATION,
) -> Trainer:
    """Run (or resume) one stage on ``data`` (one dataset folder or a list); returns the trainer."""
    resume = out if latest_checkpoint(out) is not None else None
    options = TrainOptions(
        train_data=list(data) if isinstance(data, (list, tuple)) else [data],
        val_data=[val],
        output_dir=out,
        device=args.device,
        workers=args.workers,
        seed=TRAIN_SEED,
        augmentation=augmentation,
        resume=resume,
        init_weights=None if resume else init,
    )
    trainer = Trainer(load_config(config), options)
    trainer.fit()
    trainer.close()
    return trainer


def stage2_weights(work_dir: Path = WORK_DIR) -> Path:
    """The weights stage 2 ends with under ``work_dir`` (its last round's last epoch)."""
    return _final_weights(work_dir / f"stage2_round{len(STAGE2_DATA)}")


def _final_weights(folder: Path) -> Path:
    final = latest_checkpoint(folder)
    if final is None:
        raise RuntimeError(f"training wrote no checkpoint into {folder}")
    return final.with_name(final.name.replace(".pth.tar", ".safetensors"))


def main(argv: Optional[Seq[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ostrack_ros.training.demo_model", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR, help="data, logs, checkpoints")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, min(14, (os.cpu_count() or 2) - 1)),
        help="data loader (and data generation) processes; default: CPU cores - 1",
    )
    parser.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda")
    parser.add_argument(
        "--stage1-weights",
        type=Path,
        help="skip stage 1 and fine-tune these weights (e.g. a stage-1 result kept elsewhere)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)

    started = time.perf_counter()
    workers = max(1, args.workers)
    val = _make_data(args.work_dir, VAL_DATA, workers)
    stage1 = args.stage1_weights
    if stage1 is None:
        data = _make_data(args.work_dir, STAGE1_DATA, workers)
        _train_stage(STAGE1_CONFIG, data, val, args.work_dir / "stage1", args, init=None)
        stage1 = _final_weights(args.work_dir / "stage1")
    weights = stage1
    for round_index, spec in enumerate(STAGE2_DATA, start=1):
        data = _make_data(args.work_dir, spec, workers)
        out = args.work_dir / f"stage2_round{round_index}"
        trainer = _train_stage(STAGE2_CONFIG, data, val, out, args, init=weights)
        weights = _final_weights(out)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"demo model stages 1-2 trained in {minutes:.1f} min on {trainer.ctx.device}; weights {weights} "
        f"(next: python -m ostrack_ros.training.demo_model_diverse --init-weights {weights} --install)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
