"""int8 on onnxruntime: only the linear layers quantized, cached like the other graphs, clear errors."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

from conftest import CE_LAYERS, TINY_DIR
from ostrack_ros.export.graph_files import template_graph_path
from ostrack_ros.export.graph_metadata import read_metadata
from ostrack_ros.export.quantize import split_gemms
from ostrack_ros.runtime import BackendError, create_backend
from ostrack_ros.tracking import Tracker

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxruntime.quantization")

CONFIG, WEIGHTS = TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar"
pytestmark = pytest.mark.skipif(not WEIGHTS.is_file(), reason=f"reference data missing: {TINY_DIR}")
LINEAR_SCOPES = ("/attn/qkv/", "/attn/proj/", "/mlp/fc1/", "/mlp/fc2/")


@pytest.fixture(scope="module")
def int8_tracker(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("cache")
        mp.setenv("OSTRACK_CACHE_DIR", str(root))
        tracker = Tracker.from_files(CONFIG, WEIGHTS, dtype="int8", backend="onnxruntime")
        (frame,) = root.glob("onnx/*/frame.onnx")
        again = create_backend("onnxruntime", CONFIG, WEIGHTS, dtype=torch.int8)  # from the cache
        assert sorted(root.glob("onnx/*/frame.onnx")) == [frame] and again is not None
        yield tracker, frame


def test_only_the_linear_layers_are_quantized(int8_tracker):
    _, frame = int8_tracker
    assert read_metadata(frame)["ostrack_ros.precision"] == "int8"
    graph = onnx.load(str(frame)).graph
    ops = collections.Counter(node.op_type for node in graph.node)
    integer = [node.name for node in graph.node if node.op_type == "MatMulInteger"]
    assert len(integer) == 4 * 12 - 3 and all(any(s in name for s in LINEAR_SCOPES) for name in integer)
    assert not any(f"/blocks.{i}/attn/qkv/" in name for i in CE_LAYERS for name in integer)  # CE q, k fp32
    assert ops["ConvInteger"] == 0 and ops["Conv"] == 1 + 15  # patch embedding and head stay fp32
    assert ops["LayerNormalization"] == 2 * 12 + 1 and ops["TopK"] == 3
    float_matmuls = [node.name for node in graph.node if node.op_type == "MatMul"]
    assert sum("/candidate_scores/" in name for name in float_matmuls) == 3  # CE scores in fp32
    template = onnx.load(str(template_graph_path(frame))).graph
    assert not any(node.op_type == "MatMulInteger" for node in template.node)


def test_int8_tracker_runs_and_keeps_the_fixed_ce_token_counts(int8_tracker):
    tracker, _ = int8_tracker
    assert tracker.precision == "int8" and type(tracker.model).__name__ == "OnnxRuntimeBackend"
    frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    tracker.initialize(frame, (100, 80, 60, 50))
    result = tracker.track(frame, with_kept_mask=True)
    assert np.isfinite(result.box).all() and 0.0 < result.score < 1.0 and result.kept_mask.sum() == 89


def test_prebuilt_graph_precision_must_match_and_errors_are_clear(int8_tracker):
    _, frame = int8_tracker
    assert create_backend("onnxruntime", CONFIG, frame, dtype=torch.int8) is not None
    with pytest.raises(BackendError, match="is not an fp32 graph but int8"):
        create_backend("onnxruntime", CONFIG, frame, dtype=torch.float32)
    for backend in ("torch", "cuda-graph", "tensorrt"):
        with pytest.raises(BackendError, match="int8 is the onnxruntime backend"):
            create_backend(backend, CONFIG, WEIGHTS, dtype=torch.int8)


def test_split_gemms_keeps_the_numbers():
    """Gemm (transB, bias) -> MatMul + Add, the form dynamic quantization handles: same outputs."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.standard_normal((3, 4)).astype(np.float32)

    def run(m):
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, {"x": x})[0]

    before = run(model)
    assert split_gemms(model) == 1
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Add"]
    np.testing.assert_allclose(run(model), before, rtol=1e-6, atol=1e-6)
