"""Build TensorRT engines from the exported ONNX graphs through the TensorRT Python API.

Two generations of TensorRT take precision differently, and ``graph_recipe`` says which graph each
needs. Up to 10.x (JetPack 5.1 and 6) networks are weakly typed: an fp16 engine is the fp32 graph
built with the FP16 flag, and the layers that normalise or decide (LayerNorm, whose statistics
overflow in fp16, the CE scores and top-k) are pinned to fp32 by the scopes recorded at export.
From 11 TensorRT is strongly typed: the fp16 engine is built from the fp16 graph, whose casts already
keep those ops in fp32. fp32 engines never use TF32, so they track like the fp32 network.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

from .errors import BackendError
from .graph_metadata import read_metadata
from .onnx_export import FP16_MIN_OPSET, OPSET

PathLike = Union[str, os.PathLike]


def import_tensorrt():
    """``import tensorrt`` or a clear error saying where TensorRT comes from."""
    try:
        import tensorrt
    except ImportError as exc:
        raise BackendError(
            f"TensorRT is not installed here ({exc}). It ships with JetPack on Jetsons (python3-libnvinfer) "
            "and as the tensorrt wheel on x86 CUDA machines (pip install tensorrt); or use the onnxruntime "
            "backend / export --format onnx"
        ) from None
    gaps = api_gaps(tensorrt)
    if gaps:
        raise BackendError(
            f"TensorRT {getattr(tensorrt, '__version__', '?')} lacks what ostrack_ros calls "
            f"({', '.join(gaps)}); TensorRT 8.4 to 11 are supported"
        )
    return tensorrt


# Every TensorRT Python API the builder and the backend call: (owner, alternatives); one alternative
# must exist. Checked at import so an unsupported release fails with a list, not mid-build.
_API = (
    ("", ("Logger",)),
    ("Logger", ("WARNING",)),
    ("", ("Builder",)),
    ("", ("OnnxParser",)),
    ("", ("Runtime",)),
    ("", ("float32",)),
    ("", ("float16",)),
    ("", ("int32",)),
    ("", ("int8",)),
    ("", ("bool",)),
    ("", ("__version__",)),
    ("BuilderFlag", ("TF32",)),
    ("LayerType", ("REDUCE",)),
    ("LayerType", ("TOPK",)),
    ("Builder", ("create_network",)),
    ("Builder", ("create_builder_config",)),
    ("Builder", ("build_serialized_network",)),
    ("OnnxParser", ("parse",)),
    ("OnnxParser", ("num_errors",)),
    ("OnnxParser", ("get_error",)),
    ("IBuilderConfig", ("set_memory_pool_limit", "max_workspace_size")),
    ("IBuilderConfig", ("set_flag",)),
    ("IBuilderConfig", ("clear_flag",)),
    ("INetworkDefinition", ("num_layers",)),
    ("INetworkDefinition", ("get_layer",)),
    ("Runtime", ("deserialize_cuda_engine",)),
    ("ICudaEngine", ("create_execution_context",)),
    ("ICudaEngine", ("num_io_tensors", "num_bindings")),
    ("ICudaEngine", ("get_tensor_name", "get_binding_name")),
    ("ICudaEngine", ("get_tensor_mode", "binding_is_input")),
    ("ICudaEngine", ("get_tensor_shape", "get_binding_shape")),
    ("ICudaEngine", ("get_tensor_dtype", "get_binding_dtype")),
    ("IExecutionContext", ("set_tensor_address", "execute_async_v2")),
    ("IExecutionContext", ("execute_async_v3", "execute_async_v2")),
)
# Weakly typed releases (those with the FP16 flag) are also asked to pin layers to fp32.
_WEAK_TYPING_API = (
    ("BuilderFlag", ("OBEY_PRECISION_CONSTRAINTS", "STRICT_TYPES")),
    ("ILayer", ("precision",)),
    ("ILayer", ("set_output_type",)),
    ("ILayer", ("num_outputs",)),
    ("ILayer", ("get_output",)),
    ("ILayer", ("type",)),
    ("ILayer", ("name",)),
    ("ITensor", ("dtype",)),
)


def api_gaps(trt) -> List[str]:
    """``owner.name`` of each API ``_API`` lists that this ``tensorrt`` module lacks."""
    needed = _API + (() if is_strongly_typed(trt) else _WEAK_TYPING_API)
    gaps = []
    for owner, names in needed:
        scope = getattr(trt, owner, None) if owner else trt
        if scope is None or not any(hasattr(scope, name) for name in names):
            gaps.append(" or ".join(f"{owner}.{n}" if owner else n for n in names))
    return gaps


@dataclass(frozen=True)
class GraphRecipe:
    """The ONNX graph a TensorRT version builds an engine of the wanted precision from."""

    opset: int  # the newest opset its ONNX parser reads (LayerNormalization from 8.6, 16 in 8.5, 13 in 8.4)
    fp16_graph: bool  # strongly typed TensorRT takes the precision from the graph


def tensorrt_version(version: str) -> Tuple[int, int]:
    """``"8.5.2.2"`` -> ``(8, 5)``."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if not match:
        raise BackendError(f"cannot read the TensorRT version {version!r}")
    return int(match.group(1)), int(match.group(2))


def is_strongly_typed(trt) -> bool:
    """TensorRT 11 dropped weak typing (and with it the FP16 builder flag)."""
    return not hasattr(trt.BuilderFlag, "FP16")


def graph_recipe(version: str, strongly_typed: bool, fp16: bool) -> GraphRecipe:
    """Which graph ``ostrack-export``/``create_backend`` write for TensorRT ``version``."""
    release = tensorrt_version(version)
    if release < (8, 4):
        raise BackendError(f"TensorRT {version} is too old: 8.4 (JetPack 5.0) or newer is needed")
    opset = OPSET if release >= (8, 6) else 16 if release >= (8, 5) else 13
    if fp16 and strongly_typed and opset < FP16_MIN_OPSET:
        raise BackendError(f"TensorRT {version} is strongly typed but cannot parse an fp16 graph")
    return GraphRecipe(opset=opset, fp16_graph=fp16 and strongly_typed)


def recipe_for(trt, fp16: bool) -> GraphRecipe:
    """``graph_recipe`` of the imported ``tensorrt`` module."""
    return graph_recipe(trt.__version__, is_strongly_typed(trt), fp16)


def check_graph_for_engine(
    meta: Dict[str, str], version: str, strongly_typed: bool, fp16: bool, where: str
) -> None:
    """Refuse, with the fix, a graph that this TensorRT cannot build the requested engine from."""
    recipe = graph_recipe(version, strongly_typed, fp16)
    opset = int(meta.get("ostrack_ros.opset", OPSET))
    graph_fp16 = meta.get("ostrack_ros.precision") == "fp16"
    wanted = f"ostrack-export --format onnx --opset {recipe.opset}" + (" --fp16" if recipe.fp16_graph else "")
    if opset > recipe.opset:
        raise BackendError(
            f"{where}: TensorRT {version} parses ONNX opsets up to {recipe.opset}, the graph "
            f"has {opset}; export it with `{wanted}` (ostrack-export --format tensorrt "
            "picks this itself)"
        )
    if graph_fp16 and not fp16:
        raise BackendError(
            f"{where} is an fp16 graph: build an fp16 engine from it, or an fp32 engine from the fp32 graph"
        )
    if strongly_typed and fp16 and not graph_fp16:
        raise BackendError(
            f"{where}: TensorRT {version} is strongly typed, so an fp16 engine needs the fp16 "
            f"graph: `{wanted}`"
        )


def pin_fp32_layers(network, trt, scopes: Sequence[str] = ()) -> List[str]:
    """Force fp32 compute and outputs on the layers under ``scopes`` (LayerNorm and the CE scores, as
    recorded at export) and on every normalisation, reduction and top-k layer. Softmax elsewhere
    stays free, so TensorRT can still fuse the attention."""
    kinds = {
        getattr(trt.LayerType, name)
        for name in ("NORMALIZATION", "REDUCE", "TOPK")
        if hasattr(trt.LayerType, name)
    }  # NORMALIZATION exists from TensorRT 8.6
    prefixes = tuple(scopes)
    pinned = []
    for i in range(network.num_layers):
        layer = network.get_layer(i)
        # The parser names layers after their ONNX nodes, so a decomposed LayerNorm keeps its scope.
        if layer.type in kinds or (prefixes and layer.name.startswith(prefixes)):
            layer.precision = trt.float32
            for j in range(layer.num_outputs):
                if layer.get_output(j).dtype in (trt.float32, trt.float16):
                    layer.set_output_type(j, trt.float32)
            pinned.append(layer.name)
    return pinned


def build_engine(
    onnx_path: PathLike, engine_path: PathLike, fp16: bool = False, workspace_gib: float = 2.0
) -> Path:
    """Parse ``onnx_path``, build a serialized engine into ``engine_path`` and a JSON sidecar
    (``<engine>.json``: precision, TensorRT version, the graph's metadata) next to it."""
    trt = import_tensorrt()
    meta = read_metadata(onnx_path)
    strongly_typed = is_strongly_typed(trt)
    check_graph_for_engine(meta, trt.__version__, strongly_typed, fp16, str(onnx_path))
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH"):  # implicit since TensorRT 10
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BackendError(f"TensorRT {trt.__version__} cannot parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    workspace = int(workspace_gib * (1 << 30))
    if hasattr(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace)
    else:  # TensorRT 8.4
        config.max_workspace_size = workspace
    if hasattr(trt.BuilderFlag, "TF32"):
        config.clear_flag(trt.BuilderFlag.TF32)  # fp32 means fp32: TF32 would move CE decisions
    pinned: List[str] = []
    if fp16 and not getattr(builder, "platform_has_fast_fp16", True):  # property removed in TensorRT 10
        raise BackendError("this GPU has no fast fp16; build the engine without --fp16")
    if fp16 and not strongly_typed:
        config.set_flag(trt.BuilderFlag.FP16)
        pinned = pin_fp32_layers(network, trt, json.loads(meta.get("ostrack_ros.fp32_scopes", "[]")))
        strict = getattr(trt.BuilderFlag, "OBEY_PRECISION_CONSTRAINTS", None) or trt.BuilderFlag.STRICT_TYPES
        config.set_flag(strict)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendError(f"TensorRT failed to build an engine from {onnx_path} (see the log above)")
    engine_path = Path(engine_path)
    engine_path.parent.mkdir(parents=True, exist_ok=True)
    engine_path.write_bytes(bytes(serialized))
    sidecar = dict(
        meta,
        tensorrt=trt.__version__,
        fp16=str(fp16),
        fp32_layers=str(len(pinned)),
        onnx=Path(onnx_path).name,
    )
    engine_sidecar(engine_path).write_text(json.dumps(sidecar, indent=1, sort_keys=True))
    return engine_path


def engine_sidecar(engine_path: PathLike) -> Path:
    """``model.engine`` -> ``model.engine.json`` (what the engine was built from)."""
    engine_path = Path(engine_path)
    return engine_path.with_name(engine_path.name + ".json")
