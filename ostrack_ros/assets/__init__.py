"""The embedded demo model: a small OSTrack-CE trained on synthetic data (see README.md here)."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

ASSET_DIR = Path(__file__).resolve().parent
DEMO_CONFIG = ASSET_DIR / "demo_model.yaml"
DEMO_WEIGHTS = ASSET_DIR / "demo_model.safetensors"


def demo_model_paths() -> Tuple[Path, Path]:
    """(config_path, weights_path) of the demo model; a clear error if the weights were not shipped."""
    if not DEMO_WEIGHTS.is_file():
        raise FileNotFoundError(
            f"demo weights missing at {DEMO_WEIGHTS}; rebuild them with `make train-demo`"
        )
    return DEMO_CONFIG, DEMO_WEIGHTS
