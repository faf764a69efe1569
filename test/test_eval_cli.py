"""Results files and the ``ostrack-eval`` CLI on a hand-made dataset (results-only and with a tracker)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import TINY_MODEL_ARGS
from ostrack_ros.evaluation.cli import main
from ostrack_ros.evaluation.results_io import read_box_file, read_results, write_results


def _make_dataset(root: Path, lengths=(4, 6)) -> dict:
    """Sequences of flat frames with a box moving right by 2 px per frame; returns name -> gt."""
    gts = {}
    for s, n in enumerate(lengths):
        name = f"seq{s}"
        folder = root / name
        folder.mkdir(parents=True)
        gt = np.array([[10 + 2 * t, 8, 20, 16] for t in range(n)], dtype=float)
        for t in range(n):
            cv2.imwrite(str(folder / f"{t + 1:08d}.jpg"), np.full((48, 64, 3), 40 * s, np.uint8))
        np.savetxt(folder / "groundtruth.txt", gt, fmt="%.1f", delimiter=",")
        gts[name] = gt
    (root / "list.txt").write_text("\n".join(gts) + "\n")
    return gts


def test_results_round_trip_and_other_layouts(tmp_path):
    boxes = np.array([[1.5, 2.25, 3, 4], [5, 6, 7, 8.125]])
    write_results(tmp_path / "a", "s", boxes, np.array([0.01, 0.02]))
    got, times = read_results(tmp_path / "a", "s")
    np.testing.assert_allclose(got, boxes)
    np.testing.assert_allclose(times, [0.01, 0.02])
    # pytracking writes tab-separated integers; GOT-10k submissions use <seq>/<seq>_001.txt
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "s.txt").write_text("1\t2\t3\t4\n\n5\t6\t7\t8\n")
    np.testing.assert_allclose(read_box_file(tmp_path / "b" / "s.txt"), [[1, 2, 3, 4], [5, 6, 7, 8]])
    (tmp_path / "c" / "s").mkdir(parents=True)
    (tmp_path / "c" / "s" / "s_001.txt").write_text("1,2,3,4\n")
    assert read_results(tmp_path / "c", "s")[1] is None
    with pytest.raises(FileNotFoundError, match="no results for sequence 'x'"):
        read_results(tmp_path / "a", "x")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "s.txt").write_text("1,2,3\n")
    with pytest.raises(ValueError, match="s.txt:1"):
        read_box_file(tmp_path / "d" / "s.txt")


def test_results_only_compares_trackers(tmp_path, capsys):
    gts = _make_dataset(tmp_path / "data")
    for name, gt in gts.items():
        write_results(tmp_path / "perfect", name, gt, np.full(len(gt), 0.01))
        write_results(tmp_path / "off", name, gt + [30, 0, 0, 0])  # 30 px right: IoU 0, P@20 0
    rc = main(
        [
            "--dataset",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--results-only",
            "--compare",
            f"perfect={tmp_path / 'perfect'}",
            f"off={tmp_path / 'off'}",
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"AUC {20 / 21:.4f}"  # IoU 1 passes every threshold but 1.0
    off_row = next(line for line in lines if line.startswith("off"))
    assert "0.000" in off_row and "n/a" in off_row  # no timing files -> no FPS
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    perfect = summary["trackers"][0]
    assert perfect["precision_20px"] == 1.0 and perfect["fps"] == pytest.approx(100.0)
    assert summary["trackers"][1]["auc"] == pytest.approx(0.0)
    for plot in ("success_plot.png", "precision_plot.png", "norm_precision_plot.png"):
        image = cv2.imread(str(tmp_path / "out" / plot))
        assert image is not None and image.shape[0] > 200


def test_cli_errors_are_one_line(tmp_path, capsys):
    _make_dataset(tmp_path / "data")
    args = ["--dataset", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    assert main(args + ["--results-only"]) == 2
    assert "needs at least one --compare" in capsys.readouterr().err
    assert main(args + ["--results-only", "--compare", f"x={tmp_path / 'nothing'}"]) == 2
    assert "no results for sequence 'seq0'" in capsys.readouterr().err
    assert main(args + ["--sequences", "nope", "--results-only", "--compare", "x=y"]) == 2
    assert "no sequence named nope" in capsys.readouterr().err
    assert main(args + ["--weights", str(tmp_path / "missing.pth")]) == 2
    assert "weights file not found" in capsys.readouterr().err


def test_tracks_and_scores_with_the_tiny_model(tmp_path, capsys, reference_dir):
    """Full OPE run with the tiny fixture network on a short sequence of the reference video."""
    seq = np.load(reference_dir / "tiny" / "tracker_sequence.npz")
    folder = tmp_path / "data" / "ref"
    folder.mkdir(parents=True)
    n = 6
    for t in range(n):
        cv2.imwrite(str(folder / f"{t + 1:08d}.png"), cv2.cvtColor(seq["frames"][t], cv2.COLOR_RGB2BGR))
    gt = seq["boxes"][:n].copy()  # the official tracker's own boxes serve as "ground truth"
    gt[0] = seq["init_box"]
    np.savetxt(folder / "groundtruth.txt", gt, delimiter=",")
    rc = main(
        [
            "--dataset",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--device",
            "cpu",
            "--no-progress",
            *TINY_MODEL_ARGS,
        ]
    )
    assert rc == 0
    boxes, times = read_results(tmp_path / "out" / "results" / "checkpoint", "ref")
    # lossless PNG frames: our tracker reproduces the official boxes, so every IoU is ~1
    np.testing.assert_allclose(boxes, gt, atol=2e-3)
    assert len(times) == n and (times > 0).all()
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"AUC {20 / 21:.4f}"
