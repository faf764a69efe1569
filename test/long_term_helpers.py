"""An out-of-view sequence the demo model finds again only with re-detection (core and node tests)."""

from __future__ import annotations

from ostrack_ros.data.synthetic import SyntheticConfig, SyntheticSequence, render_sequence

REENTRY_ABSENT = (20, 34)  # first and last frame without the target
LONG_TERM_PARAMS = {"lost_score_threshold": 0.55, "reacquire_score_threshold": 0.55, "lost_frames": 3}


def reentry_sequence() -> SyntheticSequence:
    """Seed 1313, index 3 (64 frames, no distractor or occluder): the target leaves through a border
    on frames 20-34 and re-enters at least 35 % of the frame away."""
    cfg = SyntheticConfig(
        length=64, reentry=True, reentry_absent=(15, 15), max_distractors=0, p_occlusion=0.0
    )
    return render_sequence(cfg, 1313, 3)


def demo_tracker():
    from ostrack_ros.assets import demo_model_paths
    from ostrack_ros.tracking import Tracker

    return Tracker.from_files(*demo_model_paths())
