"""Mixed precision: the network's matrix work in bf16/fp16, everything numerically delicate in fp32.

``set_precision(model, dtype)`` is the one place a reduced precision is applied. Linear and
convolution weights are stored in ``dtype`` once (not re-cast every call as ``torch.autocast`` does
for parameters that need no gradient), and a forward pre-hook casts each such layer's input to its
weight dtype. Everything else keeps fp32 parameters and fp32 tensors: the residual stream, LayerNorm,
the CE scores and their top-k (``CandidateScores`` already computes in fp32), the head's
last 1x1 convolutions, so the score/size/offset maps and box decoding are fp32. Attention runs on
the qkv layer's reduced-precision output (SDPA keeps its softmax statistics in fp32); the head's
BatchNorm layers follow their convolutions. On CPUs with
AMX / AVX512-BF16 the bf16 layers are oneDNN bf16 GEMMs and convolutions; on CUDA fp16 tensor cores.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import nn

#: layers whose weights and inputs take the reduced precision: the matrix work, and the head's
#: BatchNorm, which at inference is a fixed per-channel affine map of its convolution's output (ONNX
#: exporters fold it into that convolution; casting around it in fp32 cost 5 % of vitb_256's frame)
MATRIX_LAYERS = (nn.Linear, nn.Conv2d)
REDUCED_LAYERS = (*MATRIX_LAYERS, nn.BatchNorm2d)
#: layers that take fp32 inputs whatever the precision (their statistics need the range)
FP32_LAYERS = (nn.LayerNorm,)


def _cast_input(module: nn.Module, args: Tuple[torch.Tensor, ...]) -> Tuple[torch.Tensor, ...]:
    """Forward pre-hook: the layer's tensor input in the layer's parameter dtype."""
    dtype = module.weight.dtype
    return tuple(a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args)


def fp32_output_layers(model: nn.Module) -> Tuple[nn.Module, ...]:
    """Matrix layers that stay fp32: the head's final 1x1 convolutions (score, offset, size maps)."""
    head = getattr(model, "box_head", None)
    if head is None:
        return ()
    return tuple(m for name, m in head.named_children() if name.startswith("conv5_"))


def set_precision(model: nn.Module, dtype: torch.dtype) -> nn.Module:
    """Put ``model`` (in place) in fp32 or in mixed ``dtype`` precision; idempotent, returns it."""
    if dtype == torch.int8:
        raise ValueError("int8 is the onnxruntime backend's quantized graph; torch runs fp32, fp16 or bf16")
    if dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise ValueError(f"unsupported compute precision {dtype}: use float32, float16 or bfloat16")
    model.float()
    keep_fp32 = {id(m) for m in fp32_output_layers(model)}
    for module in model.modules():
        # Hooks are found by function, not by handle: a deep copy of the model (export) copies them.
        for key in [k for k, hook in module._forward_pre_hooks.items() if hook is _cast_input]:
            del module._forward_pre_hooks[key]
        if dtype == torch.float32 or not isinstance(module, FP32_LAYERS + REDUCED_LAYERS):
            continue
        if isinstance(module, REDUCED_LAYERS) and id(module) not in keep_fp32:
            module.to(dtype)
        module.register_forward_pre_hook(_cast_input)
    return model


def ce_swaps_beyond_noise(
    ref_scores: Sequence[torch.Tensor],
    scores: Sequence[torch.Tensor],
    ref_kept: Sequence[torch.Tensor],
    kept: Sequence[torch.Tensor],
) -> Tuple[int, int]:
    """(tokens swapped, swaps that are not ties) at the first CE stage where one sample's kept set
    differs from the reference (fp32) run; later stages see other tokens, so they are not compared.

    Per stage: the sample's CE scores over its alive tokens (``CandidateScores`` output) and its kept
    global indices. A swap is a tie when the token's reference score is within twice the reduced
    precision's largest score error at that stage (``e``) of the keep threshold: a kept token i and a
    dropped token j can only trade places if ``s_i - e <= s_j + e``, so ``s_i - threshold <= 2e``; the
    format cannot resolve such a pair. A swap beyond that bound would be a real error."""
    num_search = int(ref_scores[0].numel())
    for stage, (a, b) in enumerate(zip(kept, ref_kept)):
        swapped = sorted(set(a.tolist()) ^ set(b.tolist()))
        if not swapped:
            continue

        ref = _by_token(ref_scores[stage], ref_kept[stage - 1] if stage else None, num_search)
        reduced = _by_token(scores[stage], kept[stage - 1] if stage else None, num_search)
        threshold = ref[ref_kept[stage].cpu()].min()
        noise = (reduced - ref).abs().max()
        margins = (ref[torch.tensor(swapped)] - threshold).abs()
        return len(swapped) // 2, int((margins > 2 * noise).sum())
    return 0, 0


def _by_token(values: torch.Tensor, alive, num_search: int) -> torch.Tensor:
    """One stage's scores indexed by global search token (stages reorder the tokens they keep)."""
    alive = torch.arange(num_search) if alive is None else alive.cpu()
    return torch.zeros(num_search).index_copy_(0, alive, values.float().cpu())


def compute_dtype(model: nn.Module) -> torch.dtype:
    """The precision ``set_precision`` put the model in (fp32 when it has no reduced layer)."""
    for module in model.modules():
        if isinstance(module, MATRIX_LAYERS) and module.weight.dtype != torch.float32:
            return module.weight.dtype
    return torch.float32


__all__ = [
    "set_precision",
    "compute_dtype",
    "ce_swaps_beyond_noise",
    "fp32_output_layers",
    "MATRIX_LAYERS",
    "REDUCED_LAYERS",
    "FP32_LAYERS",
]
