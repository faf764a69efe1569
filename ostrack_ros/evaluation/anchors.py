"""Classical OpenCV trackers (CSRT, KCF, MIL) behind the ``initialize`` / ``track`` contract of OPE.

They are the anchors ``ostrack-eval --anchors csrt,kcf,mil`` scores next to the network on the same
sequences, with the same protocol, tables and plots. MIL ships in the main ``cv2`` module; CSRT and
KCF need ``opencv-contrib-python-headless`` (``pip install ostrack_ros[anchors]``, the same version
as the installed ``opencv-python-headless``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..tracking.inputs import check_box, check_image

Box = Tuple[float, float, float, float]

CONTRIB_HINT = (
    "needs OpenCV's contrib modules: pip install 'ostrack_ros[anchors]' (or "
    "opencv-contrib-python-headless of the same version as opencv-python-headless)"
)


@dataclass(frozen=True)
class AnchorSpec:
    """One OpenCV tracker: its factory name in ``cv2`` and whether it lives in the contrib build."""

    factory: str
    contrib: bool


ANCHORS: Dict[str, AnchorSpec] = {
    "csrt": AnchorSpec("TrackerCSRT_create", contrib=True),
    "kcf": AnchorSpec("TrackerKCF_create", contrib=True),
    "mil": AnchorSpec("TrackerMIL_create", contrib=False),
}


class AnchorUnavailable(RuntimeError):
    """The installed OpenCV lacks the requested tracker (usually: contrib is not installed)."""


@dataclass(frozen=True)
class AnchorResult:
    """One frame of an anchor: the box (x, y, w, h) and 1.0 when OpenCV reports success, else 0.0."""

    box: Box
    score: float


def parse_anchor_names(text: str) -> List[str]:
    """``"csrt,kcf"`` -> ``["csrt", "kcf"]``; unknown names raise ValueError listing the known ones."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ANCHORS]
    if unknown or not names:
        raise ValueError(
            f"unknown anchor tracker(s) {', '.join(unknown) or repr(text)}; choose from {', '.join(ANCHORS)}"
        )
    return list(dict.fromkeys(names))


def anchor_factory(name: str, cv2_module=cv2) -> Callable[[], object]:
    """The ``cv2`` constructor of anchor ``name``; a missing one raises AnchorUnavailable with the fix."""
    spec = ANCHORS[name]
    factory = getattr(cv2_module, spec.factory, None)
    if factory is None:
        legacy = getattr(cv2_module, "legacy", None)
        factory = getattr(legacy, spec.factory, None) if legacy is not None else None
    if factory is None:
        hint = CONTRIB_HINT if spec.contrib else "is missing from this OpenCV build"
        raise AnchorUnavailable(
            f"OpenCV {getattr(cv2_module, '__version__', '?')} has no "
            f"{spec.factory}: the {name.upper()} anchor {hint}"
        )
    return factory


class OpenCVTracker:
    """An OpenCV tracker on RGB frames. After a reported failure it repeats the last box with score 0,
    as a tracker that must answer every frame does (the OPE protocol scores that box)."""

    def __init__(self, name: str, cv2_module=cv2) -> None:
        self.name = name
        self._factory = anchor_factory(name, cv2_module)
        self._tracker = None
        self._state: Optional[Box] = None

    @property
    def state(self) -> Optional[Box]:
        return self._state

    def initialize(self, image: np.ndarray, box: Sequence[float]) -> None:
        image = check_image(image)
        x, y, w, h = check_box(box, image.shape)
        rect = (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h))))
        self._tracker = self._factory()
        self._tracker.init(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), rect)
        self._state = (float(x), float(y), float(w), float(h))

    def track(self, image: np.ndarray) -> AnchorResult:
        if self._tracker is None or self._state is None:
            raise RuntimeError(f"{self.name}: track() called before initialize()")
        ok, rect = self._tracker.update(cv2.cvtColor(check_image(image), cv2.COLOR_RGB2BGR))
        if ok and rect[2] > 0 and rect[3] > 0:
            self._state = tuple(float(v) for v in rect)
        return AnchorResult(self._state, 1.0 if ok else 0.0)


def anchor_result_name(name: str) -> str:
    """Tracker name in tables, plots and ``results/``: ``opencv_csrt`` etc."""
    return f"opencv_{name}"


def run_anchors(
    names: Sequence[str], sequences, out_dir, threads: Optional[int] = None, progress: bool = True
) -> List[Tuple[str, object]]:
    """Run each anchor over ``sequences`` into ``out_dir/results/opencv_<name>/``; returns
    (name, results folder) pairs. Every tracker is built first, so a missing one fails before any run."""
    from pathlib import Path

    from .ope import run_dataset

    trackers = [OpenCVTracker(name) for name in names]
    if threads:
        cv2.setNumThreads(threads)
    entries = []
    for tracker in trackers:
        name = anchor_result_name(tracker.name)
        results_dir = Path(out_dir) / "results" / name
        run_dataset(tracker, sequences, results_dir, progress=progress)
        entries.append((name, results_dir))
    return entries
