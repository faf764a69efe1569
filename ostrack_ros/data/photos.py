"""The pool of real photographs the synthetic generator composites: scikit-image's bundled samples."""

from __future__ import annotations

from functools import lru_cache
from typing import Tuple

import numpy as np

# Images that ship inside the scikit-image wheel (no download); binary masks and phantoms left out.
PHOTO_NAMES = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "checkerboard",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "moon",
    "page",
    "retina",
    "rocket",
    "text",
)


@lru_cache(maxsize=1)
def photo_pool() -> Tuple[np.ndarray, ...]:
    """All available photographs as RGB uint8 arrays (grey images replicated to three channels)."""
    from skimage import data

    photos = []
    for name in PHOTO_NAMES:
        try:
            image = np.asarray(getattr(data, name)())
        except Exception:  # an image missing from this scikit-image build: use the others
            continue
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        photos.append(np.ascontiguousarray(image[..., :3].astype(np.uint8)))
    if len(photos) < 4:
        raise RuntimeError("scikit-image sample images are unavailable; install scikit-image >= 0.19")
    return tuple(photos)
