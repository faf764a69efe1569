#!/usr/bin/env bash
# Re-resolve the development venv's lock (`make lock`): every package, exact version and sha256.
#
# Input: the same requirement lists tools/setup_venv.sh installs (the wheelhouse's
# requirements-jazzy.txt, requirements/ros-venv.txt, dev.txt, torch.txt). Output:
# requirements/lock/venv-cp311-x86_64.txt, for CPython 3.11 on x86_64 glibc Linux (manylinux_2_28
# and newer). Existing pins are kept unless an input changed; UPGRADE=1 re-resolves everything to
# the newest releases, UPGRADE=name[,name] only those packages. aarch64 does not resolve: the
# ROS 2 Jazzy PyPI wheels and the wheelhouse's compiled wheels exist for x86_64 only.
set -euo pipefail

# shellcheck source=tools/paths.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/paths.sh"

uv="$(command -v uv || echo "$VENV/bin/uv")"
[ -x "$uv" ] || { echo "lock: uv not found; run 'make setup' first" >&2; exit 1; }
[ -d "$WHEELS" ] || { echo "lock: $WHEELS not found (clone next to ../shared or set SHARED)" >&2; exit 1; }

upgrade=()
case "${UPGRADE:-}" in
    "" | 0) ;;
    1) upgrade=(--upgrade) ;;
    *) IFS=, read -ra names <<<"$UPGRADE"; for n in "${names[@]}"; do upgrade+=(--upgrade-package "$n"); done ;;
esac

"$uv" pip compile --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --custom-compile-command "make lock" --find-links "$WHEELS" "${upgrade[@]}" \
    "$WHEELS/requirements-jazzy.txt" requirements/ros-venv.txt requirements/dev.txt requirements/torch.txt \
    -o "$LOCK"
echo "lock: $LOCK holds $(grep -cE '^[A-Za-z0-9._-]+==' "$LOCK") packages ($("$uv" --version))"
