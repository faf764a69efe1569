"""Demo figures from hand-made supervisor notes, and the INIT parser (no ROS graph needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import require_ros

require_ros()

from ostrack_ros.demo.inputs import DemoInput, parse_box  # noqa: E402
from ostrack_ros.demo.summary import format_summary, summarize_run  # noqa: E402
from ostrack_ros.demo.supervisor import Observation  # noqa: E402

pytestmark = pytest.mark.ros
MS = 1_000_000


def test_summary_scores_from_the_first_tracked_frame():
    gt = np.array([[0, 0, 10, 10]] * 6, dtype=float)
    visible = np.array([True, True, True, True, False, True])
    source = DemoInput(Path("x"), (0, 0, 10, 10), "test", 6, gt, visible)
    stamps = [1000 * MS + i * 100 * MS for i in range(6)]
    good, half = (0.0, 0.0, 10.0, 10.0), (5.0, 0.0, 10.0, 10.0)
    seen = Observation(
        frame_stamps=stamps,
        detections=[
            (stamps[0], None, float("nan"), stamps[0] + 20 * MS),  # before init took effect: not scored
            (stamps[1], good, 0.9, stamps[1] + 30 * MS),  # IoU 1
            # frame 2 dropped by the tracker: never answered
            (stamps[3], None, float("nan"), stamps[3] + 40 * MS),  # lost: IoU 0
            (stamps[4], good, 0.9, stamps[4] + 50 * MS),  # target invisible: not scored
            (stamps[5], half, 0.8, stamps[5] + 60 * MS),  # IoU 1/3
            (999, good, 0.9, 5000 * MS),  # unknown stamp: ignored
        ],
    )
    s = summarize_run(seen, source)
    assert (s.frames_published, s.frames_processed, s.frames_tracked) == (6, 5, 3)
    assert s.iou_frames == 3 and s.mean_iou == pytest.approx((1 + 0 + 1 / 3) / 3)
    assert s.latency_p50_ms == pytest.approx(45.0)  # median of 30, 40, 50, 60
    # 4 active answers over 430 ms of arrivals (130 -> 560 ms): 3 intervals
    assert s.fps == pytest.approx(3 / 0.43)


def test_the_marked_frame_counts_as_tracked_but_its_box_is_not_scored():
    gt = np.array([[0, 0, 10, 10]] * 3, dtype=float)
    source = DemoInput(Path("x"), (0, 0, 10, 10), "test", 3, gt, None)
    stamps = [1000 * MS + i * 100 * MS for i in range(3)]
    good, half = (0.0, 0.0, 10.0, 10.0), (5.0, 0.0, 10.0, 10.0)
    seen = Observation(
        frame_stamps=stamps,
        detections=[(stamp, box, 1.0, stamp + 20 * MS) for stamp, box in zip(stamps, (good, half, half))],
        init_stamp=stamps[0],  # the init reached the tracker before frame 0: answered with the mark
    )
    s = summarize_run(seen, source)
    assert (s.frames_processed, s.frames_tracked, s.iou_frames) == (3, 3, 2)
    assert s.mean_iou == pytest.approx(1 / 3)


def test_summary_separates_transport_loss_from_frames_the_tracker_skipped():
    source = DemoInput(Path("x"), (0, 0, 10, 10), "video", 10)
    stamps = list(range(1, 11))
    answers = [(s, (0.0, 0.0, 5.0, 5.0), 0.9, s + 5) for s in stamps[:6]]
    seen = Observation(
        frame_stamps=stamps,
        detections=answers,
        tracker_counts={
            "frames_received": "8",
            "frames_dropped": "2",
            "frames_rejected": "0",
            "state": "TRACKING",
        },
    )
    s = summarize_run(seen, source)
    assert (s.frames_published, s.frames_processed) == (10, 6)
    assert (s.frames_received_by_tracker, s.frames_lost_in_transport) == (8, 2)
    assert (s.frames_skipped_by_tracker, s.frames_rejected_by_tracker) == (2, 0)
    text = format_summary(s, source, "m", Path("nowhere"))
    assert "8 reached the tracker (2 lost in transport), 2 skipped by the tracker while busy" in text
    assert summarize_run(Observation(frame_stamps=stamps), source).frames_lost_in_transport is None


def test_summary_without_ground_truth_or_tracking():
    source = DemoInput(Path("x"), (0, 0, 10, 10), "video", 2)
    s = summarize_run(Observation(frame_stamps=[1, 2], detections=[(1, None, 0.0, 5)]), source)
    assert (s.frames_tracked, s.mean_iou) == (0, None)
    assert np.isnan(s.latency_p50_ms) and np.isnan(s.fps)


def test_parse_box():
    assert parse_box("10, 20.5,30,40") == (10.0, 20.5, 30.0, 40.0)
    for bad in ("1,2,3", "a,b,c,d", "1,2,0,4", "1,2,nan,4"):
        with pytest.raises(ValueError, match="INIT must be x,y,w,h"):
            parse_box(bad)
