"""OSTrack network: ViT backbone with candidate elimination, center head, checkpoint I/O."""

from .candidate_elimination import ce_template_mask, kept_token_counts
from .checkpoint import (
    CheckpointError,
    load_state_dict_file,
    load_weights,
    resample_token_grids,
    save_safetensors,
)
from .factory import build_model, load_model, resolve_device
from .head import decode_peak
from .ostrack import OSTrack
from .precision import compute_dtype, set_precision

__all__ = [
    "OSTrack",
    "build_model",
    "load_model",
    "resolve_device",
    "ce_template_mask",
    "kept_token_counts",
    "decode_peak",
    "CheckpointError",
    "load_state_dict_file",
    "load_weights",
    "resample_token_grids",
    "save_safetensors",
    "set_precision",
    "compute_dtype",
]
