"""OpenCV anchors (CSRT, KCF, MIL) in ``ostrack-eval``: names, the missing-contrib error, the adapter
contract and a run through the CLI next to scored results."""

from __future__ import annotations

import json
import types

import cv2
import numpy as np
import pytest

from ostrack_ros.evaluation.anchors import (
    ANCHORS,
    AnchorUnavailable,
    OpenCVTracker,
    anchor_factory,
    parse_anchor_names,
)
from ostrack_ros.evaluation.cli import main
from ostrack_ros.tracking.errors import TrackingError

HAS_CONTRIB = hasattr(cv2, "TrackerCSRT_create")


def _moving_square_frames(n=12, step=3):
    """A 32x32 target (red disc, white bar) moving right by ``step`` px per frame over a smooth
    textured background: an easy case every anchor follows."""
    rng = np.random.default_rng(0)
    background = cv2.resize(
        rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), (160, 120), interpolation=cv2.INTER_CUBIC
    )
    target = np.zeros((32, 32, 3), np.uint8)
    cv2.circle(target, (16, 16), 12, (255, 40, 40), -1)
    cv2.line(target, (4, 16), (28, 16), (255, 255, 255), 3)
    frames, boxes = [], []
    for t in range(n):
        frame = background.copy()
        x = 20 + step * t
        frame[40:72, x : x + 32] = target
        frames.append(frame)
        boxes.append((x, 40, 32, 32))
    return frames, np.array(boxes, float)


def test_parse_anchor_names():
    assert parse_anchor_names("csrt, KCF,mil,csrt") == ["csrt", "kcf", "mil"]
    with pytest.raises(ValueError, match="unknown anchor tracker.*boosting.*choose from csrt, kcf, mil"):
        parse_anchor_names("csrt,boosting")
    with pytest.raises(ValueError, match="choose from"):
        parse_anchor_names(" , ")


def test_missing_contrib_names_the_extra():
    bare = types.SimpleNamespace(__version__="5.0.0", TrackerMIL_create=cv2.TrackerMIL_create)
    assert anchor_factory("mil", bare) is cv2.TrackerMIL_create
    for name in ("csrt", "kcf"):
        assert ANCHORS[name].contrib
        with pytest.raises(AnchorUnavailable, match=r"ostrack_ros\[anchors\].*opencv-contrib"):
            OpenCVTracker(name, bare)
    legacy = types.SimpleNamespace(__version__="4.5.0", legacy=types.SimpleNamespace(TrackerKCF_create=len))
    assert anchor_factory("kcf", legacy) is len  # OpenCV builds that keep them only in cv2.legacy


def test_mil_follows_a_moving_square():
    frames, boxes = _moving_square_frames()
    tracker = OpenCVTracker("mil")
    with pytest.raises(RuntimeError, match="before initialize"):
        tracker.track(frames[0])
    with pytest.raises(TrackingError):
        tracker.initialize(frames[0], (0, 0, 0, 5))
    tracker.initialize(frames[0], boxes[0])
    for frame, gt in zip(frames[1:], boxes[1:]):
        result = tracker.track(frame)
        assert result.score in (0.0, 1.0)
        assert abs(result.box[0] - gt[0]) <= 6 and abs(result.box[1] - gt[1]) <= 6


class _FailingCV2Tracker:
    """Stands in for an OpenCV tracker that loses the target after the first update."""

    def __init__(self):
        self.calls = 0

    def init(self, image, rect):
        assert image.dtype == np.uint8 and len(rect) == 4

    def update(self, image):
        self.calls += 1
        return (True, (5, 6, 7, 8)) if self.calls == 1 else (False, (0, 0, 0, 0))


def test_lost_target_repeats_last_box_with_score_zero():
    fake = types.SimpleNamespace(TrackerMIL_create=_FailingCV2Tracker)
    tracker = OpenCVTracker("mil", fake)
    frames, boxes = _moving_square_frames(3)
    tracker.initialize(frames[0], boxes[0])
    first = tracker.track(frames[1])
    assert first.box == (5.0, 6.0, 7.0, 8.0) and first.score == 1.0
    last = tracker.track(frames[2])
    assert last.box == (5.0, 6.0, 7.0, 8.0) and last.score == 0.0


def _write_dataset(root):
    frames, boxes = _moving_square_frames()
    folder = root / "square"
    folder.mkdir(parents=True)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{t + 1:08d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    np.savetxt(folder / "groundtruth.txt", boxes, fmt="%.1f", delimiter=",")
    return boxes


def test_cli_runs_anchors_beside_results(tmp_path, capsys):
    boxes = _write_dataset(tmp_path / "data")
    from ostrack_ros.evaluation.results_io import write_results

    write_results(tmp_path / "gt", "square", boxes)
    anchors = "csrt,kcf,mil" if HAS_CONTRIB else "mil"
    rc = main(
        [
            "--dataset",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--results-only",
            "--anchors",
            anchors,
            "--compare",
            f"truth={tmp_path / 'gt'}",
            "--threads",
            "1",
            "--no-progress",
        ]
    )
    assert rc == 0
    table = capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    names = [t["name"] for t in summary["trackers"]]
    expected = ["opencv_" + a for a in anchors.split(",")]
    assert names == expected + ["truth"]
    for name in expected:
        assert name in table
        assert (tmp_path / "out" / "results" / name / "square.txt").is_file()
        assert (tmp_path / "out" / "results" / name / "square_time.txt").is_file()
    mil = summary["trackers"][names.index("opencv_mil")]
    assert mil["precision_20px"] == 1.0 and mil["fps"] > 0


@pytest.mark.skipif(HAS_CONTRIB, reason="this OpenCV has the contrib trackers")
def test_cli_without_contrib_is_a_one_line_error(tmp_path, capsys):
    _write_dataset(tmp_path / "data")
    rc = main(
        [
            "--dataset",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--results-only",
            "--anchors",
            "mil,csrt",
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "CSRT anchor needs OpenCV's contrib modules" in err and "ostrack_ros[anchors]" in err
    assert not (tmp_path / "out" / "results" / "opencv_mil").exists()  # checked before any run
