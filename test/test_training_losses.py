"""Loss terms against values worked out by hand (see the arithmetic in each test)."""

from __future__ import annotations

import math

import pytest
import torch

from ostrack_ros.training.losses import LossWeights, focal_loss, tracking_loss


def test_focal_loss_hand_checked():
    pred = torch.tensor([[0.5, 0.2], [0.1, 0.9]])
    target = torch.tensor([[1.0, 0.5], [0.0, 0.0]])
    # positive (0,0): log(0.5) * (1-0.5)^2; negatives: log(1-p) * p^2 * (1-t)^4
    pos = math.log(0.5) * 0.25
    neg = (math.log(0.8) * 0.04 * 0.5**4) + (math.log(0.9) * 0.01) + (math.log(0.1) * 0.81)
    expected = -(pos + neg) / 1  # one positive
    assert expected == pytest.approx(2.0400, abs=1e-4)
    assert focal_loss(pred, target).item() == pytest.approx(expected, rel=1e-6)


def test_focal_loss_without_positive_is_the_negative_sum():
    pred = torch.tensor([[0.5, 0.2]])
    target = torch.tensor([[0.0, 0.75]])
    expected = -(math.log(0.5) * 0.25 + math.log(0.8) * 0.04 * 0.25**4)
    assert focal_loss(pred, target).item() == pytest.approx(expected, rel=1e-6)


def test_focal_loss_is_small_for_a_perfect_map():
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 1, 2] = 1.0
    good = torch.full_like(target, 1e-4)
    good[0, 0, 1, 2] = 1 - 1e-4
    assert focal_loss(good, target).item() < 1e-6
    assert focal_loss(torch.full_like(target, 0.5), target).item() > 1.0


def test_tracking_loss_combines_giou_l1_and_focal_with_config_weights():
    # pred cx,cy,w,h (0.5,0.5,0.2,0.2) -> x1y1x2y2 (0.4,0.4,0.6,0.6);
    # gt x,y,w,h (0.5,0.5,0.2,0.2) -> (0.5,0.5,0.7,0.7)
    # intersection 0.1^2 = 0.01, union 0.04+0.04-0.01 = 0.07, hull 0.3^2 = 0.09
    iou = 0.01 / 0.07
    giou = iou - (0.09 - 0.07) / 0.09
    l1 = 0.1  # every corner is off by 0.1
    score = torch.full((1, 1, 2, 2), 0.5)
    heat = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    focal = -(math.log(0.5) * 0.25 + 3 * math.log(0.5) * 0.25)
    outputs = {"pred_boxes": torch.tensor([[[0.5, 0.5, 0.2, 0.2]]]), "score_map": score}
    total, stats = tracking_loss(
        outputs, torch.tensor([[0.5, 0.5, 0.2, 0.2]]), heat, LossWeights(1.0, 2.0, 5.0)
    )
    assert stats["giou"] == pytest.approx(1 - giou, rel=1e-5)
    assert stats["l1"] == pytest.approx(l1, rel=1e-5)
    assert stats["focal"] == pytest.approx(focal, rel=1e-5)
    assert stats["iou"] == pytest.approx(iou, rel=1e-5)
    assert total.item() == pytest.approx(focal + 2 * (1 - giou) + 5 * l1, rel=1e-5)


def test_tracking_loss_clamps_ground_truth_to_the_crop_and_backpropagates():
    pred = torch.tensor([[[0.9, 0.5, 0.3, 0.2]]], requires_grad=True)
    score = torch.full((1, 1, 2, 2), 0.3, requires_grad=True)
    outputs = {"pred_boxes": pred, "score_map": score}
    # gt leaves the crop on the right: clamped to x2 = 1
    total, stats = tracking_loss(
        outputs, torch.tensor([[0.8, 0.4, 0.5, 0.2]]), torch.zeros(1, 2, 2), LossWeights()
    )
    total.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()
    # pred (0.75,0.4,1.05,0.6) vs clamped gt (0.8,0.4,1.0,0.6): l1 = (0.05+0+0.05+0)/4
    assert stats["l1"] == pytest.approx(0.025, rel=1e-4)


def test_non_finite_prediction_stops_training():
    outputs = {
        "pred_boxes": torch.tensor([[[float("nan"), 0.5, 0.2, 0.2]]]),
        "score_map": torch.full((1, 1, 2, 2), 0.5),
    }
    with pytest.raises(FloatingPointError):
        tracking_loss(outputs, torch.tensor([[0.4, 0.4, 0.2, 0.2]]), torch.zeros(1, 2, 2), LossWeights())


def test_no_target_pairs_train_the_score_map_only():
    # sample 0 holds the target (the earlier test's numbers), sample 1 none: all-zero heat map
    score = torch.full((2, 1, 2, 2), 0.5)
    heat = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    outputs = {
        "pred_boxes": torch.tensor([[[0.5, 0.5, 0.2, 0.2]], [[0.1, 0.1, 0.9, 0.9]]], requires_grad=True),
        "score_map": score,
    }
    gt = torch.tensor([[0.5, 0.5, 0.2, 0.2], [0.0, 0.0, 0.0, 0.0]])
    total, stats = tracking_loss(outputs, gt, heat, LossWeights(1.0, 2.0, 5.0), torch.tensor([True, False]))
    iou = 0.01 / 0.07
    assert stats["iou"] == pytest.approx(iou, rel=1e-5)  # the box terms see sample 0 only
    assert stats["l1"] == pytest.approx(0.1, rel=1e-5)
    # focal: one positive in the batch; sample 1 adds four negatives log(0.5) * 0.25
    assert stats["focal"] == pytest.approx(-(math.log(0.5) * 0.25 * 8), rel=1e-5)
    total.backward()
    assert outputs["pred_boxes"].grad[1].abs().sum() == 0


def test_a_batch_of_no_target_pairs_has_no_box_loss():
    outputs = {
        "pred_boxes": torch.rand(2, 1, 4, requires_grad=True),
        "score_map": torch.full((2, 1, 2, 2), 0.5),
    }
    total, stats = tracking_loss(
        outputs, torch.zeros(2, 4), torch.zeros(2, 2, 2), LossWeights(), torch.tensor([False, False])
    )
    assert stats["giou"] == 0 and stats["l1"] == 0 and math.isnan(stats["iou"])
    assert math.isfinite(total.item())
    total.backward()
    assert outputs["pred_boxes"].grad.abs().sum() == 0
