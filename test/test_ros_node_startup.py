"""Start-up failures give one error line, exit status 1, no traceback; tracker.yaml matches NodeParams."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml

from conftest import require_ros

require_ros()

import torch  # noqa: E402

from ostrack_ros.ros.parameters import NodeParams  # noqa: E402
from ostrack_ros.ros.tracker_node import main  # noqa: E402

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny(reference_dir):
    return reference_dir / "tiny"


def run_main(capfd, **params) -> tuple:
    """main()'s exit status and its own stderr."""
    args = ["tracker_node", "--ros-args", "-r", "__node:=startup_probe"]
    for name, value in params.items():
        args += ["-p", f"{name}:={value}"]
    # Earlier tests' rclpy garbage (a Task whose callback met a destroyed node prints "The following
    # exception was never retrieved" when collected) must not land in this capture: collect it now.
    gc.collect()
    capfd.readouterr()
    status = main(args)
    return status, capfd.readouterr().err


def error_lines(err: str) -> list:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if "[ERROR]" in line]


def test_missing_weights_file(capfd, tiny):
    status, err = run_main(capfd, weights="/nonexistent/OSTrack_ep0300.pth.tar", config=tiny / "config.yaml")
    assert status == 1
    (line,) = error_lines(err)
    assert "weights file not found: /nonexistent/OSTrack_ep0300.pth.tar" in line


def test_mismatched_checkpoint_names_the_keys(capfd, tiny, tmp_path):
    state = torch.load(tiny / "checkpoint.pth.tar", map_location="cpu", weights_only=True)["net"]
    del state["box_head.conv5_size.bias"]
    torch.save({"net": state}, tmp_path / "broken.pth.tar")
    status, err = run_main(capfd, weights=tmp_path / "broken.pth.tar", config=tiny / "config.yaml")
    assert status == 1
    (line,) = error_lines(err)
    assert "cannot load weights" in line and "box_head.conv5_size.bias" in line


def test_bad_config_and_bad_parameter_values(capfd, tiny, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((tiny / "config.yaml").read_text() + "\nNOT_A_SECTION: 1\n")
    status, err = run_main(capfd, weights=tiny / "checkpoint.pth.tar", config=bad)
    assert status == 1
    (line,) = error_lines(err)
    assert "bad config" in line and "NOT_A_SECTION" in line
    status, err = run_main(capfd, weights=tiny / "checkpoint.pth.tar", lost_score_threshold=3.0)
    assert status == 1
    (line,) = error_lines(err)
    assert "bad parameter" in line and "lost_score_threshold" in line
    status, err = run_main(capfd, weights=tiny / "checkpoint.pth.tar", precision="fp8")
    assert status == 1 and "precision must be one of auto, fp32, fp16, bf16, int8" in error_lines(err)[0]


def test_corrupt_or_pickled_code_weights_get_our_line_never_torchs_weights_only_advice(capfd, tiny, tmp_path):
    import os
    import pickle

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(bytes(range(256)) * 20)
    code = tmp_path / "code.pth"
    code.write_bytes(pickle.dumps(Payload()))
    for path in (corrupt, code):
        status, err = run_main(capfd, weights=path, config=tiny / "config.yaml", device="cpu")
        assert status == 1
        (line,) = error_lines(err)
        assert f"cannot load weights '{path}'" in line and "refuses it" in line
        assert "weights_only" not in err and "pwned" not in err
        # the error line and nothing else from torch (info lines of our own, e.g. what precision
        # 'auto' chose on this CPU, may come before it)
        assert [ln for ln in err.strip().splitlines() if "[INFO]" not in ln] == [line], err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error when CUDA is missing")
def test_explicit_cuda_without_cuda(capfd, tiny):
    status, err = run_main(
        capfd, weights=tiny / "checkpoint.pth.tar", config=tiny / "config.yaml", device="cuda"
    )
    assert status == 1
    (line,) = error_lines(err)
    assert "device 'cuda' requested but CUDA is not available" in line


def test_params_file_holds_exactly_the_node_parameters_with_their_defaults():
    with open(REPO / "config" / "tracker.yaml") as f:
        values = yaml.safe_load(f)["/**"]["ros__parameters"]
    defaults = {spec.name: spec.default for spec in NodeParams.specs()}
    assert values == defaults


def test_no_weights_loads_the_demo_model_and_auto_falls_back_to_cpu(capfd):
    """The default start: embedded demo model, ``device: auto`` -> CPU with one warning (no CUDA here)."""
    import rclpy

    from ostrack_ros.ros.tracker_node import TrackerNode

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = TrackerNode(node_name="demo_default_probe", context=context)
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
    err = capfd.readouterr().err
    assert "using the embedded demo model" in err
    assert "precision 'auto': " in err  # the default precision, resolved and named
    if not torch.cuda.is_available():
        assert err.count("CUDA is not available, running on CPU") == 1
