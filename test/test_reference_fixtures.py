"""The golden data from the official code is present and unaltered (checksums in its SHA256SUMS)."""

from __future__ import annotations

import hashlib

from conftest import REFERENCE_DIR


def test_every_reference_file_matches_its_checksum():
    listed = [line.split(None, 1) for line in (REFERENCE_DIR / "SHA256SUMS").read_text().splitlines() if line]
    assert len(listed) >= 9, "SHA256SUMS lists fewer files than the fixture README describes"
    for digest, name in listed:
        path = REFERENCE_DIR / name.strip()
        assert path.is_file(), f"{path} is listed in SHA256SUMS but missing"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} differs from SHA256SUMS"
