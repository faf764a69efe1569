"""``ostrack-export``: write the static-shape ONNX graphs (and TensorRT engines) of a network."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

import torch

from ..configs import ConfigError, load_config
from ..model import CheckpointError
from ..tracking.errors import TrackingError
from ..tracking.model_choice import ModelChoice, choose_model, load_network
from .errors import BackendError
from .graph_files import template_graph_path
from .onnx_export import OPSET, export_onnx


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ostrack-export", description=__doc__.split(": ", 1)[1].strip())
    parser.add_argument(
        "--config",
        help="preset name or official-layout YAML (default: the demo model's "
        "config, or vitb_256_mae_ce_32x4_ep300 with --weights)",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        help="checkpoint (.pth.tar / .pth / .safetensors); default: the embedded demo model",
    )
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="export --config with random weights instead (benchmarks only)",
    )
    parser.add_argument("--format", choices=("onnx", "tensorrt"), default="onnx")
    parser.add_argument(
        "--fp16",
        action="store_true",
        help="half precision with LayerNorm and the CE "
        "scores/top-k in fp32: an fp16 engine (tensorrt) or an fp16 graph with fp32 "
        "inputs/outputs (onnx: for onnxruntime-gpu or strongly typed TensorRT)",
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="onnx only: the frame graph's linear layers "
        "quantized to int8 for onnxruntime on CPUs without bf16 (CE scores, LayerNorm, "
        "head fp32)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="frame graph/engine path (default: ostrack_<config>.onnx "
        "or .engine); the template graph goes next to it as <stem>.template.<ext>",
    )
    parser.add_argument(
        "--opset",
        type=int,
        help=f"ONNX opset (default {OPSET}; for tensorrt the newest "
        "its parser reads: 16 for TensorRT 8.5, 13 for 8.4)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="run the graphs on onnxruntime (CPU) next to torch and print the differences",
    )
    parser.add_argument("--workspace-gib", type=float, default=2.0, help="tensorrt builder workspace")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.random_weights:
            if args.weights is not None or not args.config:
                raise TrackingError("--random-weights takes a --config and no --weights")
            choice = ModelChoice(args.config, None, "cpu", "fp32")
            print("ostrack-export: warning: exporting random weights", file=sys.stderr)
        else:  # the graphs are traced from the fp32 network on the CPU
            choice = choose_model(args.config, args.weights, device="cpu", precision="fp32")
            for level, message in choice.notes:
                print(f"ostrack-export: {level}: {message}", file=sys.stderr)
        cfg = load_config(choice.config)
        model = load_network(choice, cfg)
    except (ConfigError, CheckpointError, TrackingError) as exc:
        print(f"ostrack-export: error: {exc}", file=sys.stderr)
        return 2
    weights = None if choice.weights is None else Path(choice.weights)
    opset, fp16_graph = args.opset or OPSET, args.fp16
    if args.int8 and (args.fp16 or args.format != "onnx"):
        print(
            "ostrack-export: error: --int8 is an onnx graph of its own (no --fp16, --format onnx)",
            file=sys.stderr,
        )
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
        graphs = export_onnx(cfg, weights, onnx_path, model=model, opset=opset, fp16=fp16_graph)
        size = graphs.frame.stat().st_size / 2**20
        print(
            f"wrote {graphs.frame} ({size:.1f} MiB) and {graphs.template} "
            f"in {time.perf_counter() - start:.1f} s (opset {opset}, {'fp16' if fp16_graph else 'fp32'})"
        )
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
    from ..runtime.ort_backend import OnnxRuntimeBackend
    from ..runtime.verify import compare_to_torch

    gen = torch.Generator().manual_seed(0)
    t, s = cfg.data.template.size, cfg.data.search.size
    backend = OnnxRuntimeBackend(graphs, cfg, torch.device("cpu"))
    agreement = compare_to_torch(
        backend, model, torch.randn(1, 3, t, t, generator=gen), torch.randn(1, 3, s, s, generator=gen)
    )
    print(f"onnxruntime vs torch (random input): {agreement}")


if __name__ == "__main__":
    sys.exit(main())
