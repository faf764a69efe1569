"""Inference backends side by side: per-frame network latency, same run, same inputs.

CPU (default, what ``make bench`` runs): torch eager next to onnxruntime (fp32, fp16 graph, int8
graph) for the tiny fixture model, the embedded demo model (when shipped) and the vitb_256 CE preset
(random weights), with the torch/onnxruntime and onnxruntime fp32/int8 ratios. ``--device cuda``:
torch eager fp32/fp16 (mixed), the CUDA-graph and torch.compile backends, onnxruntime-gpu and
TensorRT (each only when importable) for the vitb_256/384 CE presets, and the end-to-end
``Tracker.track`` time of the main ones (fp16 accuracy per backend: ``device_parity.py``). Anything
missing is reported as n/a, never fatal.

Usage: python benchmarks/bench_export.py [--device cuda] [--quick] [--out table.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from reference_data import REFERENCE_DIR  # noqa: E402

from ostrack_ros.configs import load_config  # noqa: E402
from ostrack_ros.export import ExportedOnnx, export_onnx  # noqa: E402
from ostrack_ros.export.quantize import quantize_frame_graph  # noqa: E402
from ostrack_ros.model import build_model, ce_template_mask, load_model, set_precision  # noqa: E402
from ostrack_ros.runtime.compiled import CompiledBackend, CudaGraphBackend  # noqa: E402
from ostrack_ros.tracking import Tracker  # noqa: E402

GPU_PRESETS = ("vitb_256_mae_ce_32x4_ep300", "vitb_384_mae_ce_32x4_ep300")


@dataclass
class Timing:
    """Per-frame latency statistics in milliseconds."""

    median: float
    p90: float

    @property
    def fps(self) -> float:
        return 1000.0 / self.median


def measure(step: Callable[[], object], device: torch.device, iters: int, warmup: int) -> Timing:
    """Median / p90 wall time of ``step`` (synchronised, as the tracker's per-frame host read is)."""
    for _ in range(warmup):
        step()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return Timing(statistics.median(times), times[min(len(times) - 1, int(0.9 * len(times)))])


def frame_step(backend, cfg, device: torch.device, dtype: torch.dtype) -> Callable[[], object]:
    """One per-frame network call on fixed random inputs (template embedded once, like the tracker)."""
    gen = torch.Generator().manual_seed(0)
    t, s = cfg.data.template.size, cfg.data.search.size
    template = torch.randn(1, 3, t, t, generator=gen).to(device, dtype)
    search = torch.randn(1, 3, s, s, generator=gen).to(device, dtype)
    mask = ce_template_mask(cfg, 1, device) if cfg.model.backbone.uses_ce else None
    with torch.inference_mode():
        tokens = backend.embed_template(template)

    def step():
        with torch.inference_mode():
            return backend.track_frame(tokens, search, mask).score_map

    return step


def ort_backend(graphs, cfg, device: torch.device):
    from ostrack_ros.runtime.ort_backend import OnnxRuntimeBackend

    return OnnxRuntimeBackend(graphs, cfg, device)


class Table:
    """Rows printed as they come and collected as a Markdown table."""

    def __init__(self, header: list[str]) -> None:
        self.lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        print(self.lines[0], flush=True)

    def add(self, *cells: object) -> None:
        line = "| " + " | ".join(str(c) for c in cells) + " |"
        self.lines.append(line)
        print(line, flush=True)


def na(exc: BaseException) -> str:
    """A one-line reason for a table cell."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"n/a ({text[:90]})"


# ---------------------------------------------------------------------------------------------
def cpu_models(quick: bool):
    """(label, config, weights) of the CPU comparison; missing ones are reported, not fatal."""
    models = []
    tiny = REFERENCE_DIR / "tiny"
    if (tiny / "checkpoint.pth.tar").is_file():
        models.append(("tiny fixture (dim 64)", tiny / "config.yaml", tiny / "checkpoint.pth.tar"))
    else:
        print(f"# tiny fixture model missing under {tiny}: skipped")
    try:
        from ostrack_ros.assets import demo_model_paths

        config, weights = demo_model_paths()
        models.append(("demo model", config, weights))
    except (ImportError, FileNotFoundError) as exc:
        print(f"# demo model skipped: {exc}")
    models.append(("vitb_256 CE (random)", "vitb_256_mae_ce_32x4_ep300", None))
    return models


def run_cpu(args) -> list[str]:
    device = torch.device("cpu")
    threads = torch.get_num_threads()
    table = Table(
        [
            "model",
            "torch eager fp32 ms",
            "onnxruntime fp32 ms",
            "torch / onnxruntime",
            "onnxruntime fp16 graph ms",
            "onnxruntime int8 ms",
            "onnxruntime fp32 / int8",
            "export s",
        ]
    )
    for label, config, weights in cpu_models(args.quick):
        cfg = load_config(config)
        torch.manual_seed(0)
        model = load_model(cfg, weights)
        iters = max(3, args.iters // (10 if cfg.model.backbone.width().embed_dim >= 768 else 1))
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            graphs = export_onnx(cfg, weights, Path(tmp) / "frame.onnx", model=model)
            export_s = time.perf_counter() - start
            half = export_onnx(cfg, weights, Path(tmp) / "half.onnx", model=model, fp16=True)
            int8 = ExportedOnnx(Path(tmp) / "int8.onnx", graphs.template)
            quantize_frame_graph(graphs.frame, int8.frame)
            steps = [
                frame_step(model, cfg, device, torch.float32),
                frame_step(ort_backend(graphs, cfg, device), cfg, device, torch.float32),
                frame_step(ort_backend(half, cfg, device), cfg, device, torch.float32),
                frame_step(ort_backend(int8, cfg, device), cfg, device, torch.float32),
            ]
            # Interleave them so a shared machine's load hits all alike.
            times = [[] for _ in steps]
            for _ in range(3):
                for step, bucket in zip(steps, times):
                    bucket.append(measure(step, device, iters, 2).median)
        t_ms, o_ms, h_ms, q_ms = (min(t) for t in times)
        table.add(
            label,
            f"{t_ms:.2f}",
            f"{o_ms:.2f}",
            f"{t_ms / o_ms:.2f}x",
            f"{h_ms:.2f}",
            f"{q_ms:.2f}",
            f"{o_ms / q_ms:.2f}x",
            f"{export_s:.0f}",
        )
    return [
        f"CPU: {platform.processor() or platform.machine()}, {threads} torch/onnxruntime thread(s), "
        f"torch {torch.__version__}",
        "",
    ] + table.lines


# ---------------------------------------------------------------------------------------------
def gpu_variants(quick: bool):
    """(label, precision, factory(model_fp32, graphs_getter) -> backend) of the CUDA comparison."""

    def eager(dtype):  # fp16 = mixed precision, as the tracker runs it
        return lambda m, g: set_precision(m, dtype)

    def graph(dtype):
        return lambda m, g: CudaGraphBackend(set_precision(m, dtype))

    def compiled(dtype, mode):
        return lambda m, g: CompiledBackend(set_precision(m, dtype), mode=mode)

    def onnxruntime_gpu(fp16):
        def make(m, g):
            import onnxruntime

            if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
                raise RuntimeError("onnxruntime-gpu not installed (no CUDAExecutionProvider)")
            return ort_backend(g(17, fp16), m.config, next(m.parameters()).device)

        return make

    def tensorrt(fp16):
        def make(m, g):
            from ostrack_ros.export.tensorrt_build import build_engine, import_tensorrt, recipe_for
            from ostrack_ros.runtime.trt_backend import TensorRTBackend

            recipe = recipe_for(import_tensorrt(), fp16)
            graphs = g(recipe.opset, recipe.fp16_graph)
            engines = [
                build_engine(p, p.with_suffix(f".fp16{fp16}.engine"), fp16=fp16)
                for p in (graphs.frame, graphs.template)
            ]
            return TensorRTBackend(engines[0], engines[1], m.config, next(m.parameters()).device)

        return make

    variants = [
        ("torch eager", "fp32", eager(torch.float32)),
        ("torch eager", "fp16", eager(torch.float16)),
        ("CUDA graph", "fp32", graph(torch.float32)),
        ("CUDA graph", "fp16", graph(torch.float16)),
        ("torch.compile", "fp16", compiled(torch.float16, "default")),
    ]
    if not quick:
        variants += [
            ("torch.compile", "fp32", compiled(torch.float32, "default")),
            ("torch.compile reduce-overhead", "fp16", compiled(torch.float16, "reduce-overhead")),
        ]
    variants += [
        ("onnxruntime-gpu", "fp32", onnxruntime_gpu(False)),
        ("onnxruntime-gpu", "fp16", onnxruntime_gpu(True)),
        ("TensorRT", "fp16", tensorrt(True)),
    ]
    if not quick:
        variants.append(("TensorRT", "fp32", tensorrt(False)))
    return variants


def run_cuda(args) -> list[str]:
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 (torch's default, stated here)
    torch.backends.cudnn.allow_tf32 = False
    deadline = time.monotonic() + args.budget_s
    table = Table(
        ["preset", "backend", "precision", "frame ms (median)", "p90 ms", "FPS", "tracker ms", "setup s"]
    )
    presets = args.presets or list(GPU_PRESETS)
    for preset in presets:
        cfg = load_config(preset)
        tmp = tempfile.TemporaryDirectory()
        exported = {}

        def graphs(opset=17, fp16=False, cfg=cfg, tmp=tmp, exported=exported):
            if (opset, fp16) not in exported:
                torch.manual_seed(0)
                exported[opset, fp16] = export_onnx(
                    cfg,
                    None,
                    Path(tmp.name) / f"frame{opset}_{fp16}.onnx",
                    model=build_model(cfg),
                    opset=opset,
                    fp16=fp16,
                )
            return exported[opset, fp16]

        for label, precision, make in gpu_variants(args.quick):
            if args.variants and not any(v in label for v in args.variants):
                continue
            if time.monotonic() > deadline:
                table.add(preset, label, precision, "skipped (time budget)", "", "", "", "")
                continue
            try:
                torch.manual_seed(0)
                model = build_model(cfg).to(device).eval()
                start = time.perf_counter()
                backend = make(model, graphs)
                dtype = torch.float16 if precision == "fp16" else torch.float32
                step = frame_step(backend, cfg, device, dtype)
                step()  # first call (compilation for torch.compile) counts as setup
                setup_s = time.perf_counter() - start
                timing = measure(step, device, args.iters, 5)
                tracker_ms = ""
                if preset == presets[0] and label in ("torch eager", "CUDA graph", "TensorRT"):
                    tracker_ms = f"{tracker_latency(backend, cfg, device, dtype, args.iters):.2f}"
                table.add(
                    preset,
                    label,
                    precision,
                    f"{timing.median:.2f}",
                    f"{timing.p90:.2f}",
                    f"{timing.fps:.0f}",
                    tracker_ms,
                    f"{setup_s:.1f}",
                )
            except Exception as exc:  # one missing runtime must not end the run
                if args.verbose:
                    traceback.print_exc()
                table.add(preset, label, precision, na(exc), "", "", "", "")
            finally:
                torch.cuda.empty_cache()
        tmp.cleanup()
    lines = [
        f"GPU: {torch.cuda.get_device_name(device)}, torch {torch.__version__}, "
        f"CUDA {torch.version.cuda}, batch 1, random weights; frame = template tokens cached, "
        "search crop -> maps + CE indices; "
        "tracker = Tracker.track on a 640x480 frame (crop, normalise, network, peak, map back)",
        "",
    ]
    lines += table.lines + ["", "fp16 vs fp32 boxes and CE sets per backend: benchmarks/device_parity.py"]
    return lines


def tracker_latency(backend, cfg, device, dtype, iters: int) -> float:
    """Median ms of ``Tracker.track`` end to end (host frame in, box out) with this backend."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    tracker = Tracker(backend, cfg, device=device, dtype=dtype)
    tracker.initialize(frame, (300.0, 220.0, 40.0, 40.0))

    def step():
        tracker.state = (300.0, 220.0, 40.0, 40.0)
        tracker.track(frame)

    return measure(step, device, iters, 5).median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda / cuda:N")
    parser.add_argument("--quick", action="store_true", help="fewer iterations and variants (minutes)")
    parser.add_argument("--iters", type=int, help="timed iterations per measurement")
    parser.add_argument("--presets", nargs="*", help=f"CUDA mode presets (default {' '.join(GPU_PRESETS)})")
    parser.add_argument("--budget-s", type=float, default=300.0, help="CUDA mode: skip variants after this")
    parser.add_argument("--variants", nargs="*", help="CUDA mode: only backends whose label contains one")
    parser.add_argument("--out", type=Path, help="also write the tables (Markdown) here")
    parser.add_argument("--verbose", action="store_true", help="print tracebacks of failed variants")
    args = parser.parse_args(argv)
    args.iters = args.iters or (30 if args.quick else 100)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    if threads:
        torch.set_num_threads(threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("bench_export: --device cuda but CUDA is not available to this torch", file=sys.stderr)
        return 2
    lines = run_cuda(args) if args.device.startswith("cuda") else run_cpu(args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")
        print(f"# table written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
