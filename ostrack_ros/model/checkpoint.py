"""Read OSTrack weights (official ``.pth.tar``, bare state dicts, ``.safetensors``) and load them
strictly, turning every mismatch into one readable error with its likely cause."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Dict, Mapping, Union

import torch
from torch import nn

PathLike = Union[str, os.PathLike]


class CheckpointError(RuntimeError):
    """A weights file that cannot be read or does not fit the configured network."""


def load_state_dict_file(path: PathLike) -> Dict[str, torch.Tensor]:
    """Return the network state dict stored in ``path`` (safe: no arbitrary unpickling).

    Accepts the official trainer layout ``{'net': state_dict, ...}``, a bare state dict, a
    DDP-prefixed one (``module.``), or a ``.safetensors`` file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own error types
            raise CheckpointError(f"{path}: not a valid safetensors file ({exc})") from None
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _pickled_global(str(exc)):
            raise CheckpointError(f"{path}: cannot be read as a PyTorch checkpoint ({exc})") from None
        raise CheckpointError(
            f"{path}: refuses to load safely (torch.load weights_only=True): it pickles Python objects"
            f"{_pickled_global(str(exc))}. If you trust the file, convert it once: "
            f"ostrack-convert --trust {path} {path.with_suffix('').with_suffix('')}.safetensors"
        ) from None
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be read as a PyTorch checkpoint ({exc})") from None
    return extract_state_dict(obj, str(path))


def _pickled_global(message: str) -> str:
    """The class named in torch's weights_only refusal, as ' (module.Class)', or ''. torch >= 2.4
    says "GLOBAL module.Class", older releases (JetPack 5's 2.0/2.1) "Unsupported class module.Class"."""
    match = re.search(r"(?:GLOBAL|Unsupported class) ([\w.]+)", message)
    return f" ({match.group(1)})" if match else ""


def extract_state_dict(obj, source: str = "<checkpoint>") -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint object: ``obj['net']`` if present, else ``obj`` itself."""
    if isinstance(obj, Mapping) and "net" in obj:
        obj = obj["net"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            f"{source}: holds no state dict (expected {{'net': state_dict}} or a state dict)"
        )
    return {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in obj.items()}


def load_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = "<weights>") -> None:
    """``model.load_state_dict(strict=True)`` with all mismatches reported at once, readably."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [
        (k, tuple(state_dict[k].shape), tuple(v.shape))
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        parts = [f"{source} does not fit the configured network"]
        cause = _likely_cause(shapes, missing, unexpected)
        if cause:
            parts.append(f"likely cause: {cause}")
        if shapes:
            parts.append(
                "shape mismatches: "
                + ", ".join(f"{k} file {a} vs model {b}" for k, a, b in shapes[:6])
                + (f" (+{len(shapes) - 6} more)" if len(shapes) > 6 else "")
            )
        for label, keys in (("missing keys", missing), ("unexpected keys", unexpected)):
            if keys:
                parts.append(
                    f"{label} ({len(keys)}): " + ", ".join(keys[:6]) + (" ..." if len(keys) > 6 else "")
                )
        raise CheckpointError("; ".join(parts))
    model.load_state_dict(state_dict, strict=True)


def resample_token_grids(
    state_dict: Mapping[str, torch.Tensor], template_grid: int, search_grid: int
) -> Dict[str, torch.Tensor]:
    """A copy of ``state_dict`` whose ``pos_embed_z`` / ``pos_embed_x`` are bicubically resampled to
    ``template_grid`` / ``search_grid`` tokens a side: to fine-tune weights at another crop size, as the
    official code seeds its grids from the 224-grid MAE embedding. Nothing else depends on the grids."""
    from timm.layers import resample_abs_pos_embed

    out = dict(state_dict)
    for key, grid in (("backbone.pos_embed_z", template_grid), ("backbone.pos_embed_x", search_grid)):
        if key not in out:
            raise CheckpointError(f"cannot resample token grids: the weights hold no {key}")
        out[key] = resample_abs_pos_embed(
            out[key], (grid, grid), num_prefix_tokens=0, interpolation="bicubic", antialias=False
        ).contiguous()
    return out


def _likely_cause(shapes, missing, unexpected) -> str:
    by_key = {k: (a, b) for k, a, b in shapes}
    if "backbone.pos_embed_x" in by_key:
        (_, n_file, c_file), (_, n_model, c_model) = by_key["backbone.pos_embed_x"]
        if c_file == c_model:
            g_file, g_model = int(round(n_file**0.5)), int(round(n_model**0.5))
            return (
                f"the checkpoint was trained with a {g_file * 16}px search region ({g_file}x{g_file} tokens) "
                f"but the config builds {g_model * 16}px; use the matching config (e.g. vitb_{g_file * 16} "
                f"for a {g_file * 16} checkpoint)"
            )
    if any(k.endswith("pos_embed") or "patch_embed" in k for k in by_key):
        return "the checkpoint's ViT width differs from the config's (MODEL.BACKBONE.TYPE / EMBED_DIM)"
    if any(k.startswith("box_head.") for k in by_key):
        return "MODEL.HEAD.NUM_CHANNELS differs from the checkpoint's"
    if any(k.startswith("backbone.blocks.") for k in missing + unexpected):
        return "the checkpoint's ViT depth differs from the config's"
    if missing and all(not k.startswith("backbone.") for k in unexpected) and unexpected:
        return "this does not look like an OSTrack checkpoint (key names differ)"
    return ""


def save_safetensors(
    state_dict: Mapping[str, torch.Tensor], path: PathLike, metadata: Dict[str, str] = None
) -> None:
    """Write a state dict as ``.safetensors`` (contiguous copies, string metadata)."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    save_file(tensors, str(path), metadata={k: str(v) for k, v in (metadata or {}).items()})
