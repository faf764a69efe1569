"""fetch_debian_package downloads once, unpacks once and reads the version (a fake apt-get, no network)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from ostrack_ros.data.photo_sources import fetch_debian_package

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian, Ubuntu)")


def _fake_apt(tmp_path: Path, monkeypatch, deb: Optional[Path] = None) -> Path:
    """An ``apt-get`` first on PATH that logs each call and copies ``deb`` into its working folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt_calls.txt"
    action = f'cp "{deb}" .' if deb else "exit 100"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n{action}\n')
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(shutil.which('dpkg-deb')).parent}")
    return log


def _build_deb(tmp_path: Path) -> Path:
    tree = tmp_path / "pkg"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: demo-clips\nVersion: 1.2-3\nArchitecture: all\nMaintainer: x <x@example.org>\n"
        "Description: test package\n"
    )
    (tree / "usr" / "share" / "demo").mkdir(parents=True)
    (tree / "usr" / "share" / "demo" / "clip.txt").write_text("frames")
    deb = tmp_path / "demo-clips_1.2-3_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    return deb


def test_downloads_and_unpacks_once(tmp_path, monkeypatch):
    log = _fake_apt(tmp_path, monkeypatch, _build_deb(tmp_path))
    work = tmp_path / "work"
    root, version = fetch_debian_package("demo-clips", work)
    assert version == "1.2-3"
    assert (root / "usr" / "share" / "demo" / "clip.txt").read_text() == "frames"
    assert fetch_debian_package("demo-clips", work) == (root, version)
    assert log.read_text().splitlines() == ["download demo-clips"]


def test_failed_download_names_the_package(tmp_path, monkeypatch):
    _fake_apt(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError, match="cannot fetch Debian package demo-clips"):
        fetch_debian_package("demo-clips", tmp_path / "work")
    assert not (tmp_path / "work" / "debian" / "demo-clips").exists()
