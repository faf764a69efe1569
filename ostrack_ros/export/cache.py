"""Where exported graphs and engines are kept, keyed by what they were built from.

``create_backend`` exports on first use and reuses the result: the key hashes the weights file, the
network part of the config and the export format (plus TensorRT version and GPU for engines).
Entries are written to a temporary folder and renamed into place, so concurrent starts never see
half-written files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Union

from ..configs import OSTrackConfig
from .graph_metadata import network_sections

PathLike = Union[str, os.PathLike]


def cache_root() -> Path:
    """``$OSTRACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/ostrack_ros``, else ``~/.cache/ostrack_ros``."""
    if os.environ.get("OSTRACK_CACHE_DIR"):
        return Path(os.environ["OSTRACK_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ostrack_ros"


def file_digest(path: PathLike, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def network_key(cfg: OSTrackConfig, weights: PathLike, *extra: str) -> str:
    """Short hash of the weights bytes, the network-defining config sections and ``extra`` strings."""
    text = json.dumps([file_digest(weights), network_sections(cfg), *extra], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_dir(kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """``<cache>/<kind>/<key>/``, created by ``build(tmp_dir)`` if absent, then renamed into place."""
    final = cache_root() / kind / key
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
    try:
        build(tmp)
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished first; theirs is as good
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
