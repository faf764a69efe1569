"""uint8 RGB crops -> normalised network input on the model's device, in persistent buffers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CropNormalizer:
    """One upload of the uint8 crop, then ``(x / 255 - mean) / std`` in float32 on the device.

    The arithmetic is the official ``Preprocessor``'s, in the same order, so inputs match it bit for
    bit; all buffers are allocated once per crop size and reused every frame.
    """

    def __init__(self, size: int, device: torch.device) -> None:
        self.size = size
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
        on_gpu = device.type != "cpu"
        self._host = torch.empty(size, size, 3, dtype=torch.uint8, pin_memory=True) if on_gpu else None
        self._pixels = torch.empty(size, size, 3, dtype=torch.uint8, device=device) if on_gpu else None
        self._normalised = torch.empty(1, 3, size, size, device=device)

    def __call__(self, crop: np.ndarray) -> torch.Tensor:
        """(size, size, 3) uint8 RGB -> (1, 3, size, size) tensor; valid until the next call."""
        if self._host is not None:  # page-locked staging so the upload is one async DMA
            self._host.numpy()[...] = crop
            self._pixels.copy_(self._host, non_blocking=True)
            pixels = self._pixels
        else:
            pixels = torch.from_numpy(crop)
        out = self._normalised
        out.copy_(pixels.permute(2, 0, 1).unsqueeze(0))
        return out.div_(255.0).sub_(self.mean).div_(self.std)

    def batch(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """Several (size, size, 3) uint8 crops -> a new (B, 3, size, size) tensor, same arithmetic."""
        pixels = torch.from_numpy(np.stack(crops)).to(self.mean.device)
        return pixels.permute(0, 3, 1, 2).float().div_(255.0).sub_(self.mean).div_(self.std)
