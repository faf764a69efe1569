"""Process-group set-up for ``torchrun`` (env:// rendezvous): gloo on CPU, nccl on CUDA."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job; ``world_size == 1`` means plain single-process training."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistContext:
    """Join the ``torchrun`` job described by RANK / WORLD_SIZE / LOCAL_RANK, if any."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    if use_cuda:
        index = local_rank if world_size > 1 or device == "auto" else (torch.device(device).index or 0)
        dev = torch.device("cuda", index)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return DistContext(rank, world_size, local_rank, dev)


def mean_over_ranks(values: Dict[str, float], ctx: DistContext) -> Dict[str, float]:
    """Average scalar stats over all ranks (identity when not distributed)."""
    if not ctx.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(tensor)
    return dict(zip(keys, (tensor / ctx.world_size).tolist()))


def shutdown(ctx: DistContext) -> None:
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()
