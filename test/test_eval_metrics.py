"""OPE metrics on hand-checked cases (values worked out on paper in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ostrack_ros.evaluation.metrics import (
    NORMALIZED_THRESHOLDS,
    OVERLAP_THRESHOLDS,
    PIXEL_THRESHOLDS,
    center_error,
    evaluate_sequence,
    iou,
    precision_curve,
    success_curve,
    summarize,
)


def test_threshold_grids_match_the_toolkits():
    assert len(OVERLAP_THRESHOLDS) == 21 and OVERLAP_THRESHOLDS[1] == pytest.approx(0.05)
    assert len(PIXEL_THRESHOLDS) == 51 and PIXEL_THRESHOLDS[20] == 20
    assert len(NORMALIZED_THRESHOLDS) == 51 and NORMALIZED_THRESHOLDS[20] == pytest.approx(0.2)


def test_iou_hand_checked():
    gt = np.array(
        [
            [5, 0, 10, 10],  # half overlap: inter 50, union 150
            [0, 0, 10, 10],  # identical
            [20, 20, 5, 5],  # disjoint
            [2, 2, 5, 5],  # contained: 25 / 100
            [10, 0, 10, 10],
        ],  # touching edge: no area
        dtype=float,
    )
    pred = np.tile([0.0, 0.0, 10.0, 10.0], (5, 1))
    np.testing.assert_allclose(iou(pred, gt), [1 / 3, 1.0, 0.0, 0.25, 0.0])
    np.testing.assert_allclose(iou(gt, pred), iou(pred, gt))  # symmetric


def test_invalid_predictions_score_zero_and_infinite_error():
    gt = np.array([[0, 0, 10, 10]] * 3, dtype=float)
    pred = np.array([[np.nan, 0, 10, 10], [0, 0, 0, 10], [0, 0, 10, -1]], dtype=float)
    np.testing.assert_array_equal(iou(pred, gt), [0, 0, 0])
    assert np.isinf(center_error(pred, gt)).all()
    assert np.isinf(center_error(pred, gt, normalized=True)).all()


def test_center_error_hand_checked():
    # centres (5, 5) vs (8, 9): a 3-4-5 triangle; normalised by a 10x10 target: (0.3, 0.4) -> 0.5
    pred, gt = np.array([[0, 0, 10, 10.0]]), np.array([[3, 4, 10, 10.0]])
    assert center_error(pred, gt)[0] == pytest.approx(5.0)
    assert center_error(pred, gt, normalized=True)[0] == pytest.approx(0.5)
    # anisotropic target 20x10: centres (16, 7) vs (10, 5) -> (6/20, 2/10) -> sqrt(0.13)
    pred, gt = np.array([[6, 2, 20, 10.0]]), np.array([[0, 0, 20, 10.0]])
    assert center_error(pred, gt, normalized=True)[0] == pytest.approx(math.sqrt(0.13))
    # the normalisation uses the ground truth's size, not the prediction's
    pred = np.array([[-4, -3, 28, 16.0]])  # same centre (10, 5), other size
    assert center_error(pred, gt)[0] == pytest.approx(0.0)


def test_success_curve_and_auc_hand_checked():
    ious = np.array([0.0, 0.33, 0.62, 1.0])
    curve = success_curve(ious)
    # IoU strictly above t: t in 0..0.30 -> 3/4 (7 thresholds), 0.35..0.60 -> 2/4 (6),
    # 0.65..0.95 -> 1/4 (7), t = 1 -> 0 (IoU 1 is not above 1).
    expected = np.array([0.75] * 7 + [0.5] * 6 + [0.25] * 7 + [0.0])
    np.testing.assert_allclose(curve, expected)
    assert curve.mean() == pytest.approx(10 / 21)


def test_precision_curve_is_inclusive():
    errors = np.array([0.0, 10.0, 20.0, 30.0, np.inf])
    curve = precision_curve(errors)
    assert curve[0] == pytest.approx(1 / 5)  # only the exact hit at 0 px
    assert curve[20] == pytest.approx(3 / 5)  # <= 20 px includes 20
    assert curve[50] == pytest.approx(4 / 5)  # a lost frame never counts


def test_frames_without_visible_target_are_not_scored():
    gt = np.array([[0, 0, 10, 10], [0, 0, 0, 0], [0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    present = np.array([True, True, False, True])  # frame 1: no box, frame 2: absent
    pred = np.array([[0, 0, 10, 10], [50, 50, 5, 5], [50, 50, 5, 5], [5, 0, 10, 10]], dtype=float)
    ev = evaluate_sequence("s", pred, gt, present, times=np.array([0.1, 0.1, 0.1, 0.1]))
    np.testing.assert_allclose(ev.ious, [1.0, 1 / 3])
    np.testing.assert_allclose(ev.center_errors, [0.0, 5.0])
    assert ev.num_frames == 4 and ev.tracking_time_s == pytest.approx(0.4)


def test_length_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="3 predicted boxes for 2 frames"):
        evaluate_sequence("s", np.zeros((3, 4)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        iou(np.zeros((2, 3)), np.zeros((2, 3)))


def test_summary_averages_over_sequences_not_frames():
    gt_a = np.array([[0, 0, 10, 10.0]])
    gt_b = np.array([[0, 0, 10, 10.0]] * 3)
    a = evaluate_sequence("a", gt_a.copy(), gt_a, times=np.array([0.5]))  # IoU 1
    b = evaluate_sequence("b", gt_b + [[100, 0, 0, 0]], gt_b, times=np.full(3, 0.5))  # IoU 0, 100 px off
    s = summarize("t", [a, b])
    # sequence a succeeds at 20 of 21 thresholds, b at none: (20/21 + 0) / 2 (pooling frames gives 5/21)
    assert s.auc == pytest.approx(10 / 21)
    assert s.precision == pytest.approx(0.5)
    assert s.normalized_precision == pytest.approx(0.5)
    assert s.success_50 == pytest.approx(0.5) and s.success_75 == pytest.approx(0.5)
    assert s.fps == pytest.approx(4 / 2.0)  # 4 frames in 2 s
    assert (s.num_sequences, s.num_frames) == (2, 4)
    assert s.sequence_auc == (("a", pytest.approx(20 / 21)), ("b", 0.0))


def test_summary_without_any_scored_frame_fails():
    gt = np.zeros((2, 4))
    with pytest.raises(ValueError, match="no sequence"):
        summarize("t", [evaluate_sequence("s", gt, gt)])
