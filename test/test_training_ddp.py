"""DistributedDataParallel on two CPU processes (gloo) through ``torchrun``, exactly as users launch it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from training_helpers import tiny_synthetic, write_tiny_yaml

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_two_cpu_processes(tmp_path):
    data = tiny_synthetic(tmp_path / "data")
    config = write_tiny_yaml(tmp_path / "tiny.yaml")
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "ostrack_ros.training.cli",
        "--config",
        str(config),
        "--data",
        str(data),
        "--out",
        str(tmp_path / "ddp"),
        "--device",
        "cpu",
        "--workers",
        "0",
        "--threads",
        "1",
        "--max-steps",
        "2",
        "--no-progress",
        "--no-tensorboard",
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "after 2 steps (world size 2)" in proc.stdout  # printed by rank 0 only
    assert proc.stdout.count("finished epoch") == 1
    state = torch.load(tmp_path / "ddp" / "OSTrack_ep0001.pth.tar", map_location="cpu", weights_only=True)
    assert not any(k.startswith("module.") for k in state["net"])  # unwrapped from DDP before saving
