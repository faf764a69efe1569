"""Torch dataset of processed template/search pairs, reproducible per (seed, epoch, index)."""

from __future__ import annotations

from typing import Dict

import numpy as np
import torch
from torch.utils.data import Dataset

from .processing import PairProcessor
from .sampler import PairSampler

MAX_TRIES = 100


class PairDataset(Dataset):
    """``samples_per_epoch`` random pairs; call ``set_epoch`` so every epoch draws new ones.

    Each index seeds its own generator, so any worker or DDP rank produces the same sample for it.
    """

    def __init__(
        self, sampler: PairSampler, processor: PairProcessor, samples_per_epoch: int, seed: int = 0
    ) -> None:
        if samples_per_epoch < 1:
            raise ValueError(f"samples per epoch must be >= 1, got {samples_per_epoch}")
        self.sampler = sampler
        self.processor = processor
        self.samples_per_epoch = samples_per_epoch
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __getitem__(self, index: int) -> Dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        for _ in range(MAX_TRIES):
            pair = self.sampler.sample(rng)
            seq = self.sampler.sequences[pair.sequence]
            sample = self.processor(
                seq.frame(pair.template),
                seq.boxes[pair.template],
                seq.frame(pair.search),
                seq.boxes[pair.search],
                rng,
            )
            if sample is not None:
                return sample
        raise RuntimeError(
            f"no valid training pair after {MAX_TRIES} draws; are the boxes tiny or outside the frames?"
        )
