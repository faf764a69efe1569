"""``ostrack-convert``: one-time conversion of a trusted pickled checkpoint to ``.safetensors``.

Official ``OSTrack_ep0300.pth.tar`` files may pickle training objects (e.g. a ``Settings``
instance) that ``torch.load(weights_only=True)`` refuses. Unpickling runs code, so it happens only
here, only with ``--trust``, and the result loads safely from then on.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import types
from pathlib import Path
from typing import List, Optional

import torch

from .checkpoint import CheckpointError, extract_state_dict, load_state_dict_file, save_safetensors


class _Stub:
    """Stands in for classes of the OSTrack training code that are not installed here."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        self.__dict__["_state"] = state


class _LenientUnpickler(pickle.Unpickler):
    """Unpickler that replaces unknown (training-only) classes by ``_Stub``: only the tensors matter."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return _Stub


_lenient_pickle = types.SimpleNamespace(Unpickler=_LenientUnpickler, load=pickle.load, __name__="pickle")


def trusted_state_dict(path: Path):
    """Fully unpickle a trusted checkpoint and return its network state dict."""
    obj = torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_lenient_pickle)
    return extract_state_dict(obj, str(path)), (obj.get("epoch") if isinstance(obj, dict) else None)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="ostrack-convert", description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="checkpoint (.pth / .pth.tar)")
    parser.add_argument("dst", type=Path, help="output .safetensors file")
    parser.add_argument(
        "--trust",
        action="store_true",
        help="allow full unpickling of SRC (runs code from the file: only for files you trust)",
    )
    args = parser.parse_args(argv)
    if args.dst.suffix != ".safetensors":
        parser.error("DST must end in .safetensors")
    try:
        if args.trust:
            state, epoch = trusted_state_dict(args.src)
        else:
            state, epoch = load_state_dict_file(args.src), None
    except CheckpointError as exc:
        print(f"ostrack-convert: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a trusted load can fail in many ways; report it in one line
        print(f"ostrack-convert: error: cannot read {args.src}: {exc}", file=sys.stderr)
        return 2
    save_safetensors(state, args.dst, {"source": args.src.name, "epoch": epoch if epoch is not None else ""})
    print(f"wrote {args.dst} ({len(state)} tensors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
