"""NodeParams: one field per ROS parameter, descriptors complete, validation gives reasons."""

from __future__ import annotations

import dataclasses

import pytest

from ostrack_ros.ros.parameters import NodeParams


def test_defaults_are_valid_and_every_field_has_a_descriptor():
    assert NodeParams().validate() is None
    specs = list(NodeParams.specs())
    assert [s.name for s in specs] == [f.name for f in dataclasses.fields(NodeParams)]
    assert all(s.description for s in specs)
    read_only = {s.name for s in specs if s.read_only}
    assert {"weights", "config", "device", "precision", "image_transport"} <= read_only
    assert {"lost_score_threshold", "class_id", "debug_image_scale"}.isdisjoint(read_only)


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"lost_score_threshold": 1.5}, "lost_score_threshold must be in [0, 1]"),
        ({"lost_score_threshold": float("nan")}, "finite"),
        ({"lost_frames": 0}, "lost_frames must be in"),
        ({"reacquire_score_threshold": 0.1}, "reacquire_score_threshold (0.1) must be >="),
        ({"precision": "fp8"}, "precision must be one of auto, fp32, fp16, bf16, int8"),
        ({"device": "gpu"}, "device must be auto, cpu, cuda or cuda:N"),
        ({"class_id": "  "}, "class_id must not be empty"),
        ({"debug_image_scale": 0.0}, "debug_image_scale must be in"),
        ({"init_click_mode": "three_click"}, "init_click_mode must be one of"),
        ({"debug_draw_kept_tokens": 1}, "must be a bool"),
    ],
)
def test_invalid_values_are_rejected_with_a_reason(changes, fragment):
    reason = NodeParams().replace(changes).validate()
    assert reason is not None and fragment in reason


def test_replace_coerces_ints_for_float_fields_and_rejects_unknown_names():
    params = NodeParams().replace({"lost_score_threshold": 0, "reacquire_score_threshold": 1})
    assert params.lost_score_threshold == 0.0 and isinstance(params.lost_score_threshold, float)
    assert params.validate() is None
    assert NodeParams().replace({"device": "cuda:1"}).validate() is None
    with pytest.raises(ValueError, match="unknown parameter"):
        NodeParams().replace({"score_threshold": 0.3})
