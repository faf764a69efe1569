"""What select_target's window does, without a window: key bindings, the drag state, the drawn view.

The GUI loop in ``select_target`` only shows what these functions draw and feeds them mouse events and
keys, so the whole selection logic (Esc cancels, ENTER/SPACE sends, the frozen-frame timer) is tested
headless. OpenCV's ``selectROI`` is not used: it confirms on Esc and draws no instructions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple

import cv2
import numpy as np

Box = Tuple[float, float, float, float]


class Action(enum.Enum):
    """What a key press asks for."""

    NONE = "none"
    FREEZE = "freeze"  # live view: freeze the newest frame and start marking on it
    SEND = "send"  # frozen view: publish the dragged box
    CANCEL = "cancel"  # frozen view: drop the selection, back to the live view, nothing sent
    QUIT = "quit"


# One table for the bindings, the on-image help and the docs (docs/ROS.md repeats it).
LIVE_KEYS = {ord(" "): Action.FREEZE, ord("s"): Action.FREEZE, ord("q"): Action.QUIT, 27: Action.QUIT}
FROZEN_KEYS = {
    13: Action.SEND,
    10: Action.SEND,
    ord(" "): Action.SEND,
    27: Action.CANCEL,
    ord("c"): Action.CANCEL,
    ord("q"): Action.QUIT,
}
LIVE_HELP = "LIVE   SPACE/s: freeze and mark   q/Esc: quit"
FROZEN_HELP = "drag a box   ENTER/SPACE: send   Esc/c: cancel   q: quit"


def key_action(key: int, frozen: bool) -> Action:
    """The action bound to ``key`` (``cv2.waitKey`` value, -1 for none) in the live or frozen view."""
    return (FROZEN_KEYS if frozen else LIVE_KEYS).get(key & 0xFF if key >= 0 else key, Action.NONE)


@dataclass
class DragBox:
    """A box dragged with the left mouse button on an image of ``width`` x ``height`` pixels."""

    width: int
    height: int
    start: Optional[Tuple[int, int]] = None
    end: Optional[Tuple[int, int]] = None
    dragging: bool = False

    def on_mouse(self, event: int, x: int, y: int, flags: int = 0, param=None) -> None:
        """``cv2.setMouseCallback`` handler: press starts a box, move resizes it, release ends it."""
        point = (int(np.clip(x, 0, self.width)), int(np.clip(y, 0, self.height)))
        if event == cv2.EVENT_LBUTTONDOWN:
            self.start, self.end, self.dragging = point, point, True
        elif event == cv2.EVENT_MOUSEMOVE and self.dragging:
            self.end = point
        elif event == cv2.EVENT_LBUTTONUP and self.dragging:
            self.end, self.dragging = point, False

    def box(self) -> Optional[Box]:
        """(x, y, w, h) in image pixels, corners in any order; None until a box of at least 2x2 px."""
        if self.start is None or self.end is None:
            return None
        (x0, y0), (x1, y1) = self.start, self.end
        x, y, w, h = min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)
        return (float(x), float(y), float(w), float(h)) if w >= 2 and h >= 2 else None


def _banner(bgr: np.ndarray, lines, colour) -> None:
    """Draw text lines on a dark strip at the top of ``bgr`` (in place), scaled to the image width."""
    scale = max(0.4, min(1.0, bgr.shape[1] / 900))
    step = int(26 * scale) + 4
    cv2.rectangle(bgr, (0, 0), (bgr.shape[1], step * len(lines) + 6), (0, 0, 0), cv2.FILLED)
    for i, text in enumerate(lines):
        cv2.putText(bgr, text, (6, step * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def render_live(rgb: np.ndarray) -> np.ndarray:
    """The live view (BGR for ``cv2.imshow``) with its key help drawn on the image."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    _banner(bgr, [LIVE_HELP], (255, 255, 255))
    return bgr


def render_frozen(rgb: np.ndarray, drag: DragBox, frozen_for_s: float) -> np.ndarray:
    """The frozen frame (BGR) with a FROZEN marker, the time since freezing, the help and the box."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    cv2.rectangle(bgr, (0, 0), (bgr.shape[1] - 1, bgr.shape[0] - 1), (0, 0, 255), 3)
    box = drag.box()
    if box is not None:
        x, y, w, h = (int(v) for v in box)
        cv2.rectangle(bgr, (x, y), (x + w, y + h), (0, 255, 0), 2)
    _banner(bgr, [f"FROZEN {frozen_for_s:5.1f} s", FROZEN_HELP], (80, 80, 255))
    return bgr
