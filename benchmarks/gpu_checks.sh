#!/usr/bin/env bash
# Every GPU check of this package in one go, for a machine lent for a few minutes:
# fp32 parity on the device (TF32 off) + fp16/bf16 boxes and CE sets per backend, the backend speed
# table (fp16 = mixed precision), the mixed precisions against fp32 frame by frame, and several
# targets batched vs sequential. Writes parity.txt, export.md, precision.txt and multi_target.txt
# (and their logs) into OUTDIR.
#
# Usage: benchmarks/gpu_checks.sh OUTDIR [--quick]
#   The reference fixtures come from test/fixtures/ (OSTRACK_REFERENCE_DIR overrides).
set -uo pipefail
out=${1:?usage: benchmarks/gpu_checks.sh OUTDIR [--quick]}
shift
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 OSTRACK_CACHE_DIR=${OSTRACK_CACHE_DIR:-${TMPDIR:-/tmp}/ostrack_gpu_cache}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, importlib.util as u; print('torch', torch.__version__, 'cuda', torch.version.cuda,
'| tensorrt', u.find_spec('tensorrt') is not None, '| onnxruntime', u.find_spec('onnxruntime') is not None)" \
    | tee -a "$out/gpu.txt"
python3 benchmarks/device_parity.py --device cuda 2>&1 | tee "$out/parity.txt"
parity=${PIPESTATUS[0]}
python3 benchmarks/bench_export.py --device cuda "$@" --out "$out/export.md" 2>&1 | tee "$out/export.log"
# Mixed fp16/bf16 against fp32 frame by frame (demo model, 5 unseen synthetic sequences), and the
# bf16 whole-model cast they replaced; int8 is CPU-only and reported n/a.
python3 -m ostrack_ros.data.synthetic --out "$out/synthetic_seed7" --sequences 5 --seed 7 >/dev/null 2>&1 &&
    python3 benchmarks/precision_check.py --dataset "$out/synthetic_seed7" --device cuda \
        --variants bf16-whole bf16 fp16 fp32-onnxruntime 2>&1 | tee "$out/precision.txt"
# Several targets: one batched forward vs one forward per target, 1/2/4/8 targets (issue 15), at the
# official size in fp16 and fp32.
for precision in fp16 fp32; do
    python3 benchmarks/bench_multi_target.py --device cuda --precision "$precision" --frames 30 \
        --config vitb_256_mae_ce_32x4_ep300 --weights random 2>&1 | tee -a "$out/multi_target.txt"
done
exit "$parity"
