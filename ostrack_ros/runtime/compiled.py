"""Faster torch backends for CUDA: the per-frame network replayed as a CUDA graph, or torch.compile'd.

Both run ``FrameNetwork`` (fixed CE token counts, template rows as constants), which has no host
syncs and no data-dependent shapes, so it captures into one graph and compiles without graph breaks.
Inputs are copied into static buffers and outputs cloned, so callers may keep results across frames.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch

from ..export.errors import BackendError
from ..export.frame_graph import FrameNetwork
from ..model import OSTrack, compute_dtype
from .frame_backend import FrameBackend


class _TorchFrameBackend(FrameBackend):
    """Shared part: the OSTrack module in its own dtype, template embedded in eager torch."""

    def __init__(self, model: OSTrack) -> None:
        self.model = model.eval()
        self.frame = FrameNetwork(model).eval()
        param = next(model.parameters())
        self.io_dtype = param.dtype
        super().__init__(
            model.config,
            param.device,
            weights_input=self.frame.weights_input,
            search_grid=model.search_grid,
            dtype=compute_dtype(model),
        )

    @torch.inference_mode()
    def _embed(self, template: torch.Tensor) -> torch.Tensor:
        return self.model.embed_template(template)


class CudaGraphBackend(_TorchFrameBackend):
    """Captures one frame's forward pass once; each frame is then a buffer copy and a graph replay."""

    name = "cuda-graph"

    def __init__(self, model: OSTrack, warmup: int = 3) -> None:
        super().__init__(model)
        if self.device.type != "cuda":
            raise BackendError(f"CUDA graphs need a CUDA device, not {self.device}")
        cfg = self.config
        c = self.model.backbone.embed_dim
        self._tokens = torch.zeros(1, cfg.template_grid**2, c, dtype=self.io_dtype, device=self.device)
        self._search = torch.zeros(
            1, 3, cfg.data.search.size, cfg.data.search.size, dtype=self.io_dtype, device=self.device
        )
        self._ce_in = self.frame.ce_row_weights.clone()
        args = (self._tokens, self._search) + ((self._ce_in,) if self.weights_input else ())
        with torch.inference_mode():
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):  # warm-up (cuBLAS handles, autotuning) off the capture
                for _ in range(warmup):
                    self.frame(*args)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            self._graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self._graph):
                self._outputs = self.frame(*args)

    def _frame(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Sequence[torch.Tensor]:
        self._tokens.copy_(tokens)
        self._search.copy_(search)
        if self.weights_input:
            self._ce_in.copy_(weights)
        self._graph.replay()
        return [out.clone() for out in self._outputs]


class CompiledBackend(_TorchFrameBackend):
    """``torch.compile(FrameNetwork, fullgraph=True, dynamic=False)``; ``mode="reduce-overhead"``
    adds inductor's own CUDA graphs. The first frame pays the compilation (tens of seconds)."""

    name = "torch-compile"

    def __init__(self, model: OSTrack, mode: str = "default") -> None:
        super().__init__(model)
        self.mode = mode
        self._compiled = torch.compile(self.frame, mode=mode, fullgraph=True, dynamic=False)

    @torch.inference_mode()
    def _frame(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Sequence[torch.Tensor]:
        args = (tokens, search)
        if self.weights_input:
            args += (weights,)
        return [out.clone() for out in self._compiled(*args)]
