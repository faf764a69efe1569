"""The two files of one export (template graph + frame graph) and how a prebuilt pair is found and checked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..configs import OSTrackConfig
from .errors import BackendError
from .graph_metadata import check_graph_fits

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class ExportedOnnx:
    """The two graph files of one export."""

    frame: Path  # template tokens + search -> maps + kept indices
    template: Path  # template crop -> template tokens


def template_graph_path(frame_path: PathLike) -> Path:
    """``model.onnx`` -> ``model.template.onnx`` (the template graph lives next to the frame graph)."""
    frame_path = Path(frame_path)
    return frame_path.with_name(frame_path.stem + ".template" + frame_path.suffix)


def prebuilt_graphs(path: PathLike, cfg: OSTrackConfig) -> ExportedOnnx:
    """An ``ostrack-export`` frame graph and its template sibling, checked to exist and to fit ``cfg``."""
    graphs = ExportedOnnx(frame=Path(path), template=template_graph_path(path))
    for p in (graphs.frame, graphs.template):
        if not p.is_file():
            raise BackendError(f"exported graph not found: {p} (ostrack-export writes both files)")
    try:
        check_graph_fits(graphs.frame, cfg)
    except ValueError as exc:
        raise BackendError(str(exc)) from None
    return graphs
