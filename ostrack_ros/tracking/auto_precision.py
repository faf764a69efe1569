"""``precision: auto``: the fastest precision that keeps fp32 accuracy on the device.

One rule for the node, the CLIs and ``Tracker``: CUDA -> fp16 (mixed, see
``ostrack_ros.model.set_precision``); a CPU with native bf16 matrix instructions (AVX512-BF16 or
AMX) -> bf16 for the torch backends; anything else -> fp32 (torch would emulate bf16 ~10x slower,
and the onnxruntime CPU backend has no bf16 path). int8 is never picked automatically: it is a
separate accuracy trade-off (docs/benchmarks.md).
"""

from __future__ import annotations

from typing import FrozenSet, Iterable, Optional, Tuple

import torch

AUTO = "auto"
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo names of native bf16 matrix instructions
CPU_BF16_BACKENDS = ("torch", "torch-compile")  # backends that run bf16 on the CPU


def cpu_flags(path: str = "/proc/cpuinfo") -> FrozenSet[str]:
    """The CPU feature flags the kernel reports (empty where there is no /proc/cpuinfo)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_native_bf16(flags: Optional[Iterable[str]] = None) -> bool:
    """True when the CPU has AVX512-BF16 or AMX-BF16 (otherwise torch emulates bf16 matrix work)."""
    flags = cpu_flags() if flags is None else frozenset(flags)
    if flags:
        return any(flag in flags for flag in CPU_BF16_FLAGS)
    # No cpuinfo (not Linux): ask torch's own CPU feature probes where this version has them.
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def resolve_precision(
    precision: str, device: torch.device | str, backend: str = "torch", flags: Optional[Iterable[str]] = None
) -> Tuple[str, str]:
    """(precision name, reason): ``auto`` decided for a resolved ``device`` and ``backend``; any
    other name is returned as is with an empty reason."""
    if precision != AUTO:
        return precision, ""
    device = torch.device(device)
    if device.type == "cuda":
        return "fp16", "CUDA device: fp16 matrix work, fp32 norms and CE scores"
    if not cpu_has_native_bf16(flags):
        return "fp32", "this CPU has no AVX512-BF16/AMX (bf16 would be emulated, slower than fp32)"
    if backend not in CPU_BF16_BACKENDS:
        return "fp32", f"the {backend} backend has no CPU bf16 path"
    return "bf16", "CPU with AVX512-BF16/AMX: bf16 matrix work, fp32 norms and CE scores"


__all__ = ["AUTO", "cpu_flags", "cpu_has_native_bf16", "resolve_precision"]
