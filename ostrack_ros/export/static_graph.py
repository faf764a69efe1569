"""Making an exported graph static (shape arithmetic folded into constants) and checking that it is:
what TensorRT's ONNX parser needs."""

from __future__ import annotations

from pathlib import Path

from .errors import BackendError


def fold_constants(src: Path, dst: Path) -> None:
    """Fold every shape computation into constants with onnxruntime's hardware-agnostic (BASIC) graph
    optimisations; TensorRT needs e.g. TopK's K as an initializer. Unused opset imports are dropped."""
    import onnx

    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendError(
            "exporting folds the graph's shape arithmetic with onnxruntime (CPU): pip install onnxruntime"
        ) from None

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
PARAMETER_INPUTS = {
    "TopK": (1,),
    "Slice": (1, 2, 3, 4),
    "Squeeze": (1,),
    "Unsqueeze": (1,),
    "Reshape": (1,),
    "Expand": (1,),
    "Split": (1,),
    "ReduceSum": (1,),
    "Clip": (1, 2),
}


def check_static_graph(graph, where: str) -> None:
    """Fail loudly if the graph needs what TensorRT 8.4 lacks or has shapes computed at run time."""
    ops = {node.op_type for node in graph.graph.node}
    bad = sorted(ops & {"NonZero", "Loop", "If", "Shape"})
    foreign = sorted({node.domain for node in graph.graph.node} - {"", "ai.onnx"})
    constants = {init.name for init in graph.graph.initializer}
    constants |= {out for node in graph.graph.node if node.op_type == "Constant" for out in node.output}
    run_time = [
        f"{node.op_type} {node.name}"
        for node in graph.graph.node
        for i in PARAMETER_INPUTS.get(node.op_type, ())
        if i < len(node.input) and node.input[i] and node.input[i] not in constants
    ]
    if bad or foreign or run_time:
        raise RuntimeError(
            f"{where}: not a static standard-ONNX graph (ops {bad}, domains {foreign}, "
            f"parameters computed at run time: {run_time})"
        )
