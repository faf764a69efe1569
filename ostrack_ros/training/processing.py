"""Turn a template/search frame pair into network inputs and targets, as the official STARK processing.

Each crop is centred on a jittered copy of the ground-truth box (scale ``exp(N(0, s))``, centre
offset up to ``c * sqrt(w h)``), cut with the tracker's own ``sample_target`` (same geometry as at
test time) and the ground truth is mapped into it. Augmentation follows the official recipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional

import cv2
import numpy as np
import torch

from ..configs import CropConfig, OSTrackConfig
from ..tracking.geometry import sample_target
from .heatmap import center_heatmap


@dataclass(frozen=True)
class Augmentation:
    """Official training augmentation (hard-coded in the official ``base_functions.py``)."""

    grayscale: float = 0.05  # joint: both crops grey
    joint_flip: float = 0.5  # joint: both frames mirrored
    crop_flip: float = 0.5  # per crop, independently for template and search
    brightness: float = 0.2  # per crop, factor in [1 - b, 1 + b]
    # Not official: share of no-target pairs, whose search crop is cut where the target is not (the
    # frame's background, often with look-alikes). Their score map is trained towards zero everywhere
    # and they carry no box loss, so a lost target gets a low score instead of a confident wrong peak.
    no_target: float = 0.0

    @classmethod
    def none(cls) -> "Augmentation":
        """No augmentation (validation)."""
        return cls(0.0, 0.0, 0.0, 0.0)


def jitter_box(box: np.ndarray, crop: CropConfig, rng: np.random.Generator) -> np.ndarray:
    """Official box jitter: log-normal size (``SCALE_JITTER``), uniform centre shift (``CENTER_JITTER``)."""
    size = box[2:4] * np.exp(rng.standard_normal(2) * crop.scale_jitter)
    max_offset = np.sqrt(size.prod()) * crop.center_jitter
    center = box[0:2] + 0.5 * box[2:4] + max_offset * (rng.random(2) - 0.5)
    return np.concatenate([center - 0.5 * size, size])


def box_to_crop(
    box: np.ndarray, crop_center_box: np.ndarray, resize_factor: float, output_size: int
) -> np.ndarray:
    """Official ``transform_image_to_crop`` (normalised): the box in a crop centred on ``crop_center_box``."""
    center_in = box[0:2] + 0.5 * box[2:4]
    center_crop = crop_center_box[0:2] + 0.5 * crop_center_box[2:4]
    center_out = (output_size - 1) / 2 + (center_in - center_crop) * resize_factor
    wh = box[2:4] * resize_factor
    return np.concatenate([center_out - 0.5 * wh, wh]) / output_size


def away_from_target(
    box: np.ndarray, clearance: float, image_shape, rng: np.random.Generator, tries: int = 10
) -> Optional[np.ndarray]:
    """``box`` moved to a random centre whose ``clearance``-sided square lies inside the frame and
    misses ``box`` entirely; None when ``tries`` random centres all touch the target.

    The no-target crop is cut around the moved box, so it has the target's own size, as a lost
    tracker's crop has; the clearance is the jittered crop side, so most such crops miss the target
    and some graze its edge (when the jitter made the clearance smaller than the crop)."""
    height, width = image_shape[:2]
    half = clearance / 2
    if clearance > width or clearance > height:
        return None
    for _ in range(tries):
        center = np.array([rng.uniform(half, width - half), rng.uniform(half, height - half)])
        lo, hi = center - half, center + half
        if (hi <= box[0:2]).any() or (lo >= box[0:2] + box[2:4]).any():
            return np.concatenate([center - 0.5 * box[2:4], box[2:4]])
    return None


def _sees_image(crop, image_shape, output_size: int, stride: int) -> bool:
    """False when the crop holds no image pixel at any stride-grid sample (official "all padding" check)."""
    height, width = image_shape[:2]
    scale = output_size / crop.size
    lo = np.array([max(0, -crop.x1), max(0, -crop.y1)]) * scale
    hi = np.array([min(crop.size, width - crop.x1), min(crop.size, height - crop.y1)]) * scale
    if (hi <= lo).any():
        return False
    grid = np.arange(0, output_size, stride)
    return all(((grid >= lo[i]) & (grid < hi[i])).any() for i in range(2))


class PairProcessor:
    """Frames + boxes of a template/search pair -> normalised image tensors, boxes and heat map."""

    def __init__(self, cfg: OSTrackConfig, augmentation: Augmentation = Augmentation()) -> None:
        self.cfg = cfg
        self.aug = augmentation
        self.mean = np.asarray(cfg.data.mean, np.float32)
        self.std = np.asarray(cfg.data.std, np.float32)
        self.stride = cfg.model.backbone.stride

    def __call__(
        self,
        template_frame: np.ndarray,
        template_box: np.ndarray,
        search_frame: np.ndarray,
        search_box: np.ndarray,
        rng: np.random.Generator,
    ) -> Optional[Dict[str, torch.Tensor]]:
        """One training sample, or None when the official validity checks reject the pair."""
        if rng.random() < self.aug.joint_flip:
            template_frame, template_box = _flip_frame(template_frame, template_box)
            search_frame, search_box = _flip_frame(search_frame, search_box)
        gray = rng.random() < self.aug.grayscale
        # drawn only when enabled, so the official recipe's random stream stays as it was
        no_target = self.aug.no_target > 0 and rng.random() < self.aug.no_target
        sample: Dict[str, torch.Tensor] = {}
        for name, frame, box, crop_cfg in (
            ("template", template_frame, template_box, self.cfg.data.template),
            ("search", search_frame, search_box, self.cfg.data.search),
        ):
            jittered = jitter_box(np.asarray(box, np.float64), crop_cfg, rng)
            crop_side = math.ceil(math.sqrt(max(jittered[2] * jittered[3], 0.0)) * crop_cfg.factor)
            if crop_side < 1:
                return None
            if no_target and name == "search":
                jittered = away_from_target(np.asarray(box, np.float64), crop_side, frame.shape, rng)
                if jittered is None:
                    return None
            crop = sample_target(frame, jittered, crop_cfg.factor, crop_cfg.size)
            if not _sees_image(crop, frame.shape, crop_cfg.size, self.stride):
                return None
            norm_box = box_to_crop(np.asarray(box, np.float64), jittered, crop.resize_factor, crop_cfg.size)
            image = crop.image
            if gray:
                image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
            if rng.random() < self.aug.crop_flip:
                image = image[:, ::-1]
                norm_box = np.array([1 - norm_box[0] - norm_box[2], norm_box[1], norm_box[2], norm_box[3]])
            brightness = rng.uniform(max(0.0, 1 - self.aug.brightness), 1 + self.aug.brightness)
            pixels = np.clip(image.astype(np.float32) * (brightness / 255.0), 0.0, 1.0)
            pixels = (pixels - self.mean) / self.std
            sample[name] = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))
            if no_target and name == "search":
                norm_box = np.zeros(4)  # no box: the loss skips it (``has_target``)
            sample[f"{name}_box"] = torch.from_numpy(norm_box.astype(np.float32))
        grid = self.cfg.search_grid
        heatmap = np.zeros((grid, grid), np.float32)
        if not no_target:
            heatmap = center_heatmap(sample["search_box"].numpy(), grid)
        sample["heatmap"] = torch.from_numpy(heatmap)
        sample["has_target"] = torch.tensor(not no_target)
        return sample


def _flip_frame(frame: np.ndarray, box: np.ndarray):
    """Mirror a frame and its x, y, w, h box horizontally."""
    box = np.asarray(box, np.float64)
    return np.ascontiguousarray(frame[:, ::-1]), np.array(
        [frame.shape[1] - box[0] - box[2], box[1], box[2], box[3]]
    )
