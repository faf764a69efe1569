"""Where the benchmarks find the official-code golden data: the fixtures shipped in test/fixtures/."""

from __future__ import annotations

import os
from pathlib import Path

_SHIPPED = Path(__file__).resolve().parents[1] / "test" / "fixtures" / "ostrack_reference"
REFERENCE_DIR = Path(os.environ.get("OSTRACK_REFERENCE_DIR", _SHIPPED))
