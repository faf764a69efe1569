"""Training logs: one CSV row per logged step/epoch and the same scalars in TensorBoard."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, Optional


class MetricsLog:
    """Appends scalar dicts to ``<dir>/<name>.csv`` and TensorBoard (``<dir>/tensorboard``)."""

    def __init__(self, folder: Path, tensorboard: bool = True) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(str(self.folder / "tensorboard"))
        self._fields: Dict[str, list] = {}

    def write(self, name: str, step: int, values: Dict[str, float], epoch: Optional[int] = None) -> None:
        """Record ``values`` at global ``step`` in ``name``.csv and under ``name/`` in TensorBoard."""
        row = {"step": step, "epoch": epoch if epoch is not None else "", **values}
        path = self.folder / f"{name}.csv"
        fields = self._fields.get(name)
        if fields is None:
            fields = list(row)
            self._fields[name] = fields
            with path.open("w", newline="") as f:
                csv.DictWriter(f, fieldnames=fields).writeheader()
        with path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields, extrasaction="ignore").writerow(row)
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(f"{name}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
