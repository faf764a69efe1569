"""OSTrack training objective: weighted focal loss on the score map + GIoU + L1 on the decoded box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
from torchvision.ops import box_convert, box_iou, generalized_box_iou_loss


def focal_loss(
    pred: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0
) -> torch.Tensor:
    """CenterNet focal loss: positives where ``target == 1``, negatives down-weighted by (1 - target)^beta,
    summed and divided by the number of positives (or not divided when there are none)."""
    pred = pred.float().clamp(min=1e-12)
    target = target.float()
    pos = target.eq(1).float()
    neg = target.lt(1).float()
    pos_loss = (torch.log(pred) * (1 - pred).pow(alpha) * pos).sum()
    neg_loss = (torch.log(1 - pred) * pred.pow(alpha) * (1 - target).pow(beta) * neg).sum()
    num_pos = pos.sum()
    if num_pos == 0:
        return -neg_loss
    return -(pos_loss + neg_loss) / num_pos


@dataclass(frozen=True)
class LossWeights:
    """Weights of the three terms (official: focal 1, GIoU ``TRAIN.GIOU_WEIGHT``, L1 ``TRAIN.L1_WEIGHT``)."""

    focal: float = 1.0
    giou: float = 2.0
    l1: float = 5.0


def tracking_loss(
    outputs: Dict[str, torch.Tensor],
    gt_boxes: torch.Tensor,
    gt_heatmaps: torch.Tensor,
    weights: LossWeights,
    has_target: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Dict[str, float]]:
    """Total loss and its parts for a batch.

    ``gt_boxes``: (B, 4) normalised x, y, w, h in the search crop; ``gt_heatmaps``: (B, Hs, Ws);
    ``has_target``: (B,) bool, False for no-target pairs (all-zero heat map, no box terms); None: all True.
    """
    pred = outputs["pred_boxes"].float()
    if not torch.isfinite(pred).all():
        raise FloatingPointError(
            "network produced non-finite boxes; stop training (lower the LR or disable AMP)"
        )
    focal = focal_loss(outputs["score_map"], gt_heatmaps.unsqueeze(1))
    if has_target is not None:
        keep = has_target.to(pred.device, torch.bool)
        pred, gt_boxes = pred[keep], gt_boxes[keep]
    num_queries = pred.shape[1]
    pred_xyxy = box_convert(pred, "cxcywh", "xyxy").reshape(-1, 4)
    gt_xyxy = box_convert(gt_boxes.float(), "xywh", "xyxy")[:, None, :].expand(-1, num_queries, -1)
    gt_xyxy = gt_xyxy.reshape(-1, 4).clamp(0.0, 1.0)
    if len(pred_xyxy):
        giou = generalized_box_iou_loss(pred_xyxy, gt_xyxy, reduction="mean")
        l1 = torch.nn.functional.l1_loss(pred_xyxy, gt_xyxy)
        with torch.no_grad():
            iou = box_iou(pred_xyxy, gt_xyxy).diagonal().mean()
    else:  # only no-target pairs: the box head gets no gradient from this batch
        giou = l1 = pred.sum() * 0.0
        iou = torch.tensor(float("nan"))
    total = weights.focal * focal + weights.giou * giou + weights.l1 * l1
    stats = {
        "loss": total.item(),
        "focal": focal.item(),
        "giou": giou.item(),
        "l1": l1.item(),
        "iou": iou.item(),
    }
    return total, stats
