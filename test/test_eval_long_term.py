"""Long-term evaluation: metrics, ``<seq>_confidence.txt``, ``--redetect`` in both CLIs, and the
synthetic out-of-view mode."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from conftest import TINY_MODEL_ARGS
from ostrack_ros.data import read_sequence
from ostrack_ros.data.synthetic import SyntheticConfig, render_sequence
from ostrack_ros.evaluation.cli import main as eval_main
from ostrack_ros.evaluation.long_term import evaluate_long_term, reentries, summarize_long_term
from ostrack_ros.evaluation.results_io import read_confidence, write_results
from ostrack_ros.tracking.cli import main as track_main

BOX = [10.0, 10.0, 20.0, 20.0]
FAR = [100.0, 100.0, 20.0, 20.0]


def test_reentries_need_a_long_enough_absence():
    present = np.array([1] * 3 + [0] * 10 + [1] * 2 + [0] * 3 + [1] * 2, bool)
    assert reentries(present, min_absence=10) == [13]
    assert reentries(present, min_absence=3) == [13, 18]
    assert reentries(np.ones(5, bool)) == []


def test_long_term_metrics_hand_checked():
    # frames 0-1 present, 2-11 absent, 12-19 present; found again on frame 15
    present = np.array([1, 1] + [0] * 10 + [1] * 8, bool)
    gt = np.array([BOX if p else [0, 0, 0, 0] for p in present])
    pred = np.array([BOX] * 2 + [FAR] * 13 + [BOX] * 5)
    confidence = np.array([1, 0.9] + [0.6] * 3 + [0] * 9 + [0.7] * 6)  # claims absent frames 2-4
    seq = evaluate_long_term("s", pred, gt, present, confidence)
    assert seq.delays == [3.0] and (seq.successes_after_reentry, seq.frames_after_reentry) == (5, 8)
    assert (seq.false_claims, seq.absent_frames) == (3, 10)
    never = evaluate_long_term("n", np.array([FAR] * 20), gt, present)  # no confidence: claims all
    assert never.delays == [float("inf")] and never.false_claims == 10
    scores = summarize_long_term("t", [seq, never])
    assert scores.reentries == 2 and scores.success_after_reentry == pytest.approx(5 / 16)
    assert scores.reacquired_quickly == 0.5 and scores.median_delay == float("inf")
    assert scores.false_claim_rate == pytest.approx(13 / 20)
    assert summarize_long_term("t", [evaluate_long_term("x", gt[:2], gt[:2], present[:2])]) is None
    with pytest.raises(ValueError, match="must match"):
        evaluate_long_term("bad", pred[:5], gt, present)


def test_confidence_file_round_trip(tmp_path):
    write_results(tmp_path, "s", np.array([BOX, FAR]), np.array([0.1, 0.2]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(read_confidence(tmp_path, "s"), [1.0, 0.0])
    assert read_confidence(tmp_path, "other") is None


def test_out_of_view_mode_leaves_for_15_to_30_frames_and_reenters_far_away():
    cfg = SyntheticConfig(length=120, reentry=True, p_occlusion=0.0)
    for index in range(4):
        seq = render_sequence(cfg, 77, index)
        absent = np.flatnonzero(seq.absence)
        assert 15 <= len(absent) <= 30 and absent[-1] - absent[0] == len(absent) - 1, absent
        assert (seq.boxes[absent] == 0).all() and (seq.cover[absent] == 0).all()  # GOT-10k marking
        full = np.flatnonzero(seq.visible_fraction > 0.99)
        before, after = full[full < absent[0]][-1], full[full > absent[-1]][0]
        centres = seq.boxes[[before, after], :2] + seq.boxes[[before, after], 2:] / 2
        moved = (centres[1] - centres[0]) / [cfg.width, cfg.height]
        assert np.hypot(*moved) >= 0.3, (index, moved)  # re-entry point >= 0.35 away; boxes drift a bit


def _write_frames(folder, frames, boxes, absence):
    folder.mkdir(parents=True)
    for t, rgb in enumerate(frames):
        cv2.imwrite(str(folder / f"{t + 1:08d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    np.savetxt(folder / "groundtruth.txt", boxes, delimiter=",")
    np.savetxt(folder / "absence.label", absence, fmt="%d")


def test_eval_redetect_writes_confidence_and_reports_long_term_scores(tmp_path, capsys, reference_dir):
    """Tiny fixture network on its reference frames, with the target marked absent on frames 2-13."""
    with np.load(reference_dir / "tiny" / "tracker_sequence.npz") as data:
        frames, boxes = data["frames"][:16], data["boxes"][:16].copy()
        boxes[0] = data["init_box"]
    absence = np.zeros(16, int)
    absence[2:14] = 1
    boxes[absence == 1] = 0
    _write_frames(tmp_path / "data" / "ref", frames, boxes, absence)
    (tmp_path / "data" / "list.txt").write_text("ref\n")
    args = [
        "--dataset",
        str(tmp_path / "data"),
        "--out",
        str(tmp_path / "out"),
        "--device",
        "cpu",
        *TINY_MODEL_ARGS,
        "--no-progress",
    ]
    assert eval_main(args + ["--redetect"]) == 0
    confidence = read_confidence(tmp_path / "out" / "results" / "checkpoint_redetect", "ref")
    assert confidence.shape == (16,) and confidence[0] == 1.0 and (confidence >= 0).all()
    out = capsys.readouterr().out
    assert "Re-entries" in out and "False claims" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (entry,) = summary["long_term"]
    assert entry["name"] == "checkpoint_redetect" and entry["reentries"] == 1 and entry["absent_frames"] == 12


def test_track_cli_takes_redetect(tmp_path, reference_dir):
    with np.load(reference_dir / "tiny" / "tracker_sequence.npz") as data:
        frames, init_box = data["frames"][:5], data["init_box"]
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, rgb in enumerate(frames):
        cv2.imwrite(str(folder / f"{t:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    out = tmp_path / "boxes.txt"
    rc = track_main(
        [
            "--video",
            str(folder),
            "--init",
            ",".join(str(v) for v in init_box),
            "--out",
            str(out),
            *TINY_MODEL_ARGS,
            "--device",
            "cpu",
            "--redetect",
        ]
    )
    assert rc == 0 and len(out.read_text().splitlines()) == 5


def test_both_clis_take_the_crop_budget_confirmation_and_colour_check_as_the_node_does(capsys):
    import argparse

    from ostrack_ros.ros.parameters import NodeParams
    from ostrack_ros.tracking import LongTermSettings
    from ostrack_ros.tracking.cli import add_redetect_argument, long_term_settings

    parser = argparse.ArgumentParser()
    add_redetect_argument(parser)
    default = long_term_settings(parser.parse_args(["--redetect"]))
    assert default == LongTermSettings(redetect=True)
    # one default for the core, both CLIs and the node's redetect_crops_per_frame parameter
    assert NodeParams().redetect_crops_per_frame == default.max_crops_per_frame
    assert long_term_settings(parser.parse_args(["--crops-per-frame", "1"])).max_crops_per_frame == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["--crops-per-frame", "0"])
    assert "must be >= 1, got 0" in capsys.readouterr().err
    # and for the confirmation rule's re-checks (redetect_confirm_frames)
    assert NodeParams().redetect_confirm_frames == default.confirm_frames
    assert long_term_settings(parser.parse_args(["--confirm-frames", "3"])).confirm_frames == 3
    with pytest.raises(SystemExit):
        parser.parse_args(["--confirm-frames", "0"])
    # and for the colour check (redetect_colour_match)
    assert NodeParams().redetect_colour_match == default.colour_match
    assert long_term_settings(parser.parse_args(["--colour-match", "-1"])).colour_match == -1.0
    with pytest.raises(SystemExit):
        parser.parse_args(["--colour-match", "1.5"])
    assert "must be in [-1, 1], got 1.5" in capsys.readouterr().err


def test_synthetic_cli_out_of_view_flag_writes_absence_labels(tmp_path):
    from ostrack_ros.data.synthetic import main as synthetic_main

    assert (
        synthetic_main(
            [
                "--out",
                str(tmp_path),
                "--sequences",
                "1",
                "--length",
                "70",
                "--seed",
                "3",
                "--out-of-view",
                "--size",
                "160x120",
            ]
        )
        == 0
    )
    seq = read_sequence(tmp_path / "synthetic_3_0000")
    assert 15 <= (~seq.visible).sum() <= 40
