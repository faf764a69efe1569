"""Common shape of the inference backends: they stand in for ``OSTrack`` inside the tracker."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch

from ..configs import OSTrackConfig
from ..model import ce_template_mask, decode_peak
from ..model.candidate_elimination import template_row_weights
from ..model.factory import resolve_device

_UNCHECKED = object()  # no ce_template_mask checked yet


class BackendError(RuntimeError):
    """A backend that cannot be created or used here (missing runtime, wrong device, foreign graph)."""


class FrameBackend:
    """Model-like wrapper around a per-frame graph runner.

    Offers what the tracker calls on the network: ``embed_template(template) -> tokens`` and
    ``forward_tokens(tokens, search, ce_template_mask) -> dict`` with ``score_map``, ``size_map``,
    ``offset_map``, ``pred_boxes`` and ``kept_indices`` (int64, one (1, k) tensor per CE stage), plus
    ``to``/``eval`` for the tracker's bookkeeping. Subclasses implement ``_embed`` and ``_frame``.
    """

    name = "graph"
    io_dtype = torch.float32  # dtype the runner takes template/search tensors in
    max_batch = 1  # graphs are built for one search crop; the tracker splits larger batches

    def __init__(self, config: OSTrackConfig, device: torch.device, weights_input: bool) -> None:
        self.config = config
        self.device = device
        self.weights_input = weights_input  # GT_BOX graphs take the CE row weights per target
        bb = config.model.backbone
        self._baked_mask = (ce_template_mask(config, 1, device) if bb.uses_ce and not weights_input else None)
        self._checked_mask: object = _UNCHECKED
        self._weights: Optional[torch.Tensor] = None

    # --- what subclasses provide -------------------------------------------------------------
    def _embed(self, template: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _frame(self, tokens: torch.Tensor, search: torch.Tensor,
               weights: Optional[torch.Tensor]) -> Sequence[torch.Tensor]:
        """-> (score_map, size_map, offset_map, *kept_indices) on ``self.device``."""
        raise NotImplementedError

    # --- the OSTrack-like surface --------------------------------------------------------------
    def to(self, device=None, dtype=None, **_) -> FrameBackend:
        """Accepts the device it was built for (inputs and outputs are cast as needed, so any dtype)."""
        if device is not None and not same_device(resolve_device(device), self.device):
            raise BackendError(f"{self.name} backend was built for {self.device}, not {device}")
        return self

    def eval(self) -> FrameBackend:
        return self

    def embed_template(self, template: torch.Tensor) -> torch.Tensor:
        """Normalised template crop (1, 3, Ht, Wt) -> template tokens (1, Nz, C)."""
        self._check_batch(template)
        return self._embed(template.to(self.device, self.io_dtype))

    def forward_tokens(self, template_tokens: torch.Tensor, search: torch.Tensor,
                       ce_template_mask: Optional[torch.Tensor] = None,
                       ce_keep_rate: Optional[float] = None) -> Dict[str, object]:
        """One frame: template tokens + normalised search crop (1, 3, Hs, Ws) -> output dict."""
        if ce_keep_rate is not None:
            raise BackendError(f"{self.name} backend runs the configured CE keep ratios; ce_keep_rate is "
                               "only supported by the torch backend")
        self._check_batch(search)
        weights = self._ce_weights(ce_template_mask)
        outs = self._frame(template_tokens.to(self.device, self.io_dtype),
                           search.to(self.device, self.io_dtype), weights)
        return assemble_output(outs[0], outs[1], outs[2], outs[3:])

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _check_batch(tensor: torch.Tensor) -> None:
        if tensor.dim() != 4 or tensor.shape[0] != 1:
            raise BackendError(f"exported graphs track one target: expected a (1, 3, H, W) crop, got "
                               f"{tuple(tensor.shape)}")

    def _ce_weights(self, mask: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        """Check the mask against the rows baked into the graph (once per mask), or turn a GT_BOX
        mask into the graph's weight input."""
        if not self.config.model.backbone.uses_ce or mask is self._checked_mask:
            return self._weights
        if self.weights_input:
            if mask is None:
                raise BackendError("this GT_BOX graph needs the ce_template_mask of the initial box")
            self._weights = template_row_weights(mask.reshape(1, -1).cpu()).to(self.device)
        elif mask is None or not torch.equal(mask.to(self.device).reshape(1, -1), self._baked_mask):
            raise BackendError(
                f"the exported graph has the {self.config.model.backbone.ce_template_range} template rows "
                "baked in; pass ce_template_mask(config, 1) (other masks need the torch backend)")
        self._checked_mask = mask
        return self._weights


def same_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:<current>`` are the same device."""
    def index(d: torch.device) -> int:
        return d.index if d.index is not None else (torch.cuda.current_device() if d.type == "cuda" else 0)
    return a.type == b.type and index(a) == index(b)


def assemble_output(score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor,
                    kept: Sequence[torch.Tensor]) -> Dict[str, object]:
    """The ``OSTrack.forward`` keys a tracker reads, from raw graph outputs."""
    kept_indices: List[torch.Tensor] = [k.long() for k in kept]
    return {
        "pred_boxes": decode_peak(score_map.float(), size_map.float(), offset_map.float()).view(-1, 1, 4),
        "score_map": score_map,
        "size_map": size_map,
        "offset_map": offset_map,
        "kept_indices": kept_indices,
    }
