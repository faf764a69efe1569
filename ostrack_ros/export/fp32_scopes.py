"""Which exported ops an fp16 engine keeps in fp32: the node-name scopes of LayerNorm and the CE scores."""

from __future__ import annotations

from typing import List, Sequence

from torch import nn

from ..model.attention import CandidateScores

FP32_MODULES = (nn.LayerNorm, CandidateScores)  # what an fp16 engine keeps in fp32


def fp32_scopes(model: nn.Module, node_names: Sequence[str]) -> List[str]:
    """Node-name scopes (e.g. ``/backbone/blocks.0/norm1/``) of the ops an fp16 engine must keep in
    fp32: every LayerNorm (decomposed or not) and the CE scores (``CandidateScores``).

    The exporter names nodes after the path of module calls, so a scope that is the tail of such a
    module's qualified name (and of no other kind of module's) holds that module's ops."""
    fp32 = {name: isinstance(module, FP32_MODULES) for name, module in model.named_modules() if name}

    def holds_fp32_module(scope: str) -> bool:
        dotted = scope.strip("/").replace("/", ".")
        return {v for n, v in fp32.items() if n == dotted or n.endswith("." + dotted)} == {True}

    scopes = {name.rsplit("/", 1)[0] + "/" for name in node_names if "/" in name}
    return sorted(s for s in scopes if holds_fp32_module(s))
