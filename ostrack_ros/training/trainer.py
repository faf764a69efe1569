"""The OSTrack training loop: one process, or one rank of a ``torchrun`` DistributedDataParallel job.

Everything about the network, data geometry, loss weights and schedule comes from the experiment
config; ``TrainOptions`` only says where the data and outputs live and how this machine runs.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from typing import Sequence as Seq

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from ..configs import OSTrackConfig
from ..data import read_dataset
from ..model import build_model, ce_template_mask, load_state_dict_file, load_weights
from .ce_schedule import keep_rate_for_epoch
from .checkpoints import latest_checkpoint, load_training_state, save_checkpoint, unwrap
from .dataset import PairDataset
from .distributed import DistContext, init_distributed, mean_over_ranks, shutdown
from .losses import LossWeights, tracking_loss
from .metrics_log import MetricsLog
from .optim import build_optimizer, build_scheduler
from .processing import Augmentation, PairProcessor
from .sampler import PairSampler

log = logging.getLogger(__name__)


@dataclass
class TrainOptions:
    """Run-time options that are not part of the experiment (paths, machine, bookkeeping)."""

    train_data: List[Path]
    output_dir: Path
    val_data: List[Path] = field(default_factory=list)
    init_weights: Optional[Path] = None  # fine-tune from an official (or any) checkpoint
    resume: Optional[Path] = None  # a training checkpoint, or the output dir's latest
    device: str = "auto"
    workers: Optional[int] = None  # None: TRAIN.NUM_WORKER
    seed: int = 0
    max_steps: Optional[int] = None  # stop early after this many optimiser steps (smoke runs)
    tensorboard: bool = True
    progress: bool = True
    augmentation: Augmentation = field(default_factory=Augmentation)


@dataclass
class TrainResult:
    """What a run did: epochs finished, steps taken, per-step training losses, last checkpoint."""

    epochs: int
    steps: int
    losses: List[float]
    checkpoint: Optional[Path]


class Trainer:
    """Builds data, network, optimiser and schedule from the config and runs epochs."""

    def __init__(self, cfg: OSTrackConfig, options: TrainOptions, ctx: Optional[DistContext] = None) -> None:
        self.cfg = cfg
        self.opt = options
        self.ctx = ctx or init_distributed(options.device)
        torch.manual_seed(options.seed)
        self.model = build_model(cfg, training=True).to(self.ctx.device)
        if options.init_weights is not None:
            load_weights(
                self.model, load_state_dict_file(options.init_weights), source=str(options.init_weights)
            )
        self.optimizer = build_optimizer(self.model, cfg)
        self.scheduler = build_scheduler(self.optimizer, cfg)
        self.amp_dtype = torch.bfloat16 if self.ctx.device.type == "cpu" else torch.float16
        self.scaler = grad_scaler(self.ctx.device, cfg.train.amp and self.amp_dtype == torch.float16)
        self.loss_weights = LossWeights(1.0, cfg.train.giou_weight, cfg.train.l1_weight)
        self.start_epoch = 0
        self.step = 0
        if options.resume is not None:
            self._resume(options.resume)
        torch.manual_seed(
            options.seed + 1000 * self.ctx.rank + self.start_epoch
        )  # drop path differs per rank
        if self.ctx.distributed:
            ids = [self.ctx.device.index] if self.ctx.device.type == "cuda" else None
            # pos_embed / cls_token are kept for checkpoint compatibility but unused: find_unused_parameters
            self.model = DistributedDataParallel(self.model, device_ids=ids, find_unused_parameters=True)
        self.train_set = self._dataset(
            options.train_data, cfg.data.train.sample_per_epoch, options.augmentation, options.seed
        )
        self.val_set = (
            self._dataset(
                options.val_data, cfg.data.val.sample_per_epoch, Augmentation.none(), options.seed + 1
            )
            if options.val_data
            else None
        )
        self.metrics = (
            MetricsLog(options.output_dir / "logs", options.tensorboard) if self.ctx.is_main else None
        )

    def _dataset(self, paths: Seq[Path], samples: int, augmentation: Augmentation, seed: int) -> PairDataset:
        datasets = [read_dataset(p) for p in paths]
        ratios = self.cfg.data.train.datasets_ratio
        if len(ratios) != len(datasets):
            ratios = None  # the YAML names other datasets: weigh the given ones by sequence count
        sampler = PairSampler(datasets, ratios, self.cfg.data.max_sample_interval, self.cfg.data.sampler_mode)
        if self.ctx.is_main:
            log.info("%d sequences from %s", len(sampler.sequences), ", ".join(str(p) for p in paths))
        return PairDataset(sampler, PairProcessor(self.cfg, augmentation), samples, seed)

    def _loader(self, dataset: PairDataset, epoch: int, shuffle: bool) -> DataLoader:
        dataset.set_epoch(epoch)
        sampler = None
        if self.ctx.distributed:
            sampler = DistributedSampler(
                dataset,
                self.ctx.world_size,
                self.ctx.rank,
                shuffle=shuffle,
                seed=self.opt.seed,
                drop_last=True,
            )
            sampler.set_epoch(epoch)
        per_rank = max(1, self.cfg.train.batch_size)
        workers = self.cfg.train.num_worker if self.opt.workers is None else self.opt.workers
        return DataLoader(
            dataset,
            batch_size=per_rank,
            sampler=sampler,
            shuffle=shuffle and sampler is None,
            num_workers=workers,
            drop_last=True,
            persistent_workers=False,
            pin_memory=self.ctx.device.type == "cuda",
        )

    def _resume(self, path: Path) -> None:
        if path.is_dir() or (not path.exists() and not path.suffix):  # an output folder, maybe not made yet
            found = latest_checkpoint(path) if path.is_dir() else None
            if found is None:
                log.info("no checkpoint in %s: starting from scratch", path)
                return
            path = found
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint to resume from not found: {path}")
        state = load_training_state(path)
        load_weights(self.model, state["net"], source=str(path))
        if state.get("optimizer"):
            self.optimizer.load_state_dict(state["optimizer"])
        if state.get("lr_scheduler"):
            self.scheduler.load_state_dict(state["lr_scheduler"])
        if state.get("scaler") and self.scaler.is_enabled():
            self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = int(state["epoch"])
        self.step = int(state.get("step", 0) or 0)
        if self.ctx.is_main:
            log.info("resumed from %s at epoch %d", path, self.start_epoch)

    def _forward_loss(self, batch: Dict[str, torch.Tensor], keep_rate: Optional[float]):
        dev = self.ctx.device
        template = batch["template"].to(dev, non_blocking=True)
        search = batch["search"].to(dev, non_blocking=True)
        mask = None
        if self.cfg.model.backbone.uses_ce:
            mask = ce_template_mask(self.cfg, template.shape[0], dev, boxes=batch["template_box"])
        with torch.autocast(dev.type, dtype=self.amp_dtype, enabled=self.cfg.train.amp):
            outputs = self.model(template, search, ce_template_mask=mask, ce_keep_rate=keep_rate)
        return tracking_loss(
            outputs,
            batch["search_box"].to(dev),
            batch["heatmap"].to(dev),
            self.loss_weights,
            has_target=batch.get("has_target"),
        )

    def train_epoch(self, epoch: int, losses: List[float]) -> Dict[str, float]:
        """One pass over ``DATA.TRAIN.SAMPLE_PER_EPOCH`` samples; returns the epoch's mean stats."""
        self.model.train()
        keep_rate = keep_rate_for_epoch(self.cfg, epoch)
        loader = self._loader(self.train_set, epoch, shuffle=True)
        sums: Dict[str, float] = {}
        count = 0
        started = time.perf_counter()
        bar = tqdm(
            loader,
            desc=f"epoch {epoch}",
            disable=not (self.opt.progress and self.ctx.is_main),
            dynamic_ncols=True,
            leave=False,
        )
        for batch in bar:
            loss, stats = self._forward_loss(batch, keep_rate)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.cfg.train.grad_clip_norm > 0:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip_norm)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.step += 1
            count += 1
            losses.append(stats["loss"])
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
            bar.set_postfix(loss=f"{stats['loss']:.3f}", iou=f"{stats['iou']:.3f}")
            if self.metrics is not None and self.step % max(1, self.cfg.train.print_interval) == 0:
                self.metrics.write(
                    "train_step", self.step, {**stats, "lr": self.optimizer.param_groups[0]["lr"]}, epoch
                )
            if self.opt.max_steps is not None and self.step >= self.opt.max_steps:
                break
        means = {k: v / max(count, 1) for k, v in sums.items()}
        means = mean_over_ranks(means, self.ctx)
        means["ce_keep_rate"] = 1.0 if keep_rate is None else keep_rate
        means["lr"] = self.optimizer.param_groups[0]["lr"]
        means["seconds"] = time.perf_counter() - started
        return means

    @torch.no_grad()
    def validate(self, epoch: int) -> Dict[str, float]:
        """Mean loss and IoU on ``DATA.VAL.SAMPLE_PER_EPOCH`` unaugmented pairs of the validation data."""
        self.model.eval()
        keep_rate = keep_rate_for_epoch(self.cfg, epoch)
        sums: Dict[str, float] = {}
        count = 0
        for batch in self._loader(self.val_set, epoch, shuffle=False):
            _, stats = self._forward_loss(batch, keep_rate)
            count += 1
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
        return mean_over_ranks({k: v / max(count, 1) for k, v in sums.items()}, self.ctx)

    def fit(self) -> TrainResult:
        """Train from ``start_epoch + 1`` to ``TRAIN.EPOCH``; rank 0 logs and checkpoints every epoch."""
        losses: List[float] = []
        checkpoint = None
        epoch = self.start_epoch
        try:
            for epoch in range(self.start_epoch + 1, self.cfg.train.epoch + 1):
                stats = self.train_epoch(epoch, losses)
                self.scheduler.step()
                if self.val_set is not None and epoch % max(1, self.cfg.train.val_epoch_interval) == 0:
                    stats.update({f"val_{k}": v for k, v in self.validate(epoch).items()})
                if self.ctx.is_main:
                    self.metrics.write("train_epoch", self.step, stats, epoch)
                    checkpoint = save_checkpoint(
                        self.opt.output_dir,
                        self.model,
                        self.cfg,
                        epoch,
                        self.optimizer,
                        self.scheduler,
                        self.scaler,
                        self.step,
                    )
                    log.info("epoch %d: %s", epoch, " ".join(f"{k}={v:.4g}" for k, v in stats.items()))
                if not math.isfinite(stats["loss"]):
                    raise FloatingPointError(f"training loss became {stats['loss']} at epoch {epoch}")
                if self.opt.max_steps is not None and self.step >= self.opt.max_steps:
                    break
        finally:
            if self.metrics is not None:
                self.metrics.close()
        return TrainResult(epoch, self.step, losses, checkpoint)

    def close(self) -> None:
        shutdown(self.ctx)

    @property
    def network(self):
        """The bare network (unwrapped from DDP)."""
        return unwrap(self.model)


def grad_scaler(device: torch.device, enabled: bool):
    """fp16 loss scaling: ``torch.amp.GradScaler`` (torch >= 2.3), else the CUDA one of older torch
    (JetPack 5 ships 2.0/2.1), which only ever scales on CUDA."""
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device.type, enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled and device.type == "cuda")
