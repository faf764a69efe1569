"""``create_backend``: the network as the tracker sees it, on the inference runtime of your choice.

- ``torch``: ``OSTrack`` eager, any device and dtype (the reference);
- ``cuda-graph``: the per-frame pass captured once as a CUDA graph (CUDA; fp32/fp16/bf16);
- ``torch-compile``: ``torch.compile`` of the per-frame pass (the first frame compiles);
- ``onnxruntime``: the exported graphs, fp32 or fp16 (CPU, or CUDA with onnxruntime-gpu), or int8
  (CPU: linear layers quantized, see ``quantize.py``);
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
    read_metadata,
    template_graph_path,
)
from .quantize import INT8_FORMAT, quantize_frame_graph

BACKENDS = ("torch", "cuda-graph", "torch-compile", "onnxruntime", "tensorrt")
ORT_PRECISIONS = {torch.float32: "fp32", torch.float16: "fp16", torch.int8: "int8"}
PathLike = Union[str, os.PathLike]
FRAME_ONNX, FRAME_ENGINE = "frame.onnx", "frame.engine"


def create_backend(name: str, config: Union[PathLike, OSTrackConfig], weights: Optional[PathLike],
                   device: Union[str, torch.device] = "cpu", dtype: torch.dtype = torch.float32):
    """A model-like object (``embed_template`` / ``forward_tokens``) for backend ``name``.

    ``dtype`` is the compute precision: torch backends run in it (mixed, ``set_precision``);
    onnxruntime runs the fp32, the fp16 or (``torch.int8``) the quantized graph; tensorrt builds an
    fp16 engine for ``torch.float16``. Errors are ``BackendError``
    with the fix.
    """
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    cfg = load_config(config)
    try:
        dev = resolve_device(device)
    except ValueError as exc:
        raise BackendError(str(exc)) from None
    if dtype == torch.int8 and name != "onnxruntime":
        raise BackendError(f"precision int8 is the onnxruntime backend's quantized graph (CPU); "
                           f"backend {name} runs fp32, fp16 or bf16")
    if name in ("torch", "cuda-graph", "torch-compile"):
        if weights is not None and Path(weights).suffix in (".onnx", ".engine"):
            raise BackendError(f"backend {name} needs checkpoint weights, not {weights}")
        model = load_model(cfg, weights, device=dev, dtype=dtype)
        if name == "torch":
            return model
        from .compiled import CompiledBackend, CudaGraphBackend
        return CudaGraphBackend(model) if name == "cuda-graph" else CompiledBackend(model)
    if name == "onnxruntime":
        precision = ORT_PRECISIONS.get(dtype)
        if precision is None:
            raise BackendError(f"the onnxruntime backend runs fp32, fp16 or int8 graphs, not {dtype}")
        if precision == "int8" and dev.type != "cpu":
            raise BackendError("int8 graphs run on the CPU (onnxruntime's integer kernels); use fp16 on CUDA")
        from .ort_backend import OnnxRuntimeBackend
        if weights is not None and Path(weights).suffix == ".onnx":
            graphs = _prebuilt_onnx(weights, cfg)
            found = read_metadata(graphs.frame).get("ostrack_ros.precision")
            if found != precision:
                raise BackendError(f"{weights} is not an {precision} graph but {found}; pass the precision "
                                   "it was exported in")
            return OnnxRuntimeBackend(graphs, cfg, dev)
        with _exported(cfg, weights, OPSET, precision == "fp16", int8=precision == "int8") as graphs:
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

    def __init__(self, cfg: OSTrackConfig, weights: Optional[PathLike], opset: int, fp16: bool,
                 int8: bool = False) -> None:
        self.cfg, self.weights, self._tmp = cfg, weights, None
        self.opset, self.fp16, self.int8 = opset, fp16, int8

    def __enter__(self) -> ExportedOnnx:
        def export(folder: Path) -> ExportedOnnx:
            graphs = export_onnx(self.cfg, self.weights, folder / FRAME_ONNX, opset=self.opset,
                                 fp16=self.fp16)
            if self.int8:  # the frame graph's linear layers quantized; the template graph stays fp32
                quantized = folder / "frame.int8.onnx"
                quantize_frame_graph(graphs.frame, quantized)
                os.replace(quantized, graphs.frame)
            return graphs

        if self.weights is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ostrack-export-")
            return export(Path(self._tmp.name))
        folder = cached_dir("onnx", network_key(self.cfg, self.weights, self.key), export)
        return ExportedOnnx(frame=folder / FRAME_ONNX, template=template_graph_path(folder / FRAME_ONNX))

    @property
    def key(self) -> str:
        """Cache-key part naming the graph form."""
        return (f"onnx{FORMAT_VERSION}-opset{self.opset}" + ("-fp16" if self.fp16 else "")
                + (f"-int8v{INT8_FORMAT}" if self.int8 else ""))

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _tensorrt_backend(cfg: OSTrackConfig, weights: Optional[PathLike], dev: torch.device, dtype: torch.dtype):
    from .tensorrt_build import build_engine, engine_sidecar, import_tensorrt, recipe_for
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
        frame = folder / FRAME_ENGINE
        return TensorRTBackend(frame, template_graph_path(frame), cfg, dev)
    recipe = recipe_for(trt, fp16)
    exported = _exported(cfg, weights, recipe.opset, recipe.fp16_graph)
    if weights is None:  # random weights: build in a temporary folder (engines are read at load)
        with exported as graphs, tempfile.TemporaryDirectory(prefix="ostrack-trt-") as tmp:
            build(graphs, Path(tmp))
            frame = Path(tmp) / FRAME_ENGINE
            return TensorRTBackend(frame, template_graph_path(frame), cfg, dev)
    key = network_key(cfg, weights, exported.key, trt.__version__, gpu, f"fp16={fp16}")
    with exported as graphs:
        folder = cached_dir("tensorrt", key, lambda tmp: build(graphs, tmp))
    frame = folder / FRAME_ENGINE
    return TensorRTBackend(frame, template_graph_path(frame), cfg, dev)
