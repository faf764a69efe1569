"""int8 for CPUs without bf16: the fp32 frame graph with its linear layers quantized by onnxruntime.

Dynamic quantization (``onnxruntime.quantization.quantize_dynamic``): the weights of the ViT's linear
layers (qkv, proj, fc1, fc2) become per-channel int8 once, their inputs are quantized per frame
(uint8, range measured on the activation itself, so no calibration set is needed), and onnxruntime
runs them as integer GEMMs (AVX2 / AVX512-VNNI kernels). Only MatMuls with a constant weight are
quantized: the attention matmuls, the CE scores and their top-k, LayerNorm, the patch embedding and
the whole head (convolutions, output maps) stay fp32, and so does the qkv layer of each CE block
(its q and k score the tokens; quantizing it swapped CE tokens in 60 % of the demo model's frames,
keeping it fp32 in 40 %, for ~6 % of vitb's linear-layer work). The template graph (run once per
target) stays fp32 too.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Sequence, Tuple, Union

from ..configs import OSTrackConfig, config_from_dict
from .errors import BackendError

PathLike = Union[str, os.PathLike]
INT8_FORMAT = "2"  # bump when the quantization recipe changes (part of the cache key)


def split_gemms(model) -> int:
    """Rewrite ``Gemm(A, B, C)`` (what graph folding fuses a linear layer into) as ``MatMul`` + ``Add``,
    the form dynamic quantization handles; returns how many were rewritten."""
    from onnx import helper, numpy_helper

    inits = {init.name: init for init in model.graph.initializer}
    nodes, count = [], 0
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain = (
            node.op_type == "Gemm"
            and attrs.get("alpha", 1.0) == 1.0
            and attrs.get("beta", 1.0) == 1.0
            and not attrs.get("transA", 0)
            and node.input[1] in inits
        )
        if not plain:
            nodes.append(node)
            continue
        weight = node.input[1]
        if attrs.get("transB", 0):
            init = inits[weight]
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).T.copy(), weight))
        biased = len(node.input) > 2 and bool(node.input[2])
        product = node.name + "/MatMul_output" if biased else node.output[0]
        nodes.append(
            helper.make_node("MatMul", [node.input[0], weight], [product], name=node.name + "/MatMul")
        )
        if biased:
            nodes.append(
                helper.make_node("Add", [product, node.input[2]], [node.output[0]], name=node.name + "/Add")
            )
        count += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return count


def ce_qkv_scopes(cfg: OSTrackConfig) -> Tuple[str, ...]:
    """Node-name scopes of the qkv layers whose q and k give the CE scores (one per CE block)."""
    bb = cfg.model.backbone
    if not bb.uses_ce:
        return ()
    return tuple(f"/blocks.{i}/attn/qkv/" for i, ratio in zip(bb.ce_loc, bb.ce_keep_ratio) if ratio < 1)


def quantize_frame_graph(src: PathLike, dst: PathLike, keep_fp32: Sequence[str] = ()) -> None:
    """Write the int8 form of the fp32 frame graph ``src`` to ``dst`` (metadata kept, precision int8);
    the CE blocks' qkv layers and those whose node name contains one of ``keep_fp32`` stay fp32."""
    import onnx

    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise BackendError(
            f"int8 needs onnxruntime's quantization tools ({exc}): pip install onnxruntime"
        ) from None

    model = onnx.load(str(src))
    meta = {p.key: p.value for p in model.metadata_props}
    found = meta.get("ostrack_ros.precision")
    if found != "fp32":
        raise BackendError(f"{src}: int8 is quantized from an fp32 graph, not {found}")
    split_gemms(model)
    keep_fp32 = (*ce_qkv_scopes(config_from_dict(json.loads(meta["ostrack_ros.config"]))), *keep_fp32)
    excluded = [n.name for n in model.graph.node if any(part in n.name for part in keep_fp32)]
    with tempfile.TemporaryDirectory(prefix="ostrack-int8-") as tmp:
        plain = Path(tmp) / "matmul.onnx"
        onnx.save(model, str(plain))
        # The quantizer logs every op (INFO) and a pre-processing hint (WARNING) on the root logger.
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(
                str(plain),
                str(dst),
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                reduce_range=False,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=excluded,
                extra_options={"MatMulConstBOnly": True},
            )
        finally:
            logging.disable(previous)
    quantized = onnx.load(str(dst))
    meta.update({"ostrack_ros.precision": "int8", "ostrack_ros.int8": INT8_FORMAT})
    onnx.helper.set_model_props(quantized, meta)
    onnx.save(quantized, str(dst))


__all__ = ["INT8_FORMAT", "ce_qkv_scopes", "quantize_frame_graph", "split_gemms"]
