"""Export OSTrack to two static-shape ONNX graphs: a small template graph and the per-frame graph.

Opset 17 keeps LayerNorm one ``LayerNormalization`` node (an fp16 engine can then keep it in fp32
instead of overflowing a decomposed mean/variance); TensorRT parses that op from 8.6. Lower opsets
serve older parsers: 16 for TensorRT 8.5 (JetPack 5.1; LayerNorm decomposed, its scopes recorded so
the engine builder pins them to fp32) and 13 for TensorRT 8.4 (attention then exported explicitly,
since SDPA needs opset 14). No graph contains NonZero. ``fp16`` writes the mixed-precision network
(``set_precision``): fp16 matrix work, fp32 inputs/outputs, residual stream, LayerNorm and CE scores;
what strongly typed TensorRT (11+) and onnxruntime-gpu need for fp16. Graph metadata records what the
file was built from, so a backend can refuse a graph that does not fit the configuration it is used
with.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import warnings
from pathlib import Path
from typing import Dict, Optional, Union

import torch

from ..configs import OSTrackConfig, load_config
from ..model import OSTrack, load_model, set_precision
from .fp32_scopes import fp32_scopes
from .frame_graph import TEMPLATE_INPUT, TOKENS, FrameNetwork, TemplateNetwork
from .graph_files import ExportedOnnx, template_graph_path
from .graph_metadata import graph_metadata
from .static_graph import check_static_graph, fold_constants

OPSET = 17  # default: LayerNormalization stays one op
MIN_OPSET = 13  # TensorRT 8.4's parser reads opsets up to 13
FP16_MIN_OPSET = 17  # a decomposed LayerNorm's statistics overflow in fp16
PathLike = Union[str, os.PathLike]


def export_onnx(
    config: Union[PathLike, OSTrackConfig],
    weights: Optional[PathLike],
    out: PathLike,
    model: Optional[OSTrack] = None,
    opset: int = OPSET,
    fp16: bool = False,
) -> ExportedOnnx:
    """Export the network of ``config`` + ``weights`` (or an already loaded ``model``, left untouched)
    to ``out`` (the frame graph) and ``<out stem>.template.onnx``; returns both paths.

    ``opset`` below 17 decomposes LayerNorm and below 14 writes attention explicitly (only for old
    TensorRT parsers). ``fp16`` computes the matrix work in half precision (``set_precision``)."""
    if opset < MIN_OPSET:
        raise ValueError(f"opset {opset} is not supported: use {MIN_OPSET} or newer")
    if fp16 and opset < FP16_MIN_OPSET:
        raise ValueError(
            f"an fp16 graph needs opset {FP16_MIN_OPSET} or newer (one LayerNormalization op "
            f"with fp32 statistics); opset {opset} would decompose LayerNorm into fp16 ops"
        )
    cfg = load_config(config)
    if model is None:
        model = load_model(cfg, weights, device="cpu", dtype=torch.float32)
    dtype = torch.float16 if fp16 else torch.float32
    device = "cpu"
    if fp16 and torch.__version__ < "2.1":  # no half convolution on the CPU before torch 2.1
        if not torch.cuda.is_available():
            raise ValueError(
                "exporting an fp16 graph needs torch >= 2.1 or a CUDA device "
                f"(torch {torch.__version__} has no half-precision CPU convolution)"
            )
        device = "cuda"
    # Mixed precision (set_precision): fp16 matrix work behind fp32 inputs, residual stream and outputs.
    model = set_precision(copy.deepcopy(model).to(device=device), dtype).eval()
    # SDPA has an ONNX form from opset 14 and torch 2.1 (JetPack 5.1's NVIDIA torch is 2.0): otherwise
    # the explicit attention path, the same math, is exported.
    model.backbone.set_fused_attn(opset >= 14 and torch.__version__ >= "2.1")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = FrameNetwork(model).eval()
    template = TemplateNetwork(model).eval()
    t_size, s_size = cfg.data.template.size, cfg.data.search.size
    template_img = torch.zeros(1, 3, t_size, t_size, device=device)
    search_img = torch.zeros(1, 3, s_size, s_size, device=device)
    with torch.inference_mode():
        tokens = template(template_img)
    frame_args = (tokens, search_img) + ((frame.ce_row_weights,) if frame.weights_input else ())
    meta = graph_metadata(cfg, weights, opset, fp16)
    _export(template, (template_img,), template_graph_path(out), [TEMPLATE_INPUT], [TOKENS], meta, opset)
    _export(frame, frame_args, out, frame.input_names, frame.output_names, meta, opset)
    return ExportedOnnx(frame=out, template=template_graph_path(out))


def _export(
    module: torch.nn.Module, args, path: Path, input_names, output_names, meta: Dict[str, str], opset: int
) -> None:
    """TorchScript-based ``torch.onnx.export`` (static shapes, no onnxscript needed), shape folding,
    checks, metadata."""
    import onnx

    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    raw = path.with_name(path.stem + ".raw" + path.suffix)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python ints from shapes are intended
            torch.onnx.export(
                module,
                args,
                str(raw),
                input_names=input_names,
                output_names=output_names,
                opset_version=opset,
                do_constant_folding=True,
                **kwargs,
            )
        fold_constants(raw, path)
    finally:
        raw.unlink(missing_ok=True)
    graph = onnx.load(str(path))
    check_static_graph(graph, str(path))
    scopes = fp32_scopes(module, [node.name for node in graph.graph.node])
    onnx.helper.set_model_props(graph, dict(meta, **{"ostrack_ros.fp32_scopes": json.dumps(scopes)}))
    onnx.save(graph, str(path))
