"""Out-of-view trajectories for long-term sequences: the target leaves the frame and re-enters elsewhere.

The target follows its path until ``exit_at``, slides out through the nearest border, stays out of
view for a while, then slides in through the border nearest to a re-entry point at least
``min_distance`` of the frame (``hypot(dx / W, dy / H)``) away from where it was last fully seen
(and crossing the border as far from where it left), and follows a fresh path from there.
"""

from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

RAMP_FRAMES = 4  # frames the target takes to slide fully out of (or into) the view
FAR_AWAY = -1e5  # centre used while out of view: nowhere near the frame


def outside_point(point: np.ndarray, half_size: np.ndarray, width: int, height: int) -> np.ndarray:
    """``point`` pushed through its nearest frame border until the whole target is outside (+4 px)."""
    needs = (
        np.array(
            [
                point[0] + half_size[0],
                width - point[0] + half_size[0],
                point[1] + half_size[1],
                height - point[1] + half_size[1],
            ]
        )
        + 4
    )
    side = int(np.argmin(needs))
    direction = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], np.float64)[side]
    return point + needs[side] * direction


def reentry_point(
    rng: np.random.Generator,
    last_seen: np.ndarray,
    half_size: np.ndarray,
    width: int,
    height: int,
    min_distance: float,
    margin: float = 0.15,
) -> np.ndarray:
    """A point inside the frame (``margin`` from the borders) at least ``min_distance`` away from
    ``last_seen`` in frame units, whose border crossing is as far from the exit crossing; the best
    of 200 draws when none qualifies."""
    size = np.array([width, height], np.float64)
    draws = rng.uniform(margin * size, (1 - margin) * size, size=(200, 2))
    exit_at = outside_point(last_seen, half_size, width, height)
    crossings = np.array([outside_point(p, half_size, width, height) for p in draws])
    distance = np.minimum(
        np.hypot(*((draws - last_seen) / size).T), np.hypot(*((crossings - exit_at) / size).T)
    )
    good = np.flatnonzero(distance >= min_distance)
    return draws[good[0]] if good.size else draws[int(np.argmax(distance))]


def reentry_path(
    rng: np.random.Generator,
    before: np.ndarray,
    make_path: Callable[[np.ndarray, int], np.ndarray],
    half_size: np.ndarray,
    width: int,
    height: int,
    absent_frames: Tuple[int, int],
    min_distance: float,
) -> Tuple[np.ndarray, int, int]:
    """(centres (N, 2), first absent frame, number of absent frames) of a leave-and-re-enter path.

    ``before`` is the path the target follows until it leaves; ``make_path(start, n)`` draws the
    path it follows after re-entering, starting at ``start``."""
    n = len(before)
    absent = int(rng.integers(absent_frames[0], absent_frames[1] + 1))
    latest_exit = n - absent - 2 * RAMP_FRAMES - 10
    if latest_exit < max(5, n // 6):
        raise ValueError(f"{n} frames are too few for a {absent}-frame absence plus re-entry")
    exit_at = int(rng.integers(max(5, n // 6), latest_exit + 1))
    last_seen = before[exit_at]
    centers = before.copy()
    out = outside_point(last_seen, half_size, width, height)
    for k in range(1, RAMP_FRAMES + 1):  # the last ramp frame is fully out: the first absent frame
        centers[exit_at + k] = last_seen + (out - last_seen) * k / RAMP_FRAMES
    first_absent = exit_at + RAMP_FRAMES
    back_at = first_absent + absent  # first frame with the target partly visible again
    centers[first_absent + 1 : back_at] = FAR_AWAY
    entry = reentry_point(rng, last_seen, half_size, width, height, min_distance)
    entry_out = outside_point(entry, half_size, width, height)
    centers[back_at - 1] = entry_out  # just outside: still absent
    for k in range(1, RAMP_FRAMES + 1):
        centers[back_at - 1 + k] = entry_out + (entry - entry_out) * k / RAMP_FRAMES
    rest = back_at - 1 + RAMP_FRAMES
    centers[rest:] = make_path(entry, n - rest)
    return centers, first_absent, absent
