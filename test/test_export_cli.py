"""``ostrack-export`` end to end on the tiny fixture model, and its errors."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import REFERENCE_DIR, TINY_MODEL_ARGS
from ostrack_ros.export.cli import main
from ostrack_ros.export.graph_metadata import read_metadata

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

REF = REFERENCE_DIR
TINY = REF / "tiny"
ARGS = TINY_MODEL_ARGS


def test_onnx_export_writes_both_graphs_and_verifies(tmp_path, capsys):
    out = tmp_path / "tiny.onnx"
    assert main(ARGS + ["--out", str(out), "--verify"]) == 0
    printed = capsys.readouterr().out
    assert out.is_file() and (tmp_path / "tiny.template.onnx").is_file()
    assert "CE kept sets equal per stage: [True, True, True]" in printed
    meta = read_metadata(out)
    assert meta["ostrack_ros.weights"] == "checkpoint.pth.tar" and meta["ostrack_ros.opset"] == "17"


def test_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["--config", str(TINY / "config.yaml"), "--weights", str(tmp_path / "missing.pth")]) == 2
    assert "weights file not found" in capsys.readouterr().err
    if importlib.util.find_spec("tensorrt") is None:
        assert main(ARGS + ["--format", "tensorrt", "--out", str(tmp_path / "x.engine")]) == 2
        assert "TensorRT is not installed" in capsys.readouterr().err
        assert not (tmp_path / "x.onnx").exists()  # refused before exporting


def test_int8_export_is_an_int8_graph_the_backend_takes(tmp_path, capsys):
    import torch

    from ostrack_ros.runtime import create_backend

    out = tmp_path / "tiny_int8.onnx"
    assert main(ARGS + ["--out", str(out), "--int8"]) == 0
    assert "quantized the linear layers" in capsys.readouterr().out
    assert read_metadata(out)["ostrack_ros.precision"] == "int8"
    assert create_backend("onnxruntime", TINY / "config.yaml", out, dtype=torch.int8) is not None
    assert main(ARGS + ["--out", str(out), "--int8", "--fp16"]) == 2
    assert "--int8 is an onnx graph of its own" in capsys.readouterr().err


def test_weights_default_and_random_weights(tmp_path, capsys, monkeypatch):
    """The resolver's rules: no --weights is the embedded demo model (said on stderr); random weights
    only when asked for, with a --config and no --weights."""
    monkeypatch.setenv("OSTRACK_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["--random-weights"]) == 2
    assert "--random-weights takes a --config and no --weights" in capsys.readouterr().err
    out = tmp_path / "random.onnx"
    assert main(["--random-weights", "--config", str(TINY / "config.yaml"), "--out", str(out)]) == 0
    assert "exporting random weights" in capsys.readouterr().err
    assert read_metadata(out)["ostrack_ros.weights"] == "<random init>"
    demo = tmp_path / "demo.onnx"
    assert main(["--out", str(demo)]) == 0
    assert "using the embedded demo model" in capsys.readouterr().err
    assert read_metadata(demo)["ostrack_ros.weights"] == "demo_model.safetensors"
