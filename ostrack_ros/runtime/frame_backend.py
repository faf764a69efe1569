"""Common part of the graph backends: a per-frame graph runner behind the ``TrackingNetwork`` protocol."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch

from ..configs import OSTrackConfig
from ..export.errors import BackendError
from ..export.frame_graph import CE_WEIGHTS, SEARCH, TOKENS
from ..model import ce_template_mask
from ..model.candidate_elimination import template_row_weights
from ..model.network_contract import FrameOutput

_UNCHECKED = object()  # no ce_template_mask checked yet


class FrameBackend:
    """A ``TrackingNetwork`` around a per-frame graph runner, built for one device and precision.

    ``embed_template(template) -> tokens`` and ``track_frame(tokens, search, ce_template_mask) ->
    FrameOutput`` (kept indices int64, one (1, k) tensor per CE stage). Subclasses implement ``_embed``
    and ``_frame`` and pass the score-map side their graph really outputs (``search_grid``).
    """

    name = "graph"
    io_dtype = torch.float32  # dtype the runner takes template/search tensors in
    max_batch = 1  # graphs are built for one search crop; the tracker splits larger batches

    def __init__(
        self,
        config: OSTrackConfig,
        device: torch.device,
        weights_input: bool,
        search_grid: int,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.config = config
        self._device = device
        self.dtype = dtype  # the compute precision it was built in (torch.int8: quantized graph)
        self.search_grid = search_grid
        self.weights_input = weights_input  # GT_BOX graphs take the CE row weights per target
        bb = config.model.backbone
        self._baked_mask = ce_template_mask(config, 1, device) if bb.uses_ce and not weights_input else None
        self._checked_mask: object = _UNCHECKED
        self._weights: Optional[torch.Tensor] = None

    # --- what subclasses provide -------------------------------------------------------------
    def _embed(self, template: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _frame(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Sequence[torch.Tensor]:
        """-> (score_map, size_map, offset_map, *kept_indices) on ``self.device``."""
        raise NotImplementedError

    # --- TrackingNetwork -------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """The device it was built for (inputs are moved there)."""
        return self._device

    def embed_template(self, template: torch.Tensor) -> torch.Tensor:
        """Normalised template crop (1, 3, Ht, Wt) -> template tokens (1, Nz, C)."""
        self._check_batch(template)
        return self._embed(template.to(self.device, self.io_dtype))

    def track_frame(
        self,
        template_tokens: torch.Tensor,
        search: torch.Tensor,
        ce_template_mask: Optional[torch.Tensor] = None,
    ) -> FrameOutput:
        """One frame: template tokens + normalised search crop (1, 3, Hs, Ws) -> its maps and CE indices."""
        self._check_batch(search)
        weights = self._ce_weights(ce_template_mask)
        outs = self._frame(
            template_tokens.to(self.device, self.io_dtype), search.to(self.device, self.io_dtype), weights
        )
        kept: List[torch.Tensor] = [k.long() for k in outs[3:]]
        return FrameOutput(outs[0], outs[1], outs[2], kept)

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _check_batch(tensor: torch.Tensor) -> None:
        if tensor.dim() != 4 or tensor.shape[0] != 1:
            raise BackendError(
                f"exported graphs track one target: expected a (1, 3, H, W) crop, got {tuple(tensor.shape)}"
            )

    def _frame_feeds(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """The frame graph's named inputs (the CE row weights only where the graph takes them)."""
        feeds = {TOKENS: tokens, SEARCH: search}
        if self.weights_input:
            feeds[CE_WEIGHTS] = weights
        return feeds

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
                "baked in; pass ce_template_mask(config, 1) (other masks need the torch backend)"
            )
        self._checked_mask = mask
        return self._weights
