#!/usr/bin/env bash
# Every GPU check of this package in one go, for a machine lent for a few minutes:
# fp32 parity on the device (TF32 off) + fp16/bf16 boxes and CE sets per backend, then the
# backend speed table. Writes parity.txt and export.md (and their logs) into OUTDIR.
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
exit "$parity"
