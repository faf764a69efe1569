"""The TensorRT engines of (config, weights): from the engine cache, built on first use from the
exported graphs (or from an ``ostrack-export`` ``.onnx``), or taken as an already built ``.engine``."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Union

import torch

from ..configs import OSTrackConfig
from .cache import cached_dir, network_key
from .errors import BackendError
from .exported_graphs import exported_graphs, graph_form_key
from .graph_files import ExportedOnnx, prebuilt_graphs
from .tensorrt_build import build_engine, engine_sidecar, import_tensorrt, recipe_for

PathLike = Union[str, os.PathLike]
FRAME_ENGINE = "frame.engine"


def build_engines(graphs: ExportedOnnx, folder: Path, fp16: bool) -> Path:
    """Frame and template engines from the two graphs into ``folder``; returns the frame engine."""
    for onnx_path in (graphs.frame, graphs.template):
        build_engine(onnx_path, folder / onnx_path.with_suffix(".engine").name, fp16=fp16)
    return folder / FRAME_ENGINE


@contextmanager
def engine_files(
    cfg: OSTrackConfig, weights: Optional[PathLike], device: torch.device, fp16: bool
) -> Iterator[Path]:
    """The frame engine (its ``.template.engine`` sibling next to it), valid inside the ``with`` block:
    engines of random-init weights live in a temporary folder (they are read when loaded)."""
    trt = import_tensorrt()
    if weights is not None and Path(weights).suffix == ".engine":
        frame = Path(weights)
        sidecar = engine_sidecar(frame)
        if sidecar.is_file() and json.loads(sidecar.read_text()).get("fp16") != str(fp16):
            raise BackendError(f"{frame} was built with fp16={not fp16}; pass the matching precision")
        yield frame
        return
    gpu = torch.cuda.get_device_name(device)
    if weights is not None and Path(weights).suffix == ".onnx":
        graphs = prebuilt_graphs(weights, cfg)
        key = network_key(cfg, graphs.frame, trt.__version__, gpu, f"fp16={fp16}")
        yield cached_dir("tensorrt", key, lambda tmp: build_engines(graphs, tmp, fp16)) / FRAME_ENGINE
        return
    recipe = recipe_for(trt, fp16)
    with exported_graphs(cfg, weights, recipe.opset, recipe.fp16_graph) as graphs:
        if weights is None:
            with tempfile.TemporaryDirectory(prefix="ostrack-trt-") as tmp:
                yield build_engines(graphs, Path(tmp), fp16)
            return
        key = network_key(
            cfg,
            weights,
            graph_form_key(recipe.opset, recipe.fp16_graph),
            trt.__version__,
            gpu,
            f"fp16={fp16}",
        )
        folder = cached_dir("tensorrt", key, lambda tmp: build_engines(graphs, tmp, fp16))
    yield folder / FRAME_ENGINE
