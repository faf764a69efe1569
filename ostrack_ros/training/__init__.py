"""OSTrack training: pair sampling, official processing, losses, CE warm-up and a DDP-ready trainer.

Entry points: ``ostrack-train`` (``training/cli.py``) and ``python -m ostrack_ros.training.demo_model``.
"""

from .trainer import Trainer, TrainOptions, TrainResult

__all__ = ["Trainer", "TrainOptions", "TrainResult"]
