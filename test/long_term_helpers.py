"""An out-of-view sequence the demo model finds again only with re-detection (core and node tests)."""

from __future__ import annotations

from ostrack_ros.data.synthetic import SyntheticConfig, SyntheticSequence, render_sequence

REENTRY_ABSENT = (24, 38)  # first and last frame without the target
LONG_TERM_PARAMS = {"lost_score_threshold": 0.55, "reacquire_score_threshold": 0.55, "lost_frames": 3}


def reentry_sequence() -> SyntheticSequence:
    """Seed 1313, index 6 (64 frames, no distractor or occluder): the target leaves through a border
    on frames 24-38 and re-enters at least 35 % of the frame away. (Index 3 served until the demo
    model's no-target rounds and index 1 until its grey rounds: the official tracker of those models
    finds these targets again by itself.)"""
    cfg = SyntheticConfig(
        length=64, reentry=True, reentry_absent=(15, 15), max_distractors=0, p_occlusion=0.0
    )
    return render_sequence(cfg, 1313, 6)


def demo_tracker():
    from ostrack_ros.assets import demo_model_paths
    from ostrack_ros.tracking import Tracker

    return Tracker.from_files(*demo_model_paths())


MARKED, MARKED_BACK = 11, 36  # marked frame, first frame well after the target re-entered


def marked_far_scene() -> SyntheticSequence:
    """Seed 5050 #3 (80 frames): a ~27 px target, marked on frame 11, leaves the view and is back
    from frame 34 on, 147 px away from where it was marked: beyond its 106 px search window."""
    cfg = SyntheticConfig(
        length=80,
        object_size=(30.0, 40.0),
        reentry=True,
        reentry_absent=(15, 15),
        max_distractors=0,
        p_occlusion=0.0,
        reentry_distance=0.5,
    )
    return render_sequence(cfg, 5050, 3)
