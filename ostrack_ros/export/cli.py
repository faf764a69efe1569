"""``ostrack-export``: write the static-shape ONNX graphs (and TensorRT engines) of a network."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

import torch

from ..configs import ConfigError, load_config
from ..model import CheckpointError, load_model
from .backend_base import BackendError
from .onnx_export import OPSET, export_onnx, template_graph_path


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ostrack-export", description=__doc__.split(": ", 1)[1].strip())
    parser.add_argument("--config", required=True, help="preset name or official-layout YAML")
    parser.add_argument("--weights", type=Path, help="checkpoint (.pth.tar / .pth / .safetensors); "
                        "omit for random weights (benchmarks only)")
    parser.add_argument("--format", choices=("onnx", "tensorrt"), default="onnx")
    parser.add_argument("--fp16", action="store_true", help="half precision with LayerNorm and the CE "
                        "scores/top-k in fp32: an fp16 engine (tensorrt) or an fp16 graph with fp32 "
                        "inputs/outputs (onnx: for onnxruntime-gpu or strongly typed TensorRT)")
    parser.add_argument("--int8", action="store_true", help="onnx only: the frame graph's linear layers "
                        "quantized to int8 for onnxruntime on CPUs without bf16 (CE scores, LayerNorm, "
                        "head fp32)")
    parser.add_argument("--out", type=Path, help="frame graph/engine path (default: ostrack_<config>.onnx "
                        "or .engine); the template graph goes next to it as <stem>.template.<ext>")
    parser.add_argument("--opset", type=int, help=f"ONNX opset (default {OPSET}; for tensorrt the newest "
                        "its parser reads: 16 for TensorRT 8.5, 13 for 8.4)")
    parser.add_argument("--verify", action="store_true",
                        help="run the graphs on onnxruntime (CPU) next to torch and print the differences")
    parser.add_argument("--workspace-gib", type=float, default=2.0, help="tensorrt builder workspace")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    try:
        cfg = load_config(args.config)
        model = load_model(cfg, args.weights, device="cpu", dtype=torch.float32)
    except (ConfigError, CheckpointError) as exc:
        print(f"ostrack-export: error: {exc}", file=sys.stderr)
        return 2
    if args.weights is None:
        print("ostrack-export: warning: no --weights, exporting random weights", file=sys.stderr)
    opset, fp16_graph = args.opset or OPSET, args.fp16
    if args.int8 and (args.fp16 or args.format != "onnx"):
        print("ostrack-export: error: --int8 is an onnx graph of its own (no --fp16, --format onnx)",
              file=sys.stderr)
        return 2
    try:
        if args.format == "tensorrt":  # fail before the export, not after
            from .tensorrt_build import import_tensorrt, recipe_for
            recipe = recipe_for(import_tensorrt(), args.fp16)
            opset, fp16_graph = args.opset or recipe.opset, recipe.fp16_graph
    except BackendError as exc:
        print(f"ostrack-export: error: {exc}", file=sys.stderr)
        return 2
    ext = ".engine" if args.format == "tensorrt" else ".onnx"
    out = args.out or Path(f"ostrack_{cfg.name}{ext}")
    onnx_path = out.with_suffix(".onnx")
    try:
        start = time.perf_counter()
        graphs = export_onnx(cfg, args.weights, onnx_path, model=model, opset=opset, fp16=fp16_graph)
        size = graphs.frame.stat().st_size / 2 ** 20
        print(f"wrote {graphs.frame} ({size:.1f} MiB) and {graphs.template} "
              f"in {time.perf_counter() - start:.1f} s (opset {opset}, {'fp16' if fp16_graph else 'fp32'})")
        if args.int8:
            from .quantize import quantize_frame_graph
            quantized = graphs.frame.with_name(graphs.frame.stem + ".int8.tmp.onnx")
            quantize_frame_graph(graphs.frame, quantized)
            quantized.replace(graphs.frame)
            print(f"quantized the linear layers of {graphs.frame} to int8")
        if args.verify:
            _verify(graphs, cfg, model)
        if args.format == "tensorrt":
            from .tensorrt_build import build_engine
            for src, dst in ((graphs.frame, out), (graphs.template, template_graph_path(out))):
                start = time.perf_counter()
                build_engine(src, dst, fp16=args.fp16, workspace_gib=args.workspace_gib)
                precision = "fp16" if args.fp16 else "fp32"
                print(f"wrote {dst} ({precision}) in {time.perf_counter() - start:.1f} s")
    except (BackendError, ValueError) as exc:
        print(f"ostrack-export: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _verify(graphs, cfg, model) -> None:
    from .ort_backend import OnnxRuntimeBackend
    from .verify import compare_to_torch

    gen = torch.Generator().manual_seed(0)
    t, s = cfg.data.template.size, cfg.data.search.size
    backend = OnnxRuntimeBackend(graphs, cfg, torch.device("cpu"))
    agreement = compare_to_torch(backend, model, torch.randn(1, 3, t, t, generator=gen),
                                 torch.randn(1, 3, s, s, generator=gen))
    print(f"onnxruntime vs torch (random input): {agreement}")


if __name__ == "__main__":
    sys.exit(main())
