"""Tracking datasets: GOT-10k / generic folder readers and the seeded synthetic generator.

The generator lives in ``ostrack_ros.data.synthetic`` (run it with ``python -m``).
"""

from .datasets import read_dataset, read_sequence, sequence_folders
from .sequence import Sequence, load_rgb, valid_boxes

__all__ = ["Sequence", "load_rgb", "valid_boxes", "read_dataset", "read_sequence", "sequence_folders"]
