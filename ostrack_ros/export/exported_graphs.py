"""The exported graphs of (config, weights) in one graph form: from the export cache, exported on
first use, or (random-init weights: nothing to key a cache entry on) into a temporary folder."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Union

from ..configs import OSTrackConfig
from .cache import cached_dir, network_key
from .graph_files import ExportedOnnx, template_graph_path
from .graph_metadata import FORMAT_VERSION
from .onnx_export import export_onnx
from .quantize import INT8_FORMAT, quantize_frame_graph

PathLike = Union[str, os.PathLike]
FRAME_ONNX = "frame.onnx"


def graph_form_key(opset: int, fp16: bool, int8: bool = False) -> str:
    """Cache-key part naming the graph form (format version, opset, precision)."""
    return (
        f"onnx{FORMAT_VERSION}-opset{opset}"
        + ("-fp16" if fp16 else "")
        + (f"-int8v{INT8_FORMAT}" if int8 else "")
    )


def export_graphs(
    cfg: OSTrackConfig, weights: Optional[PathLike], folder: Path, opset: int, fp16: bool, int8: bool = False
) -> ExportedOnnx:
    """Export into ``folder``; ``int8`` quantizes the frame graph's linear layers (the template graph
    stays fp32)."""
    graphs = export_onnx(cfg, weights, folder / FRAME_ONNX, opset=opset, fp16=fp16)
    if int8:
        quantized = folder / "frame.int8.onnx"
        quantize_frame_graph(graphs.frame, quantized)
        os.replace(quantized, graphs.frame)
    return graphs


@contextmanager
def exported_graphs(
    cfg: OSTrackConfig, weights: Optional[PathLike], opset: int, fp16: bool, int8: bool = False
) -> Iterator[ExportedOnnx]:
    """The graphs, valid inside the ``with`` block (a temporary folder is removed after it)."""
    if weights is None:
        with tempfile.TemporaryDirectory(prefix="ostrack-export-") as tmp:
            yield export_graphs(cfg, None, Path(tmp), opset, fp16, int8)
        return
    key = network_key(cfg, weights, graph_form_key(opset, fp16, int8))
    folder = cached_dir("onnx", key, lambda tmp: export_graphs(cfg, weights, tmp, opset, fp16, int8))
    yield ExportedOnnx(frame=folder / FRAME_ONNX, template=template_graph_path(folder / FRAME_ONNX))
