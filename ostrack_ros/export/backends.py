"""``create_backend``: the network as the tracker sees it, on the inference runtime of your choice.

- ``torch``: ``OSTrack`` eager, any device and dtype (the reference);
- ``cuda-graph``: the per-frame pass captured once as a CUDA graph (CUDA; fp32/fp16/bf16);
- ``torch-compile``: ``torch.compile`` of the per-frame pass (the first frame compiles);
- ``onnxruntime``: the exported fp32 graphs (CPU, or CUDA with onnxruntime-gpu);
- ``tensorrt``: TensorRT engines built from the exported graphs (CUDA; fp32 or fp16).

``weights`` may be a checkpoint (graphs/engines are exported on first use into the cache, see
``cache.py``), or for onnxruntime / tensorrt an already exported ``.onnx`` / built ``.engine`` file
(its ``.template.onnx`` / ``.template.engine`` sibling next to it).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Optional, Union

import torch

from ..configs import OSTrackConfig, load_config
from ..model import load_model
from ..model.factory import resolve_device
from .backend_base import BackendError
from .cache import cached_dir, network_key
from .onnx_export import (
    FORMAT_VERSION,
    OPSET,
    ExportedOnnx,
    check_graph_fits,
    export_onnx,
    template_graph_path,
)

BACKENDS = ("torch", "cuda-graph", "torch-compile", "onnxruntime", "tensorrt")
PathLike = Union[str, os.PathLike]
FRAME_ONNX, FRAME_ENGINE = "frame.onnx", "frame.engine"


def create_backend(name: str, config: Union[PathLike, OSTrackConfig], weights: Optional[PathLike],
                   device: Union[str, torch.device] = "cpu", dtype: torch.dtype = torch.float32):
    """A model-like object (``embed_template`` / ``forward_tokens``) for backend ``name``.

    ``dtype`` is the compute precision: torch backends run in it; onnxruntime runs fp32 only;
    tensorrt builds an fp16 engine for ``torch.float16``. Errors are ``BackendError`` with the fix.
    """
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    cfg = load_config(config)
    try:
        dev = resolve_device(device)
    except ValueError as exc:
        raise BackendError(str(exc)) from None
    if name in ("torch", "cuda-graph", "torch-compile"):
        if weights is not None and Path(weights).suffix in (".onnx", ".engine"):
            raise BackendError(f"backend {name} needs checkpoint weights, not {weights}")
        model = load_model(cfg, weights, device=dev, dtype=dtype)
        if name == "torch":
            return model
        from .compiled import CompiledBackend, CudaGraphBackend
        return CudaGraphBackend(model) if name == "cuda-graph" else CompiledBackend(model)
    if name == "onnxruntime":
        if dtype != torch.float32:
            raise BackendError("the onnxruntime backend runs the fp32 graph; for fp16 use tensorrt or torch")
        from .ort_backend import OnnxRuntimeBackend
        if weights is not None and Path(weights).suffix == ".onnx":
            return OnnxRuntimeBackend(_prebuilt_onnx(weights, cfg), cfg, dev)
        with _exported(cfg, weights) as graphs:
            return OnnxRuntimeBackend(graphs, cfg, dev)
    return _tensorrt_backend(cfg, weights, dev, dtype)


def _prebuilt_onnx(path: PathLike, cfg: OSTrackConfig) -> ExportedOnnx:
    graphs = ExportedOnnx(frame=Path(path), template=template_graph_path(path))
    for p in (graphs.frame, graphs.template):
        if not p.is_file():
            raise BackendError(f"exported graph not found: {p} (ostrack-export writes both files)")
    try:
        check_graph_fits(graphs.frame, cfg)
    except ValueError as exc:
        raise BackendError(str(exc)) from None
    return graphs


class _exported:
    """Context: the graphs of (cfg, weights) from the cache, or exported into a temporary folder
    for random-init weights (nothing to key a cache entry on)."""

    def __init__(self, cfg: OSTrackConfig, weights: Optional[PathLike]) -> None:
        self.cfg, self.weights, self._tmp = cfg, weights, None

    def __enter__(self) -> ExportedOnnx:
        if self.weights is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ostrack-export-")
            return export_onnx(self.cfg, None, Path(self._tmp.name) / FRAME_ONNX)
        key = network_key(self.cfg, self.weights, f"onnx{FORMAT_VERSION}-opset{OPSET}")
        folder = cached_dir("onnx", key, lambda tmp: export_onnx(self.cfg, self.weights, tmp / FRAME_ONNX))
        return ExportedOnnx(frame=folder / FRAME_ONNX, template=template_graph_path(folder / FRAME_ONNX))

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _tensorrt_backend(cfg: OSTrackConfig, weights: Optional[PathLike], dev: torch.device, dtype: torch.dtype):
    from .tensorrt_build import build_engine, engine_sidecar, import_tensorrt
    from .trt_backend import TensorRTBackend

    if dtype not in (torch.float32, torch.float16):
        raise BackendError(f"the tensorrt backend builds fp32 or fp16 engines, not {dtype}")
    trt = import_tensorrt()
    if dev.type != "cuda":
        raise BackendError(f"the tensorrt backend needs a CUDA device, not {dev}")
    fp16 = dtype == torch.float16
    if weights is not None and Path(weights).suffix == ".engine":
        frame = Path(weights)
        template = template_graph_path(frame)
        sidecar = engine_sidecar(frame)
        if sidecar.is_file() and json.loads(sidecar.read_text()).get("fp16") != str(fp16):
            raise BackendError(f"{frame} was built with fp16={not fp16}; pass the matching dtype")
        return TensorRTBackend(frame, template, cfg, dev)

    def build(graphs: ExportedOnnx, folder: Path) -> None:
        for onnx_path in (graphs.frame, graphs.template):
            build_engine(onnx_path, folder / onnx_path.with_suffix(".engine").name, fp16=fp16)

    gpu = torch.cuda.get_device_name(dev)
    if weights is not None and Path(weights).suffix == ".onnx":
        graphs = _prebuilt_onnx(weights, cfg)
        key = network_key(cfg, graphs.frame, trt.__version__, gpu, f"fp16={fp16}")
        folder = cached_dir("tensorrt", key, lambda tmp: build(graphs, tmp))
    elif weights is None:  # random weights: build in a temporary folder (engines are read at load)
        with _exported(cfg, None) as graphs, tempfile.TemporaryDirectory(prefix="ostrack-trt-") as tmp:
            build(graphs, Path(tmp))
            frame = Path(tmp) / FRAME_ENGINE
            return TensorRTBackend(frame, template_graph_path(frame), cfg, dev)
    else:
        key = network_key(cfg, weights, f"onnx{FORMAT_VERSION}-opset{OPSET}", trt.__version__, gpu,
                          f"fp16={fp16}")
        with _exported(cfg, weights) as graphs:
            folder = cached_dir("tensorrt", key, lambda tmp: build(graphs, tmp))
    frame = folder / FRAME_ENGINE
    return TensorRTBackend(frame, template_graph_path(frame), cfg, dev)
