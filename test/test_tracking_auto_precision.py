"""``precision: auto``: one rule (resolve_precision) behind the core, the CLIs and the node's start-up."""

from __future__ import annotations

import pytest
import torch

from conftest import TINY_DIR
from ostrack_ros.ros.parameters import NodeParams
from ostrack_ros.ros.startup import choose_model
from ostrack_ros.tracking import PRECISION_NAMES, Tracker, resolve_precision
from ostrack_ros.tracking.auto_precision import cpu_flags, cpu_has_native_bf16
from ostrack_ros.tracking.cli import build_parser

AVX2 = {"fpu", "sse2", "avx", "avx2", "fma"}
AMX = AVX2 | {"avx512f", "avx512_bf16", "amx_tile", "amx_bf16"}


@pytest.mark.parametrize(
    "device, backend, flags, expected",
    [
        ("cuda", "torch", AVX2, "fp16"),
        ("cuda:1", "tensorrt", AMX, "fp16"),
        ("cuda", "onnxruntime", AVX2, "fp16"),
        ("cpu", "torch", AMX, "bf16"),
        ("cpu", "torch-compile", {"avx512_bf16"}, "bf16"),
        ("cpu", "onnxruntime", AMX, "fp32"),  # no bf16 graph for onnxruntime; int8 is never automatic
        ("cpu", "torch", AVX2, "fp32"),  # bf16 would be emulated
    ],
)
def test_auto_picks_the_fastest_accurate_precision(device, backend, flags, expected):
    precision, reason = resolve_precision("auto", device, backend, flags=flags)
    assert precision == expected and reason


def test_explicit_precisions_pass_through():
    for name in ("fp32", "fp16", "bf16", "int8"):
        assert resolve_precision(name, "cpu", "torch", flags=AMX) == (name, "")
    assert resolve_precision(torch.float16, "cuda") == (torch.float16, "")


def test_cpu_flags_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: x\nflags\t\t: fpu avx2 amx_bf16 amx_tile\n")
    assert cpu_flags(str(info)) == {"fpu", "avx2", "amx_bf16", "amx_tile"}
    assert cpu_flags(str(tmp_path / "missing")) == frozenset()
    assert cpu_has_native_bf16({"amx_bf16"}) and not cpu_has_native_bf16(AVX2)


def test_tracker_and_clis_take_auto():
    if not (TINY_DIR / "checkpoint.pth.tar").is_file():
        pytest.skip("reference data missing")
    tracker = Tracker.from_files(
        TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar", device="cpu", dtype="auto"
    )
    assert tracker.precision == resolve_precision("auto", "cpu", "torch")[0]
    assert "auto" in PRECISION_NAMES
    args = build_parser().parse_args(["--video", "v.mp4", "--init", "1,2,3,4", "--precision", "auto"])
    assert args.precision == "auto"


def test_node_start_up_resolves_auto_and_names_it():
    params = NodeParams(precision="auto", device="auto")
    choice = choose_model(params, cuda_available=lambda: True)
    assert (choice.device, choice.precision) == ("cuda", "fp16")
    assert any("precision 'auto': fp16" in message for _, message in choice.notes)
    choice = choose_model(params, cuda_available=lambda: False)
    assert choice.precision == resolve_precision("auto", "cpu", "torch")[0]
    assert any(f"precision 'auto': {choice.precision}" in message for _, message in choice.notes)
    explicit = choose_model(NodeParams(precision="bf16", device="cpu"), cuda_available=lambda: False)
    assert explicit.precision == "bf16" and not any("precision" in m for _, m in explicit.notes)
