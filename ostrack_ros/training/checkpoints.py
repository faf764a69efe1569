"""Training checkpoints: the official ``OSTrack_epNNNN.pth.tar`` layout (plain tensors and numbers only,
loadable with ``torch.load(weights_only=True)``) plus a ``.safetensors`` copy of the weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import torch
from torch import nn

from ..configs import OSTrackConfig, config_to_dict
from ..model import save_safetensors


def checkpoint_name(epoch: int) -> str:
    """Official file name for ``epoch`` (what the official tracker looks for)."""
    return f"OSTrack_ep{epoch:04d}.pth.tar"


def unwrap(model: nn.Module) -> nn.Module:
    """The bare network inside a DistributedDataParallel wrapper (no ``module.`` prefix on save)."""
    return model.module if hasattr(model, "module") else model


def save_checkpoint(
    folder: Path,
    model: nn.Module,
    cfg: OSTrackConfig,
    epoch: int,
    optimizer: Optional[torch.optim.Optimizer] = None,
    scheduler: Any = None,
    scaler: Optional[object] = None,  # a GradScaler (torch.amp or torch.cuda.amp)
    step: int = 0,
) -> Path:
    """Write ``folder/OSTrack_epNNNN.pth.tar`` and ``.safetensors``; returns the ``.pth.tar`` path."""
    folder.mkdir(parents=True, exist_ok=True)
    net = unwrap(model).state_dict()
    state: Dict[str, Any] = {
        "epoch": epoch,
        "step": step,
        "actor_type": "OSTrackActor",
        "net_type": "OSTrack",
        "net": net,
        "net_info": None,
        "constructor": None,
        "stats": None,
        "settings": None,
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "lr_scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "config": config_to_dict(cfg),
    }
    path = folder / checkpoint_name(epoch)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # never leave a half-written checkpoint under the official name
    save_safetensors(
        net,
        folder / checkpoint_name(epoch).replace(".pth.tar", ".safetensors"),
        metadata={"epoch": epoch, "config": cfg.name},
    )
    return path


def latest_checkpoint(folder: Path) -> Optional[Path]:
    """The highest-epoch ``OSTrack_ep*.pth.tar`` in ``folder`` (None when there is none)."""
    found = sorted(Path(folder).glob("OSTrack_ep*.pth.tar"))
    return found[-1] if found else None


def load_training_state(path: Path) -> Dict[str, Any]:
    """A checkpoint written by ``save_checkpoint`` (safe load; optimiser state included)."""
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "net" not in state or "epoch" not in state:
        raise ValueError(f"{path}: not a training checkpoint (needs 'net' and 'epoch' to resume)")
    return state
