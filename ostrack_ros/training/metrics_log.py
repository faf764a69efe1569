"""Training logs: one CSV row per logged step/epoch and the same scalars in TensorBoard."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Optional


class MetricsLog:
    """Appends scalar dicts to ``<dir>/<name>.csv`` and TensorBoard (``<dir>/tensorboard``)."""

    def __init__(self, folder: Path, tensorboard: bool = True) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.folder / "tensorboard"))
        self._fields: Dict[str, List[str]] = {}
        self._rows: Dict[str, List[dict]] = {}

    def write(self, name: str, step: int, values: Dict[str, float], epoch: Optional[int] = None) -> None:
        """Record ``values`` at global ``step`` in ``name``.csv and under ``name/`` in TensorBoard."""
        row = {"step": step, "epoch": epoch if epoch is not None else "", **values}
        rows = self._rows.setdefault(name, [])
        rows.append(row)
        fields = self._fields.setdefault(name, [])
        new_fields = [k for k in row if k not in fields]
        path = self.folder / f"{name}.csv"
        if new_fields or not path.exists():  # a new column (e.g. validation): rewrite with the wider header
            fields.extend(new_fields)
            with path.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
        else:
            with path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=fields).writerow(row)
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(f"{name}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
