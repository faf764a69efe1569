"""Backends through ``create_backend``: the tracker on onnxruntime follows the official tracker on the
shared sequence like the torch tracker does; export cache, prebuilt graphs and clear errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from conftest import REFERENCE_DIR
from ostrack_ros.export import export_onnx
from ostrack_ros.runtime import BackendError, create_backend
from ostrack_ros.tracking import Tracker

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

REF = REFERENCE_DIR
TINY = REF / "tiny"
CONFIG, WEIGHTS = TINY / "config.yaml", TINY / "checkpoint.pth.tar"
BOX_ATOL, SCORE_ATOL = 2e-3, 1e-5  # fixture README, float32 CPU


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("cache")
        mp.setenv("OSTRACK_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def ort_backend(cache):
    return create_backend("onnxruntime", CONFIG, WEIGHTS)


@pytest.fixture(scope="module")
def seq():
    with np.load(TINY / "tracker_sequence.npz") as data:
        return {k: data[k] for k in data.files}


def test_onnxruntime_tracker_follows_the_reference(ort_backend, seq):
    """Teacher-forced: each frame's crop, peak, box and CE token sets as the official tracker's."""
    tracker = Tracker(ort_backend, CONFIG)
    tracker.initialize(seq["frames"][0], seq["init_box"])
    for t in range(1, len(seq["frames"])):
        tracker.state = seq["boxes"][t - 1]
        result = tracker.track(seq["frames"][t], with_kept_mask=True)
        step, where = tracker.last_step, f"frame {t}"
        assert (step.crop.x1, step.crop.y1, step.crop.size) == tuple(seq["crop_x1_y1_size"][t]), where
        assert int(step.response.flatten().argmax()) == seq["response_argmax"][t], where
        np.testing.assert_allclose(
            step.output.score_map[0, 0].numpy(),
            seq["score_maps"][t - 1],
            rtol=0,
            atol=SCORE_ATOL,
            err_msg=where,
        )
        np.testing.assert_allclose(result.box, seq["boxes"][t], rtol=0, atol=BOX_ATOL, err_msg=where)
        for i, layer in enumerate((3, 6, 9)):
            kept = step.output.kept_indices[i][0].tolist()
            assert set(kept) == set(seq[f"ce{layer}_kept"][t - 1].tolist()), where
        kept_mask = np.zeros(256, bool)
        kept_mask[seq["ce9_kept"][t - 1]] = True
        np.testing.assert_array_equal(result.kept_mask, kept_mask.reshape(16, 16), err_msg=where)


def test_onnxruntime_and_torch_trackers_agree_free_running(ort_backend, seq):
    boxes = {}
    for name, model in (("onnxruntime", ort_backend), ("torch", create_backend("torch", CONFIG, WEIGHTS))):
        tracker = Tracker(model, CONFIG)
        tracker.initialize(seq["frames"][0], seq["init_box"])
        boxes[name] = np.array([tracker.track(frame).box for frame in seq["frames"][1:]])
    np.testing.assert_allclose(boxes["onnxruntime"], boxes["torch"], rtol=0, atol=BOX_ATOL)
    np.testing.assert_allclose(boxes["onnxruntime"], seq["boxes"][1:], rtol=0, atol=BOX_ATOL)


def test_export_is_cached_by_content(ort_backend, cache):
    entries = list((cache / "onnx").iterdir())
    assert len(entries) == 1 and (entries[0] / "frame.onnx").is_file()
    create_backend("onnxruntime", CONFIG, WEIGHTS)
    assert list((cache / "onnx").iterdir()) == entries


def test_prebuilt_graph_is_used_and_checked_against_the_config(tmp_path, cache):
    graphs = export_onnx(CONFIG, WEIGHTS, tmp_path / "tiny.onnx")
    backend = create_backend("onnxruntime", CONFIG, graphs.frame)
    assert backend.embed_template(torch.zeros(1, 3, 128, 128)).shape == (1, 64, 64)
    with pytest.raises(BackendError, match="another network"):
        create_backend("onnxruntime", "vitb_256_mae_ce_32x4_ep300", graphs.frame)
    graphs.template.unlink()
    with pytest.raises(BackendError, match="template"):
        create_backend("onnxruntime", CONFIG, graphs.frame)


def test_clear_errors():
    with pytest.raises(BackendError, match="unknown backend"):
        create_backend("tflite", CONFIG, WEIGHTS)
    with pytest.raises(BackendError, match="fp32, fp16 or int8"):
        create_backend("onnxruntime", CONFIG, WEIGHTS, dtype=torch.bfloat16)
    with pytest.raises(BackendError, match="int8 is the onnxruntime backend"):
        create_backend("torch", CONFIG, WEIGHTS, dtype=torch.int8)
    if not torch.cuda.is_available():
        for name in ("cuda-graph", "tensorrt"):
            with pytest.raises(BackendError, match="CUDA|TensorRT"):
                create_backend(name, CONFIG, WEIGHTS, device="cuda")
    if importlib.util.find_spec("tensorrt") is None:
        with pytest.raises(BackendError, match="TensorRT is not installed"):
            create_backend("tensorrt", CONFIG, WEIGHTS, device="cpu")


def test_tracker_from_files_takes_a_backend(cache, seq):
    tracker = Tracker.from_files(CONFIG, WEIGHTS, backend="onnxruntime")
    assert type(tracker.model).__name__ == "OnnxRuntimeBackend"
    tracker.initialize(seq["frames"][0], seq["init_box"])
    np.testing.assert_allclose(tracker.track(seq["frames"][1]).box, seq["boxes"][1], rtol=0, atol=BOX_ATOL)
    with pytest.raises(BackendError, match="unknown backend"):
        Tracker.from_files(CONFIG, WEIGHTS, backend="tflite")


def test_backend_keeps_the_network_contract(ort_backend):
    """The grid is read from the graph's score-map output; the tracker takes the backend only for the
    precision it was built in (no casting pretence)."""
    from ostrack_ros.model.network_contract import TrackingNetwork
    from ostrack_ros.tracking import TrackingError

    assert isinstance(ort_backend, TrackingNetwork)
    assert ort_backend.search_grid == 16 and ort_backend.dtype == torch.float32
    assert not hasattr(ort_backend, "to") and not hasattr(ort_backend, "eval")
    with pytest.raises(TrackingError, match="built for cpu in torch.float32"):
        Tracker(ort_backend, CONFIG, dtype="int8")


def test_node_parameter_offers_exactly_the_backends():
    from ostrack_ros.ros.parameters import NodeParams
    from ostrack_ros.runtime import BACKENDS

    spec = next(s for s in NodeParams.specs() if s.name == "backend")
    assert spec.choices == BACKENDS and spec.read_only and spec.default == "torch"
