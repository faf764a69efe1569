"""What an exported graph records about itself (config, weights, opset, precision) and the check that a
graph fits the configuration it is used with."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, Optional, Union

import torch

from ..configs import OSTrackConfig, config_from_dict, config_to_dict

FORMAT_VERSION = "1"  # bump when graph inputs/outputs change
PathLike = Union[str, os.PathLike]


def graph_metadata(
    cfg: OSTrackConfig, weights: Optional[PathLike], opset: int, fp16: bool = False
) -> Dict[str, str]:
    """String metadata stored in both graphs: the configuration and what it was exported from."""
    return {
        "ostrack_ros.format": FORMAT_VERSION,
        "ostrack_ros.config": json.dumps(config_to_dict(cfg), sort_keys=True),
        "ostrack_ros.weights": Path(weights).name if weights is not None else "<random init>",
        "ostrack_ros.torch": torch.__version__,
        "ostrack_ros.opset": str(opset),
        "ostrack_ros.precision": "fp16" if fp16 else "fp32",
    }


def network_sections(cfg: OSTrackConfig) -> Dict[str, object]:
    """The config sections that define the network and its input sizes (official layout)."""
    raw = config_to_dict(cfg)
    return {"MODEL": raw["MODEL"], "DATA": {k: raw["DATA"][k] for k in ("TEMPLATE", "SEARCH")}}


def check_graph_fits(path: PathLike, cfg: OSTrackConfig) -> None:
    """Refuse a graph exported for another network (or not by ostrack-export at all)."""
    meta = read_metadata(path)
    if meta.get("ostrack_ros.format") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: not an ostrack-export graph of format {FORMAT_VERSION} "
            f"(found {meta.get('ostrack_ros.format')!r}); export it again with ostrack-export"
        )
    exported = config_from_dict(json.loads(meta["ostrack_ros.config"]), source=str(path))
    if network_sections(exported) != network_sections(cfg):
        raise ValueError(
            f"{path} was exported for another network than config {cfg.name!r} "
            "(MODEL or DATA.TEMPLATE/SEARCH differ); use its config or export again"
        )


def read_metadata(path: PathLike) -> Dict[str, str]:
    """The ``ostrack_ros.*`` metadata of an exported graph (empty for foreign files)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in graph.metadata_props if p.key.startswith("ostrack_ros.")}
