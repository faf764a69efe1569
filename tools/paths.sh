# Sourced by the tools/*.sh scripts: the repository root as working directory and the venv and
# wheelhouse locations (VENV, SHARED from the environment or the Makefile).
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
VENV="${VENV:-.venv}"
SHARED="${SHARED:-../shared}"
WHEELS="$SHARED/wheels/jazzy"
LOCK=requirements/lock/venv-cp311-x86_64.txt
