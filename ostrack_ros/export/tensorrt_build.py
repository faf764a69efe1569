"""Build TensorRT engines from the exported ONNX graphs through the TensorRT Python API.

With ``fp16`` the builder may use half precision everywhere except the layers that decide or
normalise: LayerNorm (whose mean/variance overflow in fp16), softmax, reductions and the CE top-k,
which are pinned to fp32 so candidate elimination keeps the tokens the fp32 network keeps.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Union

from .backend_base import BackendError

PathLike = Union[str, os.PathLike]


def import_tensorrt():
    """``import tensorrt`` or a clear error saying where TensorRT comes from."""
    try:
        import tensorrt
    except ImportError as exc:
        raise BackendError(
            f"TensorRT is not installed here ({exc}). It ships with JetPack on Jetsons (python3-libnvinfer) "
            "and as the tensorrt wheel on x86 CUDA machines (pip install tensorrt); or use the onnxruntime "
            "backend / export --format onnx") from None
    return tensorrt


def pin_fp32_layers(network, trt) -> List[str]:
    """Force fp32 compute and outputs on normalisation, softmax, reduction and top-k layers."""
    kinds = {getattr(trt.LayerType, name) for name in ("NORMALIZATION", "SOFTMAX", "REDUCE", "TOPK")
             if hasattr(trt.LayerType, name)}  # NORMALIZATION exists from TensorRT 8.6
    pinned = []
    for i in range(network.num_layers):
        layer = network.get_layer(i)
        # Before 8.6 the parser decomposes LayerNormalization into layers named after the ONNX node.
        if layer.type in kinds or "LayerNormalization" in layer.name:
            layer.precision = trt.float32
            for j in range(layer.num_outputs):
                if layer.get_output(j).dtype in (trt.float32, trt.float16):
                    layer.set_output_type(j, trt.float32)
            pinned.append(layer.name)
    return pinned


def build_engine(onnx_path: PathLike, engine_path: PathLike, fp16: bool = False, workspace_gib: float = 2.0,
                 metadata: Optional[Dict[str, str]] = None) -> Path:
    """Parse ``onnx_path``, build a serialized engine into ``engine_path`` and a JSON sidecar
    (``<engine>.json``: precision, TensorRT version, device, graph metadata) next to it."""
    trt = import_tensorrt()
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
    pinned: List[str] = []
    if fp16:
        if not getattr(builder, "platform_has_fast_fp16", True):  # property removed in TensorRT 10
            raise BackendError("this GPU has no fast fp16; build the engine without --fp16")
        config.set_flag(trt.BuilderFlag.FP16)
        pinned = pin_fp32_layers(network, trt)
        strict = getattr(trt.BuilderFlag, "OBEY_PRECISION_CONSTRAINTS", None) or trt.BuilderFlag.STRICT_TYPES
        config.set_flag(strict)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendError(f"TensorRT failed to build an engine from {onnx_path} (see the log above)")
    engine_path = Path(engine_path)
    engine_path.parent.mkdir(parents=True, exist_ok=True)
    engine_path.write_bytes(bytes(serialized))
    sidecar = dict(metadata or {}, tensorrt=trt.__version__, fp16=str(fp16), fp32_layers=str(len(pinned)),
                   onnx=Path(onnx_path).name)
    engine_sidecar(engine_path).write_text(json.dumps(sidecar, indent=1, sort_keys=True))
    return engine_path


def engine_sidecar(engine_path: PathLike) -> Path:
    """``model.engine`` -> ``model.engine.json`` (what the engine was built from)."""
    engine_path = Path(engine_path)
    return engine_path.with_name(engine_path.name + ".json")
