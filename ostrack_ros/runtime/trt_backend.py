"""TensorRT backend: serialized template and frame engines run on torch CUDA buffers."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch

from ..configs import OSTrackConfig
from ..export.errors import BackendError
from ..export.frame_graph import CE_WEIGHTS, SEARCH, TEMPLATE_INPUT, TOKENS
from ..export.tensorrt_build import import_tensorrt
from .frame_backend import FrameBackend


class EngineRunner:
    """One deserialized engine with static I/O buffers bound once; works with TensorRT 8.4 (bindings)
    and 8.5+ (named tensors, ``execute_async_v3``)."""

    def __init__(self, runtime, trt, path: Path, device: torch.device) -> None:
        engine = runtime.deserialize_cuda_engine(Path(path).read_bytes())
        if engine is None:
            raise BackendError(f"{path}: not an engine for this TensorRT version / GPU; rebuild it here")
        dtypes = {
            trt.float32: torch.float32,
            trt.float16: torch.float16,
            trt.int32: torch.int32,
            trt.int8: torch.int8,
            trt.bool: torch.bool,
        }
        if hasattr(trt, "int64"):
            dtypes[trt.int64] = torch.int64
        self.engine, self.context = engine, engine.create_execution_context()
        self.named = hasattr(engine, "num_io_tensors")
        if self.named:
            names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
            is_input = [engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names]
            shapes = [tuple(engine.get_tensor_shape(n)) for n in names]
            types = [engine.get_tensor_dtype(n) for n in names]
        else:
            names = [engine.get_binding_name(i) for i in range(engine.num_bindings)]
            is_input = [engine.binding_is_input(i) for i in range(engine.num_bindings)]
            shapes = [tuple(engine.get_binding_shape(i)) for i in range(engine.num_bindings)]
            types = [engine.get_binding_dtype(i) for i in range(engine.num_bindings)]
        self.buffers: Dict[str, torch.Tensor] = {
            n: torch.empty(s, dtype=dtypes[t], device=device) for n, s, t in zip(names, shapes, types)
        }
        self.inputs = [n for n, i in zip(names, is_input) if i]
        self.outputs = [n for n, i in zip(names, is_input) if not i]
        if self.named:
            for name, buf in self.buffers.items():
                self.context.set_tensor_address(name, buf.data_ptr())
        self._bindings = [self.buffers[n].data_ptr() for n in names]
        self.device = device

    def __call__(self, feeds: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
        for name, tensor in feeds.items():
            self.buffers[name].copy_(tensor)
        stream = torch.cuda.current_stream(self.device).cuda_stream
        ok = (
            self.context.execute_async_v3(stream)
            if self.named
            else self.context.execute_async_v2(self._bindings, stream)
        )
        if not ok:
            raise BackendError("TensorRT execution failed")
        return [self.buffers[n].clone() for n in self.outputs]


class TensorRTBackend(FrameBackend):
    """Template and frame engines built by ``tensorrt_build.build_engine`` from ``ostrack-export`` graphs."""

    name = "tensorrt"

    def __init__(
        self,
        frame_engine: Path,
        template_engine: Path,
        config: OSTrackConfig,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if device.type != "cuda":
            raise BackendError(f"the tensorrt backend needs a CUDA device, not {device}")
        trt = import_tensorrt()
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        with torch.cuda.device(device):
            self._template = EngineRunner(runtime, trt, template_engine, device)
            self._engine = EngineRunner(runtime, trt, frame_engine, device)
        if self._engine.inputs[:2] != [TOKENS, SEARCH] or self._template.inputs != [TEMPLATE_INPUT]:
            raise BackendError(
                f"{frame_engine} was not built from an ostrack-export graph (inputs {self._engine.inputs})"
            )
        score_map = self._engine.buffers[self._engine.outputs[0]]  # (1, 1, G, G): the engine's own map
        super().__init__(
            config,
            device,
            weights_input=CE_WEIGHTS in self._engine.inputs,
            search_grid=int(score_map.shape[-1]),
            dtype=dtype,
        )

    def _embed(self, template: torch.Tensor) -> torch.Tensor:
        return self._template({TEMPLATE_INPUT: template})[0]

    def _frame(
        self, tokens: torch.Tensor, search: torch.Tensor, weights: Optional[torch.Tensor]
    ) -> Sequence[torch.Tensor]:
        return self._engine(self._frame_feeds(tokens, search, weights))
