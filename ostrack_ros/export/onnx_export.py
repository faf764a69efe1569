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
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import nn

from ..configs import OSTrackConfig, config_from_dict, config_to_dict, load_config
from ..model import OSTrack, load_model, set_precision
from ..model.attention import CandidateScores
from .backend_base import BackendError
from .frame_graph import TEMPLATE_INPUT, TOKENS, FrameNetwork, TemplateNetwork

OPSET = 17  # default: LayerNormalization stays one op
MIN_OPSET = 13  # TensorRT 8.4's parser reads opsets up to 13
FP16_MIN_OPSET = 17  # a decomposed LayerNorm's statistics overflow in fp16
FP32_MODULES = (nn.LayerNorm, CandidateScores)  # what an fp16 engine keeps in fp32
FORMAT_VERSION = "1"  # bump when graph inputs/outputs change
PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class ExportedOnnx:
    """The two graph files of one export."""

    frame: Path  # template tokens + search -> maps + kept indices
    template: Path  # template crop -> template tokens


def template_graph_path(frame_path: PathLike) -> Path:
    """``model.onnx`` -> ``model.template.onnx`` (the template graph lives next to the frame graph)."""
    frame_path = Path(frame_path)
    return frame_path.with_name(frame_path.stem + ".template" + frame_path.suffix)


def graph_metadata(cfg: OSTrackConfig, weights: Optional[PathLike], opset: int = OPSET,
                   fp16: bool = False) -> Dict[str, str]:
    """String metadata stored in both graphs: the configuration and what it was exported from."""
    return {
        "ostrack_ros.format": FORMAT_VERSION,
        "ostrack_ros.config": json.dumps(config_to_dict(cfg), sort_keys=True),
        "ostrack_ros.weights": Path(weights).name if weights is not None else "<random init>",
        "ostrack_ros.torch": torch.__version__,
        "ostrack_ros.opset": str(opset),
        "ostrack_ros.precision": "fp16" if fp16 else "fp32",
    }


def fp32_scopes(model: nn.Module, node_names: Sequence[str]) -> List[str]:
    """Node-name scopes (e.g. ``/backbone/blocks.0/norm1/``) of the ops an fp16 engine must keep in
    fp32: every LayerNorm (decomposed or not) and the CE scores (``CandidateScores``).

    The exporter names nodes after the path of module calls, so a scope that is the tail of such a
    module's qualified name (and of no other kind of module's) holds that module's ops."""
    fp32 = {name: isinstance(module, FP32_MODULES) for name, module in model.named_modules() if name}

    def holds_fp32_module(scope: str) -> bool:
        dotted = scope.strip("/").replace("/", ".")
        return {v for n, v in fp32.items() if n == dotted or n.endswith("." + dotted)} == {True}

    scopes = {name.rsplit("/", 1)[0] + "/" for name in node_names if "/" in name}
    return sorted(s for s in scopes if holds_fp32_module(s))


def network_sections(cfg: OSTrackConfig) -> Dict[str, object]:
    """The config sections that define the network and its input sizes (official layout)."""
    raw = config_to_dict(cfg)
    return {"MODEL": raw["MODEL"], "DATA": {k: raw["DATA"][k] for k in ("TEMPLATE", "SEARCH")}}


def check_graph_fits(path: PathLike, cfg: OSTrackConfig) -> None:
    """Refuse a graph exported for another network (or not by ostrack-export at all)."""
    meta = read_metadata(path)
    if meta.get("ostrack_ros.format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not an ostrack-export graph of format {FORMAT_VERSION} "
                         f"(found {meta.get('ostrack_ros.format')!r}); export it again with ostrack-export")
    exported = config_from_dict(json.loads(meta["ostrack_ros.config"]), source=str(path))
    if network_sections(exported) != network_sections(cfg):
        raise ValueError(f"{path} was exported for another network than config {cfg.name!r} "
                         "(MODEL or DATA.TEMPLATE/SEARCH differ); use its config or export again")


def export_onnx(config: Union[PathLike, OSTrackConfig], weights: Optional[PathLike], out: PathLike,
                model: Optional[OSTrack] = None, opset: int = OPSET, fp16: bool = False) -> ExportedOnnx:
    """Export the network of ``config`` + ``weights`` (or an already loaded ``model``, left untouched)
    to ``out`` (the frame graph) and ``<out stem>.template.onnx``; returns both paths.

    ``opset`` below 17 decomposes LayerNorm and below 14 writes attention explicitly (only for old
    TensorRT parsers). ``fp16`` computes the matrix work in half precision (``set_precision``)."""
    if opset < MIN_OPSET:
        raise ValueError(f"opset {opset} is not supported: use {MIN_OPSET} or newer")
    if fp16 and opset < FP16_MIN_OPSET:
        raise ValueError(f"an fp16 graph needs opset {FP16_MIN_OPSET} or newer (one LayerNormalization op "
                         f"with fp32 statistics); opset {opset} would decompose LayerNorm into fp16 ops")
    cfg = load_config(config)
    if model is None:
        model = load_model(cfg, weights, device="cpu", dtype=torch.float32)
    dtype = torch.float16 if fp16 else torch.float32
    device = "cpu"
    if fp16 and torch.__version__ < "2.1":  # no half convolution on the CPU before torch 2.1
        if not torch.cuda.is_available():
            raise ValueError("exporting an fp16 graph needs torch >= 2.1 or a CUDA device "
                             f"(torch {torch.__version__} has no half-precision CPU convolution)")
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


def _export(module: torch.nn.Module, args, path: Path, input_names, output_names,
            meta: Dict[str, str], opset: int) -> None:
    """TorchScript-based ``torch.onnx.export`` (static shapes, no onnxscript needed), shape folding,
    checks, metadata."""
    import onnx

    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    raw = path.with_name(path.stem + ".raw" + path.suffix)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python ints from shapes are intended
            torch.onnx.export(module, args, str(raw), input_names=input_names, output_names=output_names,
                              opset_version=opset, do_constant_folding=True, **kwargs)
        fold_constants(raw, path)
    finally:
        raw.unlink(missing_ok=True)
    graph = onnx.load(str(path))
    check_static_graph(graph, str(path))
    scopes = fp32_scopes(module, [node.name for node in graph.graph.node])
    onnx.helper.set_model_props(graph, dict(meta, **{"ostrack_ros.fp32_scopes": json.dumps(scopes)}))
    onnx.save(graph, str(path))


def fold_constants(src: Path, dst: Path) -> None:
    """Fold every shape computation into constants with onnxruntime's hardware-agnostic (BASIC) graph
    optimisations; TensorRT needs e.g. TopK's K as an initializer. Unused opset imports are dropped."""
    import onnx
    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendError("exporting folds the graph's shape arithmetic with onnxruntime (CPU): "
                           "pip install onnxruntime") from None

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(dst)
    ort.InferenceSession(str(src), options, providers=["CPUExecutionProvider"])
    graph = onnx.load(str(dst))
    used = {node.domain for node in graph.graph.node} | {""}
    kept = [op for op in graph.opset_import if op.domain in used]
    del graph.opset_import[:]
    graph.opset_import.extend(kept)
    onnx.save(graph, str(dst))


# Inputs TensorRT's ONNX parser needs as initializers (operator table of onnx-tensorrt 8.4+): K, axes,
# slice bounds, shapes, split sizes, clip bounds.
PARAMETER_INPUTS = {"TopK": (1,), "Slice": (1, 2, 3, 4), "Squeeze": (1,), "Unsqueeze": (1,), "Reshape": (1,),
                    "Expand": (1,), "Split": (1,), "ReduceSum": (1,), "Clip": (1, 2)}


def check_static_graph(graph, where: str) -> None:
    """Fail loudly if the graph needs what TensorRT 8.4 lacks or has shapes computed at run time."""
    ops = {node.op_type for node in graph.graph.node}
    bad = sorted(ops & {"NonZero", "Loop", "If", "Shape"})
    foreign = sorted({node.domain for node in graph.graph.node} - {"", "ai.onnx"})
    constants = {init.name for init in graph.graph.initializer}
    constants |= {out for node in graph.graph.node if node.op_type == "Constant" for out in node.output}
    run_time = [f"{node.op_type} {node.name}" for node in graph.graph.node
                for i in PARAMETER_INPUTS.get(node.op_type, ())
                if i < len(node.input) and node.input[i] and node.input[i] not in constants]
    if bad or foreign or run_time:
        raise RuntimeError(f"{where}: not a static standard-ONNX graph (ops {bad}, domains {foreign}, "
                           f"parameters computed at run time: {run_time})")


def read_metadata(path: PathLike) -> Dict[str, str]:
    """The ``ostrack_ros.*`` metadata of an exported graph (empty for foreign files)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in graph.metadata_props if p.key.startswith("ostrack_ros.")}
