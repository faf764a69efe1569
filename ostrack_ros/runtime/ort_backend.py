"""onnxruntime backend: the exported template and frame graphs on the CPU or the CUDA provider."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from ..configs import OSTrackConfig
from ..export.errors import BackendError
from ..export.frame_graph import CE_WEIGHTS, SEARCH, TEMPLATE_INPUT, TOKENS
from ..export.graph_files import ExportedOnnx
from .frame_backend import FrameBackend

# onnxruntime type string -> (numpy dtype, torch dtype), for binding torch tensors in place
_TYPES = {
    "tensor(float)": (np.float32, torch.float32),
    "tensor(float16)": (np.float16, torch.float16),
    "tensor(int32)": (np.int32, torch.int32),
    "tensor(int64)": (np.int64, torch.int64),
}


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as exc:
        raise BackendError(
            f"the onnxruntime backend needs the onnxruntime package ({exc}); "
            "pip install onnxruntime (CPU) or onnxruntime-gpu (CUDA)"
        ) from None
    return onnxruntime


class OnnxRuntimeBackend(FrameBackend):
    """Runs ``ExportedOnnx`` graphs with torch tensors bound in place (on CUDA: no host round trip)."""

    name = "onnxruntime"

    def __init__(
        self,
        graphs: ExportedOnnx,
        config: OSTrackConfig,
        device: torch.device,
        threads: Optional[int] = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        """``dtype``: the precision the graphs were exported in (``torch.int8``: quantized frame graph)."""
        ort = import_onnxruntime()
        if device.type == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise BackendError(
                    "onnxruntime here has no CUDAExecutionProvider (pip install "
                    "onnxruntime-gpu matching your CUDA), or use device cpu"
                )
            providers = [("CUDAExecutionProvider", {"device_id": device.index or 0}), "CPUExecutionProvider"]
        elif device.type == "cpu":
            providers = ["CPUExecutionProvider"]
        else:
            raise BackendError(f"onnxruntime backend supports cpu and cuda devices, not {device}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._template = ort.InferenceSession(str(graphs.template), options, providers=providers)
        self._session = ort.InferenceSession(str(graphs.frame), options, providers=providers)
        inputs = [i.name for i in self._session.get_inputs()]
        template_inputs = [i.name for i in self._template.get_inputs()]
        if inputs[:2] != [TOKENS, SEARCH] or template_inputs != [TEMPLATE_INPUT]:
            raise BackendError(f"{graphs.frame} is not an ostrack-export graph (inputs {inputs})")
        score_shape = self._session.get_outputs()[0].shape  # (1, 1, G, G): the graph's own score map
        super().__init__(
            config, device, weights_input=CE_WEIGHTS in inputs, search_grid=int(score_shape[-1]), dtype=dtype
        )
        self._io: Dict[int, tuple] = {}  # per session: input types, (name, numpy type, output buffer)

    def _embed(self, template: torch.Tensor) -> torch.Tensor:
        return self._run(self._template, {TEMPLATE_INPUT: template})[0]

    def _frame(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Sequence[torch.Tensor]:
        return self._run(self._session, self._frame_feeds(tokens, search, weights))

    def _run(self, session, feeds: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
        """One session run with inputs and outputs bound in place as torch tensors on ``self.device``:
        the same I/O binding on CPU and CUDA (so the CPU tests run the CUDA path's logic too), and on
        CUDA no host round trip."""
        kind, index = self.device.type, self.device.index or 0  # onnxruntime's device names match torch's
        if id(session) not in self._io:  # per session, once: input types and preallocated outputs
            self._io[id(session)] = (
                {meta.name: _TYPES[meta.type] for meta in session.get_inputs()},
                [
                    (
                        meta.name,
                        _TYPES[meta.type][0],
                        torch.empty(meta.shape, dtype=_TYPES[meta.type][1], device=self.device),
                    )
                    for meta in session.get_outputs()
                ],
            )
        types, outputs = self._io[id(session)]
        # Converted copies are kept alive until the run ends: onnxruntime reads them by address.
        feeds = {k: v.detach().to(self.device, types[k][1]).contiguous() for k, v in feeds.items()}
        binding = session.io_binding()
        for name, tensor in feeds.items():
            binding.bind_input(name, kind, index, types[name][0], list(tensor.shape), tensor.data_ptr())
        for name, np_type, out in outputs:
            binding.bind_output(name, kind, index, np_type, list(out.shape), out.data_ptr())
        if kind == "cuda":
            torch.cuda.current_stream(self.device).synchronize()  # inputs written by torch kernels
        session.run_with_iobinding(binding)
        return [out.clone() for _, _, out in outputs]
