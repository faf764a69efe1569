"""``create_backend``: the network as the tracker sees it (``TrackingNetwork``), on the inference
runtime of your choice.

- ``torch``: ``OSTrack`` eager, any device and dtype (the reference);
- ``cuda-graph``: the per-frame pass captured once as a CUDA graph (CUDA; fp32/fp16/bf16);
- ``torch-compile``: ``torch.compile`` of the per-frame pass (the first frame compiles);
- ``onnxruntime``: the exported graphs, fp32 or fp16 (CPU, or CUDA with onnxruntime-gpu), or int8
  (CPU: linear layers quantized, see ``export/quantize.py``);
- ``tensorrt``: TensorRT engines built from the exported graphs (CUDA; fp32 or fp16).

``weights`` may be a checkpoint (graphs/engines are exported on first use into the cache, see
``export/cache.py``), or for onnxruntime / tensorrt an already exported ``.onnx`` / built ``.engine``
file (its ``.template.onnx`` / ``.template.engine`` sibling next to it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

import torch

from ..configs import OSTrackConfig, load_config
from ..export.errors import BackendError
from ..export.exported_graphs import exported_graphs
from ..export.graph_files import prebuilt_graphs, template_graph_path
from ..export.graph_metadata import read_metadata
from ..export.onnx_export import OPSET
from ..model import load_model
from ..model.factory import resolve_device
from ..model.network_contract import TrackingNetwork

BACKENDS = ("torch", "cuda-graph", "torch-compile", "onnxruntime", "tensorrt")
ORT_PRECISIONS = {torch.float32: "fp32", torch.float16: "fp16", torch.int8: "int8"}
PathLike = Union[str, os.PathLike]


def create_backend(
    name: str,
    config: Union[PathLike, OSTrackConfig],
    weights: Optional[PathLike],
    device: Union[str, torch.device] = "cpu",
    dtype: torch.dtype = torch.float32,
) -> TrackingNetwork:
    """The network of ``config`` + ``weights`` on backend ``name``.

    ``dtype`` is the compute precision: torch backends run in it (mixed, ``set_precision``);
    onnxruntime runs the fp32, the fp16 or (``torch.int8``) the quantized graph; tensorrt builds an
    fp16 engine for ``torch.float16``. Errors are ``BackendError`` with the fix.
    """
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    cfg = load_config(config)
    try:
        dev = resolve_device(device)
    except ValueError as exc:
        raise BackendError(str(exc)) from None
    if dtype == torch.int8 and name != "onnxruntime":
        raise BackendError(
            f"precision int8 is the onnxruntime backend's quantized graph (CPU); "
            f"backend {name} runs fp32, fp16 or bf16"
        )
    if name in ("torch", "cuda-graph", "torch-compile"):
        if weights is not None and Path(weights).suffix in (".onnx", ".engine"):
            raise BackendError(f"backend {name} needs checkpoint weights, not {weights}")
        model = load_model(cfg, weights, device=dev, dtype=dtype)
        if name == "torch":
            return model
        from .compiled import CompiledBackend, CudaGraphBackend

        return CudaGraphBackend(model) if name == "cuda-graph" else CompiledBackend(model)
    if name == "onnxruntime":
        return _onnxruntime_backend(cfg, weights, dev, dtype)
    return _tensorrt_backend(cfg, weights, dev, dtype)


def _onnxruntime_backend(
    cfg: OSTrackConfig, weights: Optional[PathLike], dev: torch.device, dtype: torch.dtype
) -> TrackingNetwork:
    from .ort_backend import OnnxRuntimeBackend

    precision = ORT_PRECISIONS.get(dtype)
    if precision is None:
        raise BackendError(f"the onnxruntime backend runs fp32, fp16 or int8 graphs, not {dtype}")
    if precision == "int8" and dev.type != "cpu":
        raise BackendError("int8 graphs run on the CPU (onnxruntime's integer kernels); use fp16 on CUDA")
    if weights is not None and Path(weights).suffix == ".onnx":
        graphs = prebuilt_graphs(weights, cfg)
        found = read_metadata(graphs.frame).get("ostrack_ros.precision")
        if found != precision:
            raise BackendError(
                f"{weights} is not an {precision} graph but {found}; pass the precision it was exported in"
            )
        return OnnxRuntimeBackend(graphs, cfg, dev, dtype=dtype)
    with exported_graphs(cfg, weights, OPSET, precision == "fp16", int8=precision == "int8") as graphs:
        return OnnxRuntimeBackend(graphs, cfg, dev, dtype=dtype)


def _tensorrt_backend(
    cfg: OSTrackConfig, weights: Optional[PathLike], dev: torch.device, dtype: torch.dtype
) -> TrackingNetwork:
    from ..export.engine_files import engine_files
    from .trt_backend import TensorRTBackend

    if dtype not in (torch.float32, torch.float16):
        raise BackendError(f"the tensorrt backend builds fp32 or fp16 engines, not {dtype}")
    if dev.type != "cuda":
        from ..export.tensorrt_build import import_tensorrt

        import_tensorrt()  # a missing TensorRT is the first thing to fix
        raise BackendError(f"the tensorrt backend needs a CUDA device, not {dev}")
    with engine_files(cfg, weights, dev, fp16=dtype == torch.float16) as frame:
        return TensorRTBackend(frame, template_graph_path(frame), cfg, dev, dtype=dtype)
