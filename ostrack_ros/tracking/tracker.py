"""The OSTrack tracker: the official test-time loop around an ``OSTrack`` network.

``initialize`` cuts and embeds the template once; every ``track`` call crops a search region around
the previous state, runs the network, picks the Hann-windowed score peak, maps the box back to the
image and clips it, exactly like ``lib/test/tracker/ostrack.py`` of the official code.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import torch

from ..configs import OSTrackConfig, load_config
from ..model import ce_template_mask, decode_peak, resolve_device, set_precision
from ..model.network_contract import FrameOutput, TrackingNetwork
from .auto_precision import resolve_precision
from .errors import TrackingError
from .geometry import Crop, box_in_crop, clip_box, map_box_back, sample_target
from .inputs import PRECISIONS, as_dtype, check_box, check_image
from .preprocess import CropNormalizer
from .result import Box, TrackResult
from .window import hann2d

CLIP_MARGIN = 10  # pixels of the box kept inside the image (official clip_box margin)


@dataclass(frozen=True)
class SearchStep:
    """One prepared ``track`` step: the crops cut around the previous state, ready for the network."""

    prev: Box  # the state the crop was cut around
    image_size: Tuple[int, int]  # (height, width) of the frame
    crop: Crop | None  # the official search crop; None for a step of ``extra`` crops only
    extra_crops: Tuple[Crop, ...]  # crops of the ``extra`` boxes
    search: torch.Tensor  # (crops, 3, Hs, Ws) normalised, the search crop (if any) first
    with_kept_mask: bool


@dataclass(frozen=True)
class TrackStep:
    """Intermediates of the last ``track`` call, left on the device (for overlays, tests, debugging).
    A step of ``extra`` crops only has no ``crop``, ``response``, ``window_box`` or ``preclip_box``."""

    crop: Crop | None
    output: FrameOutput  # the network's output for the batch (search crop first)
    response: torch.Tensor | None  # (1, 1, Hs, Ws) Hann-windowed score map, float32
    window_box: torch.Tensor | None  # (1, 4) normalised cx, cy, w, h decoded at the windowed peak
    preclip_box: Box | None  # map_box_back result before clip_box
    extra_crops: Tuple[Crop, ...] = ()  # crops of the ``extra`` boxes, batched with the search crop
    extra_peaks: np.ndarray | None = None  # (E, 5) raw score peak and normalised cx, cy, w, h per crop


class Tracker:
    """Single-object OSTrack tracker with the pytracking-style ``initialize`` / ``track`` contract.

    ``model`` is any ``TrackingNetwork``: an ``OSTrack`` module is moved to ``device`` and put in
    (mixed) precision ``dtype`` in place (see ``ostrack_ros.model.set_precision``) and in eval mode; a
    runtime backend must have been built for that device and precision. Not thread-safe: one tracker
    per target and thread.
    """

    def __init__(
        self,
        model: TrackingNetwork,
        config: str | os.PathLike | OSTrackConfig,
        device: str | torch.device = "cpu",
        dtype: torch.dtype | str = torch.float32,
    ) -> None:
        """``dtype``: fp32, fp16/bf16 (mixed, see ``set_precision``), int8 (onnxruntime backend) or auto."""
        self.config = cfg = load_config(config)
        try:
            self.device = resolve_device(device)
        except ValueError as exc:
            raise TrackingError(str(exc)) from None
        backend = "torch" if isinstance(model, torch.nn.Module) else getattr(model, "name", "torch")
        self.dtype = as_dtype(resolve_precision(dtype, self.device, backend)[0])
        if isinstance(model, torch.nn.Module):
            try:
                model = set_precision(model.to(device=self.device), self.dtype).eval()
            except ValueError as exc:  # e.g. int8, the onnxruntime backend's graph
                raise TrackingError(str(exc)) from None
        elif not _same_device(model.device, self.device) or model.dtype != self.dtype:
            raise TrackingError(
                f"the {backend} network was built for {model.device} in {model.dtype}, "
                f"not {self.device} in {self.dtype}; build it for the tracker's device "
                "and precision"
            )
        self.model: TrackingNetwork = model
        self.template_factor, self.template_size = cfg.test.template_factor, cfg.test.template_size
        self.search_factor, self.search_size = cfg.test.search_factor, cfg.test.search_size
        if self.template_size != cfg.data.template.size or self.search_size != cfg.data.search.size:
            raise TrackingError(
                f"TEST sizes ({self.template_size}/{self.search_size}) differ from the DATA sizes the "
                f"network was built for ({cfg.data.template.size}/{cfg.data.search.size})"
            )
        grid = self.search_size // cfg.model.backbone.stride  # official: TEST.SEARCH_SIZE // STRIDE
        if model.search_grid != grid:
            raise TrackingError(
                f"the network's {model.search_grid}-cell score map does not match the "
                f"config's {grid} (network built for another config?)"
            )
        self.window = hann2d(grid, grid).to(self.device)
        self._template_input = CropNormalizer(self.template_size, self.device)
        self._search_input = CropNormalizer(self.search_size, self.device)
        self._state: Box | None = None
        self._template_tokens: torch.Tensor | None = None
        self._ce_mask: torch.Tensor | None = None
        self.template_crop: Crop | None = None
        self.last_step: TrackStep | None = None
        self.frame_index = 0

    @classmethod
    def from_files(
        cls,
        config: str | os.PathLike | OSTrackConfig,
        weights: str | os.PathLike | None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype | str = torch.float32,
        backend: str = "torch",
    ) -> Tracker:
        """Build the network for ``config`` on ``backend``, load ``weights`` strictly (None: random init)
        and wrap it in a tracker: the library form of ``model_choice.load_tracker``, without the user
        defaults (demo model, fp16 refused on CPU) of ``choose_model``."""
        from .model_choice import ModelChoice, load_network, resolve_runtime

        cfg = load_config(config)
        dev, precision, _ = resolve_runtime(device, dtype, backend)
        path = None if weights is None else str(weights)
        choice = ModelChoice(cfg.name, path, str(dev), precision, backend)
        return cls(load_network(choice, cfg), cfg, device=dev, dtype=choice.dtype)

    @property
    def precision(self) -> str:
        """The precision's name (fp32, fp16, bf16, int8), with ``auto`` resolved."""
        return next(name for name, dtype in PRECISIONS.items() if dtype == self.dtype)

    @property
    def state(self) -> Box | None:
        """The current target box (x, y, w, h); None before ``initialize``."""
        return self._state

    @state.setter
    def state(self, box: Sequence[float]) -> None:
        """Overwrite the target box (re-detection, teacher forcing); the template stays."""
        if self._template_tokens is None:
            raise TrackingError("set the state only after initialize()")
        self._state = check_box(box)

    @property
    def initialized(self) -> bool:
        return self._template_tokens is not None

    @torch.inference_mode()
    def initialize(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Cut the template around ``box`` (x, y, w, h pixels) in the RGB frame and embed it once."""
        image = check_image(image)
        box = check_box(box, image.shape)
        crop = sample_target(image, box, self.template_factor, self.template_size)
        tokens = self.model.embed_template(self._template_input(crop.image))
        ce_mask = None
        if self.config.model.backbone.uses_ce:
            boxes = None
            if self.config.model.backbone.ce_template_range == "GT_BOX":
                boxes = box_in_crop(box, crop.resize_factor, self.template_size).to(self.device)
            ce_mask = ce_template_mask(self.config, 1, self.device, boxes)
        self._template_tokens, self._ce_mask, self.template_crop = tokens, ce_mask, crop
        self._state = box
        self.frame_index = 0
        self.last_step = None

    def sibling(self) -> Tracker:
        """A tracker for another target on the same network: shares the model, config and buffers, not
        the target (several targets batched in one forward: ``multi_target``)."""
        other = copy.copy(self)
        other._state = other._template_tokens = other._ce_mask = None
        other.template_crop = other.last_step = None
        other.frame_index = 0
        return other

    @torch.inference_mode()
    def track(
        self,
        image: np.ndarray,
        with_kept_mask: bool = False,
        extra: Sequence[Sequence[float]] = (),
        follow: bool = True,
    ) -> TrackResult:
        """Locate the target in the next RGB frame; ``with_kept_mask`` also returns the CE token mask.

        ``extra`` boxes (x, y, w, h) get their own search crops, run in the same batch against the
        cached template (re-detection tiles); their raw, un-windowed score peaks land in
        ``last_step.extra_peaks``. Without them the step is exactly the official one. ``follow``
        False skips the official search crop: only the ``extra`` crops run and the state stays."""
        step = self.prepare(image, with_kept_mask, extra, follow=follow)
        return self.finish(step, self._forward(step.search))

    def prepare(
        self,
        image: np.ndarray,
        with_kept_mask: bool = False,
        extra: Sequence[Sequence[float]] = (),
        fresh: bool = False,
        follow: bool = True,
    ) -> SearchStep:
        """First half of ``track``: the search crops around the state (and ``extra`` boxes), normalised.

        The search crop goes through a reused input buffer, valid until the next ``prepare`` of this
        tracker or a sibling; ``fresh`` puts all crops in a new tensor instead (steps prepared ahead
        of a shared forward). ``follow`` False: no search crop, only the ``extra`` ones."""
        if self._template_tokens is None or self._state is None:
            raise TrackingError("track() called before initialize()")
        image = check_image(image)
        height, width = image.shape[:2]
        prev = self._state
        if prev[0] >= width or prev[1] >= height:  # clip_box keeps x, y >= 0 and w, h >= 10
            raise TrackingError(
                f"the target state {prev} lies outside this {width}x{height} frame "
                "(did the frame size change? re-initialize)"
            )
        extra_crops = tuple(
            sample_target(image, check_box(box), self.search_factor, self.search_size) for box in extra
        )
        if not follow:
            if not extra_crops:
                raise TrackingError("a step without the search crop needs extra boxes")
            search = self._search_input.batch([c.image for c in extra_crops])
            return SearchStep(prev, (height, width), None, extra_crops, search, False)
        crop = sample_target(image, prev, self.search_factor, self.search_size)
        if fresh:
            search = self._search_input.batch([crop.image, *(c.image for c in extra_crops)])
        else:
            search = self._search_input(crop.image)
            if extra_crops:
                search = torch.cat([search, self._search_input.batch([c.image for c in extra_crops])])
        return SearchStep(prev, (height, width), crop, extra_crops, search, with_kept_mask)

    @torch.inference_mode()
    def finish(self, step: SearchStep, out: FrameOutput) -> TrackResult:
        """Second half of ``track``: the official peak, box and state update from the network's output
        for ``step.search`` (the same crops, in the same order)."""
        if step.crop is None:
            return self._finish_extra(step, out)
        height, width = step.image_size
        crop, extra_crops = step.crop, step.extra_crops
        score_map = out.score_map[:1].float()
        response = self.window * score_map
        window_box = decode_peak(response, out.size_map[:1].float(), out.offset_map[:1].float())
        peak = response.flatten(1).argmax(dim=1, keepdim=True)
        score = score_map.flatten(1).gather(1, peak)
        # Official: scale back as a float32 tensor, then .tolist(); the rest runs on Python floats.
        parts = [(window_box * self.search_size / crop.resize_factor).view(-1), score.view(-1)]
        kept = out.kept_indices
        cells = score_map[0, 0].numel()
        with_mask = step.with_kept_mask and bool(kept)
        if with_mask:
            alive = torch.zeros(cells, device=score.device)
            parts.append(alive.index_fill_(0, kept[-1][0], 1.0))
        if extra_crops:
            parts.append(
                raw_peaks(
                    out.score_map[1:].float(), out.size_map[1:].float(), out.offset_map[1:].float()
                ).view(-1)
            )
        host = torch.cat(parts).cpu()  # the frame's only device -> host transfer
        preclip = map_box_back(host[:4].tolist(), step.prev, self.search_size, crop.resize_factor)
        self._state = clip_box(preclip, height, width, margin=CLIP_MARGIN)
        self.frame_index += 1
        mask_end = 5 + (cells if with_mask else 0)
        extra_peaks = host[mask_end:].numpy().reshape(-1, 5) if extra_crops else None
        self.last_step = TrackStep(crop, out, response, window_box, preclip, extra_crops, extra_peaks)
        kept_mask = None
        if with_mask:
            kept_mask = host[5:mask_end].numpy().reshape(score_map.shape[-2:]).astype(bool)
        return TrackResult(
            box=self._state,
            score=float(host[4]),
            search_box=crop.box,
            kept_mask=kept_mask,
            frame_index=self.frame_index,
        )

    def _finish_extra(self, step: SearchStep, out: FrameOutput) -> TrackResult:
        """``finish`` for a step of extra crops only: their peaks; the state stays where it was."""
        peaks = raw_peaks(out.score_map.float(), out.size_map.float(), out.offset_map.float())
        self.frame_index += 1
        self.last_step = TrackStep(None, out, None, None, None, step.extra_crops, peaks.cpu().numpy())
        return TrackResult(step.prev, math.nan, None, None, self.frame_index)

    @property
    def template_tokens(self) -> torch.Tensor | None:
        """The cached template embedding (1, Nz, C); None before ``initialize``."""
        return self._template_tokens

    @property
    def ce_mask(self) -> torch.Tensor | None:
        """The template's CE mask (1, Nz) (None without CE or before ``initialize``)."""
        return self._ce_mask

    def _forward(self, search: torch.Tensor) -> FrameOutput:
        """The network on a (B, 3, Hs, Ws) search batch against the cached template."""
        return run_network(self.model, self._template_tokens, search, self._ce_mask)


def run_network(
    model: TrackingNetwork,
    template_tokens: torch.Tensor,
    search: torch.Tensor,
    ce_mask: torch.Tensor | None = None,
) -> FrameOutput:
    """``model`` on a (B, 3, Hs, Ws) search batch against template tokens (1 or B, Nz, C) and CE masks
    (1 or B, Nz); networks built for fewer crops per call (``max_batch``: the exported graphs take one)
    run the batch in slices."""
    batch = search.shape[0]
    limit = model.max_batch or batch
    if batch <= limit:
        if ce_mask is not None and batch > 1 and ce_mask.shape[0] == 1:
            ce_mask = ce_mask.expand(batch, -1)
        return model.track_frame(template_tokens, search, ce_mask)

    def rows(tensor: torch.Tensor | None, start: int) -> torch.Tensor | None:
        if tensor is None or tensor.shape[0] == 1:
            return tensor
        return tensor[start : start + limit]

    return FrameOutput.concat(
        [
            run_network(model, rows(template_tokens, i), search[i : i + limit], rows(ce_mask, i))
            for i in range(0, batch, limit)
        ]
    )


def _same_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:<current>`` are the same device."""

    def index(d: torch.device) -> int:
        return d.index if d.index is not None else (torch.cuda.current_device() if d.type == "cuda" else 0)

    return a.type == b.type and index(a) == index(b)


def raw_peaks(score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor) -> torch.Tensor:
    """(B, 5): each map's un-windowed peak score and the normalised cx, cy, w, h decoded there."""
    return torch.cat(
        [score_map.flatten(1).amax(dim=1, keepdim=True), decode_peak(score_map, size_map, offset_map)], dim=1
    )
