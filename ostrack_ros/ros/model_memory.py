"""Giving a dropped model's memory back at once: host objects to the collector, cached CUDA blocks to
the driver (a managed node's ``cleanup`` promises both)."""

from __future__ import annotations

import gc
import sys


def release_model_memory() -> None:
    """Collect now, then empty torch's CUDA cache if torch is loaded and CUDA in use (never imports torch)."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


__all__ = ["release_model_memory"]
