"""Speed of the OSTrack network and tracker for the CE presets (random weights).

For each preset: model forward and ``Tracker.track`` time per frame (median after warm-up) with
CE on (the preset) and off (same weights, no elimination), the fused SDPA attention path against
the plain explicit one, and reduced precision (bf16 on CPU, fp16/bf16 on CUDA: the mixed precision
the tracker runs, next to the whole-model cast and, for CPU bf16, autocast), plus memory.
Reduced-precision boxes are checked against fp32 on the reference tracker sequence (tiny model).
``--official DIR`` also times the official OSTrack tracker (a checkout outside this repo) side by
side with ours, frame by frame, on the same weights.

Usage: python benchmarks/bench_model.py [--presets P ...] [--frames 20] [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from reference_data import REFERENCE_DIR  # noqa: E402

from ostrack_ros.configs import OSTrackConfig, load_config  # noqa: E402
from ostrack_ros.model import build_model, ce_template_mask, resolve_device, set_precision  # noqa: E402
from ostrack_ros.tracking import Tracker  # noqa: E402
from ostrack_ros.tracking.auto_precision import cpu_has_native_bf16  # noqa: E402

PRESETS = ("vitb_256_mae_ce_32x4_ep300", "vitb_384_mae_ce_32x4_ep300")


@dataclasses.dataclass
class Row:
    """One measured configuration."""

    preset: str
    variant: str
    precision: str
    model_ms: float
    tracker_ms: float
    memory: str


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter  # --clock cpu: CPU seconds of this process, robust when other jobs share the cores


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def without_ce(cfg: OSTrackConfig) -> OSTrackConfig:
    """The same network with candidate elimination switched off."""
    backbone = dataclasses.replace(cfg.model.backbone, ce_loc=(), ce_keep_ratio=())
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, backbone=backbone))


def load_frames(count: int) -> tuple[list[np.ndarray], tuple[float, float, float, float]]:
    """The reference tracker sequence (or seeded noise frames when it is absent) and an init box."""
    path = REFERENCE_DIR / "tiny/tracker_sequence.npz"
    if path.is_file():
        with np.load(path) as seq:
            return list(seq["frames"]), tuple(float(v) for v in seq["init_box"])
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(max(count, 2))]
    return noise, (100.0, 90.0, 48.0, 40.0)


@dataclasses.dataclass
class Variant:
    """One network configuration, timed as a bare forward pass and inside the tracker."""

    name: str
    precision: str
    model: torch.nn.Module
    config: OSTrackConfig
    dtype: torch.dtype = torch.float32
    fused: bool = True
    autocast: bool = False  # bf16 autocast around an fp32 model
    model_only: bool = False  # no tracker (autocast, whole-model cast: the tracker would make it mixed)
    tracker: Tracker | None = None
    inputs: tuple = ()  # (template, search, ce_template_mask) for the bare forward pass
    model_times: list = dataclasses.field(default_factory=list)
    tracker_times: list = dataclasses.field(default_factory=list)


def timed(step: Callable[[], object], device: torch.device) -> float:
    """Wall time of ``step()`` in milliseconds, device work included."""
    synchronize(device)
    start = clock()
    step()
    synchronize(device)
    return (clock() - start) * 1e3


def build_variants(cfg: OSTrackConfig, args, device: torch.device) -> list[Variant]:
    """CE fused / CE explicit / no-CE share one set of fp32 weights; reduced precisions get their own
    copy: mixed (what ``precision: bf16/fp16`` runs), and for comparison the whole-model cast and
    (CPU bf16) autocast, both as bare forward passes."""
    torch.manual_seed(0)
    model = build_model(cfg).eval().to(device)
    plain_cfg = without_ce(cfg)
    plain = build_model(plain_cfg).eval()
    plain.load_state_dict(model.state_dict(), assign=True)  # same tensors, no second copy
    variants = [
        Variant("CE, fused attn", "fp32", model, cfg),
        Variant("CE, explicit attn", "fp32", model, cfg, fused=False),
        Variant("no CE, fused attn", "fp32", plain, plain_cfg),
    ]
    for precision in args.precisions:
        if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16() and not args.force_bf16:
            print(
                "  bf16 timing skipped: this CPU has no AVX512_BF16/AMX and torch would emulate it "
                "(~10x slower than fp32 here); --force-bf16 times it anyway",
                flush=True,
            )
            continue
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        if device.type == "cpu" and precision == "bf16":
            variants.append(
                Variant("CE, fused attn", "bf16 autocast", model, cfg, autocast=True, model_only=True)
            )
        copies = [build_model(cfg).eval().to(device) for _ in range(2)]
        for copy in copies:
            copy.load_state_dict(model.state_dict())
        variants.append(
            Variant("CE, fused attn", f"{precision} mixed", set_precision(copies[0], dtype), cfg, dtype)
        )
        variants.append(
            Variant(
                "CE, fused attn",
                f"{precision} whole cast",
                copies[1].to(dtype=dtype),
                cfg,
                dtype,
                model_only=True,
            )
        )
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(1, 3, cfg.data.template.size, cfg.data.template.size, generator=gen).to(device)
    x = torch.randn(1, 3, cfg.data.search.size, cfg.data.search.size, generator=gen).to(device)
    for v in variants:
        mask = ce_template_mask(v.config, 1, device) if v.config.model.backbone.uses_ce else None
        v.inputs = (z.to(v.dtype), x.to(v.dtype), mask)
        if not v.model_only:
            v.tracker = Tracker(v.model, v.config, device=device, dtype=v.dtype)
    return variants


def bench_preset(name: str, args, device: torch.device, images, init_box) -> list[Row]:
    """Time every variant round-robin, frame by frame, so machine load hits all of them alike."""
    cfg = load_config(name)
    print(f"{name}:", flush=True)
    variants = build_variants(cfg, args, device)
    for v in variants:
        if v.tracker is not None:
            v.tracker.initialize(images[0], init_box)
    with torch.inference_mode():
        for i in range(args.warmup + args.frames):
            image = images[1 + i % (len(images) - 1)]
            for v in variants:
                v.model.backbone.set_fused_attn(v.fused)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=v.autocast):
                    model_ms = timed(lambda v=v: v.model(*v.inputs), device)
                tracker_ms = (
                    timed(lambda v=v, image=image: v.tracker.track(image), device)
                    if v.tracker
                    else float("nan")
                )
                if i >= args.warmup:
                    v.model_times.append(model_ms)
                    v.tracker_times.append(tracker_ms)
    rows = []
    for v in variants:
        v.model.backbone.set_fused_attn(v.fused)
        memory = f"RSS {psutil.Process().memory_info().rss / 2**20:.0f} MiB (process)"
        if device.type == "cuda" and v.tracker is not None:
            torch.cuda.reset_peak_memory_stats(device)
            v.tracker.track(images[1])
            memory = f"GPU peak {torch.cuda.max_memory_allocated(device) / 2**20:.0f} MiB in track()"
        rows.append(
            Row(
                name,
                v.name,
                v.precision,
                statistics.median(v.model_times),
                statistics.median(v.tracker_times),
                memory,
            )
        )
        print(
            f"  {v.name:<20} {v.precision:<14} model {rows[-1].model_ms:8.1f} ms  "
            f"tracker {rows[-1].tracker_ms:8.1f} ms",
            flush=True,
        )
    return rows


def precision_box_check(device: torch.device, precisions: list[str]) -> list[str]:
    """Box differences to fp32 (pixels) on the reference sequence with the tiny model.

    Free-running (each precision follows its own boxes) and teacher-forced (every frame starts from
    the fp32 state, so one frame's error does not compound).
    """
    tiny = REFERENCE_DIR / "tiny"
    if not (tiny / "tracker_sequence.npz").is_file():
        return ["reduced-precision box check skipped: reference data missing"]
    with np.load(tiny / "tracker_sequence.npz") as seq:
        frames, init_box, reference = seq["frames"], tuple(seq["init_box"]), seq["boxes"]

    def run(dtype, states=None) -> np.ndarray:
        tracker = Tracker.from_files(
            tiny / "config.yaml", tiny / "checkpoint.pth.tar", device=device, dtype=dtype
        )
        tracker.initialize(frames[0], init_box)
        boxes = [init_box]
        for t in range(1, len(frames)):
            if states is not None:
                tracker.state = states[t - 1]
            boxes.append(tracker.track(frames[t]).box)
        return np.array(boxes)

    fp32 = run(torch.float32)
    lines = [
        f"tiny model, 40 frames on {device}: fp32 vs official reference max |box diff| "
        f"{np.abs(fp32 - reference).max():.2e} px"
    ]
    for precision in precisions:
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        free = np.abs(run(dtype) - fp32).max(axis=1)[1:]
        forced = np.abs(run(dtype, fp32) - fp32).max(axis=1)[1:]
        lines.append(
            f"tiny model, 40 frames on {device}: {precision} vs fp32 |box diff| free-running max "
            f"{free.max():.2f} px; teacher-forced max {forced.max():.2f} px, median "
            f"{np.median(forced):.2f} px, {(forced <= 2.0).sum()}/{len(forced)} frames within 2 px "
            f"({'meets' if free.max() <= 2.0 else 'misses'} the 2 px target)"
        )
    return lines


def import_official(root: Path):
    """The official tracker class and config module from a checkout, with its unused imports stubbed.

    Only the test-time path runs; training-data, visdom and LMDB modules it imports are replaced by
    empty stand-ins so no extra packages are needed (``easydict`` is).
    """
    import types

    stubs = {
        "torch._six": {"string_classes": str},
        "jpeg4py": {},
        "lmdb": {},
        "lib.vis.visdom_cus": {"Visdom": object},
    }
    for name, attrs in stubs.items():
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__dict__.update(attrs)
            sys.modules[name] = module
    sys.path.insert(0, str(root.resolve()))
    from lib.config.ostrack import config as official_config
    from lib.test.tracker.ostrack import OSTrack as OfficialTracker

    return OfficialTracker, official_config


def compare_with_official(
    root: Path,
    preset: str,
    device: torch.device,
    images,
    init_box,
    frames: int,
    warmup: int,
    backends: tuple[str, ...] = ("torch",),
) -> str:
    """Time the official tracker and ours (one tracker per backend) round-robin, frame by frame, on the
    same frames and the same random weights; ratios ours/official come from one run."""
    import tempfile
    import types

    official_tracker, official_config = import_official(root)
    official_config.update_config_from_file(str(root / "experiments/ostrack" / f"{preset}.yaml"))
    ocfg = official_config.cfg
    torch.manual_seed(0)
    state = build_model(preset).eval().state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "OSTrack_random.pth.tar"
        torch.save({"net": state}, checkpoint)
        ours = {
            name: Tracker.from_files(preset, checkpoint, device=device, backend=name) for name in backends
        }
        params = types.SimpleNamespace(
            cfg=ocfg,
            checkpoint=str(checkpoint),
            debug=0,
            save_all_boxes=False,
            template_factor=ocfg.TEST.TEMPLATE_FACTOR,
            template_size=ocfg.TEST.TEMPLATE_SIZE,
            search_factor=ocfg.TEST.SEARCH_FACTOR,
            search_size=ocfg.TEST.SEARCH_SIZE,
        )
        saved = torch.Tensor.cuda, torch.nn.Module.cuda
        if device.type == "cpu":  # the official code hard-codes .cuda(); make it a no-op on CPU
            torch.Tensor.cuda = lambda self, *a, **k: self
            torch.nn.Module.cuda = lambda self, *a, **k: self
        try:
            theirs = official_tracker(params, "bench")
            theirs.initialize(images[0], {"init_bbox": list(init_box)})
            for tracker in ours.values():
                tracker.initialize(images[0], init_box)
            times = {name: [] for name in ("official", *ours)}
            diffs = {name: [] for name in ours}
            for i in range(warmup + frames):
                image = images[1 + i % (len(images) - 1)]
                synchronize(device)
                start = clock()
                their_box = theirs.track(image)["target_bbox"]
                synchronize(device)
                if i >= warmup:
                    times["official"].append(clock() - start)
                for name, tracker in ours.items():
                    start = clock()
                    box = tracker.track(image).box
                    synchronize(device)
                    if i >= warmup:
                        times[name].append(clock() - start)
                    diffs[name].append(float(np.abs(np.subtract(their_box, box)).max()))
        finally:
            torch.Tensor.cuda, torch.nn.Module.cuda = saved
    official_ms = statistics.median(times["official"]) * 1e3
    lines = [
        f"official OSTrack tracker vs ours, {preset}, {device}, {torch.get_num_threads()} threads, "
        f"round-robin frame by frame, median of {frames} ({clock.__name__}), same random weights, "
        f"free-running from the same init: official {official_ms:.1f} ms/frame"
    ]
    for name in ours:
        ours_ms = statistics.median(times[name]) * 1e3
        lines.append(
            f"  ours ({name} backend): {ours_ms:.1f} ms/frame -> ours/official = "
            f"{ours_ms / official_ms:.2f} (target <= 0.80); max |box diff| vs official "
            f"{max(diffs[name]):.2e} px over {len(diffs[name])} frames"
        )
    return "\n".join(lines)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'preset':<28} {'variant':<20} {'precision':<14} {'model ms':>9} {'tracker ms':>11} "
        f"{'fps':>6}  memory"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        fps = 1e3 / r.tracker_ms if r.tracker_ms == r.tracker_ms else float("nan")
        print(
            f"{r.preset:<28} {r.variant:<20} {r.precision:<14} {r.model_ms:9.1f} {r.tracker_ms:11.1f} "
            f"{fps:6.2f}  {r.memory}"
        )
    print()
    for preset in dict.fromkeys(r.preset for r in rows):
        get = {(r.variant, r.precision): r for r in rows if r.preset == preset}
        ce, explicit, plain = (
            get.get((v, "fp32")) for v in ("CE, fused attn", "CE, explicit attn", "no CE, fused attn")
        )
        print(
            f"{preset}: fused vs explicit attention x{explicit.model_ms / ce.model_ms:.2f} (model), "
            f"x{explicit.tracker_ms / ce.tracker_ms:.2f} (tracker); CE vs no CE "
            f"x{plain.model_ms / ce.model_ms:.2f} (model), "
            f"x{plain.tracker_ms / ce.tracker_ms:.2f} (tracker)"
        )
        for (_, precision), r in get.items():
            if precision != "fp32":
                base = ce.tracker_ms if r.tracker_ms == r.tracker_ms else ce.model_ms
                mine = r.tracker_ms if r.tracker_ms == r.tracker_ms else r.model_ms
                print(
                    f"{preset}: {precision} vs fp32 x{base / mine:.2f} "
                    f"({'tracker' if r.tracker_ms == r.tracker_ms else 'model'})"
                )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--frames", type=int, default=20, help="timed frames per measurement (median)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: OMP_NUM_THREADS or torch's)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall time, or process CPU time (CPU only; robust when jobs share the cores)",
    )
    parser.add_argument(
        "--precisions", nargs="*", help="reduced precisions to time (default: bf16 on cpu, fp16 bf16 on cuda)"
    )
    parser.add_argument("--force-bf16", action="store_true", help="time CPU bf16 even without native support")
    parser.add_argument(
        "--official",
        type=Path,
        help="checkout of github.com/botaoye/OSTrack (outside this repo) to time alongside",
    )
    parser.add_argument("--official-frames", type=int, default=20)
    parser.add_argument(
        "--official-backends",
        nargs="+",
        default=["torch"],
        help="our tracker backends timed next to the official one (e.g. torch onnxruntime)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if args.clock == "cpu" and device.type != "cpu":
        parser.error("--clock cpu only makes sense with --device cpu")
    global clock
    clock = CLOCKS[args.clock]
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if args.precisions is None:
        args.precisions = ["bf16"] if device.type == "cpu" else ["fp16", "bf16"]
    cpu = torch.backends.cpu.get_cpu_capability()
    print(
        f"torch {torch.__version__}, device {device}"
        + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
        + f", {torch.get_num_threads()} threads, CPU {cpu}, native CPU bf16: {cpu_has_native_bf16()}, "
        f"{args.frames} timed frames after {args.warmup} warm-up (median, {args.clock} clock)",
        flush=True,
    )
    images, init_box = load_frames(args.frames)
    rows = []
    for name in args.presets:
        rows += bench_preset(name, args, device, images, init_box)
    print_table(rows)
    for line in precision_box_check(device, args.precisions):  # accuracy only: cheap even when emulated
        print(line)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.official:
        print(
            compare_with_official(
                args.official,
                args.presets[0],
                device,
                images,
                init_box,
                args.official_frames,
                args.warmup,
                tuple(args.official_backends),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
