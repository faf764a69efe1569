"""Shared test setup: one torch thread, a private localhost ROS graph, the reference fixtures, ROS skips."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Environment defaults, set before torch or rclpy is imported; an explicit value from the caller
# (Makefile, CI, a developer's shell) wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")  # parallel test runs on few cores must not spin-wait
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")  # DDS never leaves this host
os.environ.setdefault("ROS_DOMAIN_ID", "42")
# Golden data from the official code, shipped in the repository (test/fixtures/ostrack_reference/).
os.environ.setdefault("OSTRACK_REFERENCE_DIR", str(REPO_ROOT / "test" / "fixtures" / "ostrack_reference"))
# The venv is an ament prefix (ROS wheels, and ostrack_ros installed by `make setup`): ros2 CLI,
# launch and get_package_share_directory need it on AMENT_PREFIX_PATH.
if (Path(sys.prefix) / "share" / "ament_index").is_dir():
    _prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    if sys.prefix not in _prefixes:
        os.environ["AMENT_PREFIX_PATH"] = os.pathsep.join([sys.prefix, *_prefixes])

REFERENCE_DIR = Path(os.environ["OSTRACK_REFERENCE_DIR"])
TINY_DIR = REFERENCE_DIR / "tiny"
# The CLIs' model arguments for the fixtures' tiny network (ostrack-track, -eval, -export).
TINY_MODEL_ARGS = [
    "--config",
    str(TINY_DIR / "config.yaml"),
    "--weights",
    str(TINY_DIR / "checkpoint.pth.tar"),
]
# Tolerances of the fixture README for float32 on CPU (never loosened to pass), and its CE layers.
MAP_TOL = {"score_map": 1e-5, "size_map": 2e-6, "offset_map": 5e-5}
FIXTURE_TOL = dict(MAP_TOL, pred_boxes=1e-6, backbone_feat=1e-4)
CE_LAYERS = (3, 6, 9)


@pytest.fixture(scope="module")
def tiny_model():
    """The fixtures' tiny seeded CE network, fp32 on CPU (one per test module)."""
    from ostrack_ros.model import load_model

    return load_model(TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run without the golden data: parity tests must fail loudly, never skip."""
    if not (REFERENCE_DIR / "SHA256SUMS").is_file():
        raise pytest.UsageError(
            f"reference fixtures not found at {REFERENCE_DIR} (OSTRACK_REFERENCE_DIR): they ship in "
            "test/fixtures/ostrack_reference/; unset the variable or point it at a complete copy"
        )


def pytest_configure(config: pytest.Config) -> None:
    """Pin torch to one intra-op thread (the OMP variable alone does not reach every torch build)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _record_digest(data: bytes) -> str:
    """sha256 in the form a wheel's RECORD file stores it (urlsafe base64, no padding)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def installed_copy_status() -> str:
    """Does the venv's installed ostrack_ros (what launched nodes run) match the working tree?"""
    site = sysconfig.get_paths()["purelib"]
    dist = next(iter(metadata.distributions(name="ostrack_ros", path=[site])), None)
    if dist is None:
        return f"not installed in {sys.prefix}: run `make setup` before launch tests"
    installed = {}
    for record in dist.files or []:
        parts = record.parts
        if record.hash is None or "__pycache__" in parts:
            continue
        if parts[0] == "ostrack_ros":  # the Python package, by its path inside the repo
            installed[REPO_ROOT.joinpath(*parts)] = record.hash.value
        elif parts[-3:-1] in (("ostrack_ros", "launch"), ("ostrack_ros", "config")):  # share/ data
            installed[REPO_ROOT.joinpath(*parts[-2:])] = record.hash.value
    stale = [
        path
        for path, digest in installed.items()
        if not path.is_file() or digest != _record_digest(path.read_bytes())
    ]
    new = [path for path in (REPO_ROOT / "ostrack_ros").rglob("*.py") if path not in installed]
    if stale or new:
        return f"STALE ({len(stale)} changed, {len(new)} new files): run `make setup` before launch tests"
    return "matches the working tree"


def pytest_report_header(config: pytest.Config) -> str:
    return f"ostrack_ros installed in the venv: {installed_copy_status()}"


@functools.lru_cache(maxsize=None)
def rclpy_import_error() -> str | None:
    """Why rclpy and the message packages cannot be imported here, or None when they can."""
    try:
        import rclpy  # noqa: F401
        import vision_msgs.msg  # noqa: F401
    except ImportError as exc:  # also covers a ROS install whose native libraries do not load
        return f"ROS 2 Python packages not importable: {exc}"
    return None


def require_ros() -> None:
    """Skip the calling test module when ROS is missing; call it before a module-level ``import rclpy``."""
    reason = rclpy_import_error()
    if reason:
        pytest.skip(reason, allow_module_level=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``ros`` cleanly when rclpy is missing, with the import error as the reason."""
    ros_items = [item for item in items if item.get_closest_marker("ros")]
    if ros_items and (reason := rclpy_import_error()):
        for item in ros_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The official-code golden data (OSTRACK_REFERENCE_DIR); a clear failure when it is missing."""
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.fail(
            f"reference fixtures not found at {REFERENCE_DIR}: they ship in test/fixtures/; "
            "unset OSTRACK_REFERENCE_DIR or point it at a complete copy",
            pytrace=False,
        )
    return REFERENCE_DIR


@pytest.fixture(scope="module")
def ros():
    """rclpy's default context for one test module: the node harness creates its nodes there."""
    require_ros()
    import rclpy

    rclpy.init()
    yield
    rclpy.shutdown()


@pytest.fixture
def ros_context():
    """A private rclpy context, so a test neither needs nor disturbs a global ``rclpy.init()``."""
    require_ros()
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    if context.ok():
        rclpy.shutdown(context=context)
