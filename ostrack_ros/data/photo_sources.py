"""Independent families of source images for the diverse generator, each with its origin and licence.

A family is a list of RGB images that targets and backgrounds are cut from: scikit-image's samples,
procedural textures made here, and desktop-background packages from Debian (fetched with
``apt-get download`` into a work folder, never into the repository). Keeping one family out of
training entirely gives a generalisation check on images the network never saw.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_SIDE = 1024  # source images are shrunk to this longest side (sequences are a few hundred px)


@dataclass(frozen=True)
class PhotoFamily:
    """Images of one independent source with where they come from and under which licence."""

    name: str
    images: Tuple[np.ndarray, ...]
    origin: str
    licence: str


@dataclass(frozen=True)
class DebianFamily:
    """A Debian package that ships photographs, and the folder inside it that holds them."""

    package: str
    folder: str
    licence: str


DEBIAN_FAMILIES: Dict[str, DebianFamily] = {
    "lomiri": DebianFamily(
        "lomiri-wallpapers-20.04", "usr/share/backgrounds", "CC-BY-SA-3.0 (per-file, debian/copyright)"
    ),
    "gnome": DebianFamily("gnome-backgrounds", "usr/share/backgrounds/gnome", "CC-BY-SA-3.0"),
    "ukui": DebianFamily("ukui-wallpapers", "usr/share/backgrounds", "CC-BY-SA-3.0"),
}
PROCEDURAL_KINDS = ("value_noise", "stripes", "checker", "blobs", "gradient", "flat")


def _shrink(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    scale = max_side / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, int(image.shape[1] * scale)), max(1, int(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def skimage_family() -> PhotoFamily:
    """scikit-image's bundled sample images (the generator ``synthetic.py`` uses the same pool)."""
    from .photos import photo_pool

    return PhotoFamily(
        "skimage",
        photo_pool(),
        "scikit-image data module (bundled in the wheel)",
        "BSD-3-Clause / public domain / CC0 per image (skimage/data/README.txt)",
    )


def folder_family(name: str, folder: Path, origin: str, licence: str) -> PhotoFamily:
    """Every readable image in ``folder`` (sorted by name, recursively), shrunk to ``MAX_SIDE``."""
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    images = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None and min(image.shape[:2]) >= 64:
            images.append(_shrink(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
    if len(images) < 2:
        raise ValueError(
            f"photo family {name!r}: {folder} holds fewer than two readable images "
            f"({', '.join(IMAGE_SUFFIXES)}, at least 64 px)"
        )
    return PhotoFamily(name, tuple(images), origin, licence)


def fetch_debian_package(package: str, work_dir: Path) -> Tuple[Path, str]:
    """Download (``apt-get download``) and unpack (``dpkg-deb -x``) a Debian package under
    ``work_dir/debian`` once; returns the unpacked root and the package's version."""
    download = Path(work_dir) / "debian" / "download"
    root = Path(work_dir) / "debian" / package
    try:
        debs = sorted(download.glob(f"{package}_*.deb"))
        if not debs:
            download.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["apt-get", "download", package], cwd=download, check=True, stdout=subprocess.DEVNULL
            )
            debs = sorted(download.glob(f"{package}_*.deb"))
            if not debs:
                raise FileNotFoundError(f"apt-get wrote no {package}_*.deb")
        if not root.is_dir():
            partial = root.with_name(root.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(partial)], check=True)
            partial.rename(root)
        version = subprocess.run(
            ["dpkg-deb", "-f", str(debs[-1]), "Version"], check=True, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"cannot fetch Debian package {package} ({exc})") from None
    return root, version


def fetch_debian_family(name: str, work_dir: Path) -> PhotoFamily:
    """Download and unpack the Debian package of family ``name`` under ``work_dir`` (once) and load it."""
    spec = DEBIAN_FAMILIES[name]
    try:
        root, _ = fetch_debian_package(spec.package, work_dir)
    except RuntimeError as exc:
        raise RuntimeError(f"photo family {name!r}: {exc}; unpack it yourself and pass its folder") from None
    return folder_family(name, root / spec.folder, f"Debian package {spec.package}", spec.licence)


def procedural_texture(rng: np.random.Generator, size: int = 256, kind: Optional[str] = None) -> np.ndarray:
    """One RGB uint8 texture: multi-octave value noise, stripes, checker, blobs, a gradient or a flat
    colour with faint noise (low texture)."""
    kind = kind or str(rng.choice(PROCEDURAL_KINDS))
    colors = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == "value_noise":
        mix = np.zeros((size, size), np.float32)
        for octave in range(1, 5):
            cells = 2**octave + 1
            coarse = rng.random((cells, cells)).astype(np.float32)
            mix += cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC) / octave
        mix = (mix - mix.min()) / max(float(np.ptp(mix)), 1e-6)
    elif kind == "stripes":
        angle, freq = rng.uniform(0, np.pi), rng.uniform(3, 20)
        mix = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (np.cos(angle) * xx + np.sin(angle) * yy))
    elif kind == "checker":
        cells = int(rng.integers(2, 12))
        mix = ((np.floor(xx * cells) + np.floor(yy * cells)) % 2).astype(np.float32)
    elif kind == "blobs":
        mix = np.zeros((size, size), np.float32)
        for _ in range(int(rng.integers(3, 12))):
            center = tuple(int(v) for v in rng.integers(0, size, 2))
            cv2.circle(mix, center, int(rng.integers(size // 16, size // 4)), float(rng.random()), -1)
        mix = cv2.GaussianBlur(mix, (0, 0), 2.0)
    elif kind == "gradient":
        angle = rng.uniform(0, 2 * np.pi)
        mix = np.clip(0.5 + (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)), 0, 1)
    elif kind == "flat":
        mix = np.zeros((size, size), np.float32)
    else:
        raise ValueError(f"unknown procedural texture {kind!r}; choose from {', '.join(PROCEDURAL_KINDS)}")
    image = colors[0] * (1 - mix[..., None]) + colors[1] * mix[..., None]
    image += rng.normal(0, rng.uniform(1, 6), size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def procedural_family(seed: int, count: int = 48) -> PhotoFamily:
    """``count`` procedural textures, the same for the same seed."""
    rng = np.random.default_rng([seed, 0x7E47])
    images = tuple(
        procedural_texture(rng, 256, PROCEDURAL_KINDS[i % len(PROCEDURAL_KINDS)]) for i in range(count)
    )
    return PhotoFamily("procedural", images, f"generated here (seed {seed})", "Apache-2.0 (this package)")


def load_families(
    names: Sequence[str], work_dir: Path, folders: Optional[Dict[str, Path]] = None, procedural_seed: int = 0
) -> List[PhotoFamily]:
    """Families by name: ``skimage``, ``procedural``, a Debian family (fetched under ``work_dir``) or a
    name given a folder in ``folders`` (e.g. an unpacked package or your own photographs)."""
    folders = dict(folders or {})
    families = []
    for name in names:
        if name in folders:
            spec = DEBIAN_FAMILIES.get(name)
            families.append(
                folder_family(
                    name,
                    folders[name],
                    f"folder {Path(folders[name]).name}",
                    spec.licence if spec else "as given by its owner",
                )
            )
        elif name == "skimage":
            families.append(skimage_family())
        elif name == "procedural":
            families.append(procedural_family(procedural_seed))
        elif name in DEBIAN_FAMILIES:
            families.append(fetch_debian_family(name, work_dir))
        else:
            known = ["skimage", "procedural", *DEBIAN_FAMILIES]
            raise ValueError(
                f"unknown photo family {name!r}; choose from {', '.join(known)} or give NAME=FOLDER"
            )
    return families
