"""The tracker node's ROS parameters as one typed dataclass: each parameter is exactly one field.

Field metadata carries the descriptor (description, read-only, range, allowed values), so declaring,
documenting and validating all read the same table. ROS-free: the node turns the specs into
``ParameterDescriptor`` messages.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Mapping, NamedTuple, Optional, Tuple

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


class ParamSpec(NamedTuple):
    """Descriptor of one parameter: what it means, whether it may change at run time, its bounds."""

    name: str
    default: Any
    description: str
    read_only: bool
    value_range: Optional[Tuple[float, float]]
    choices: Optional[Tuple[str, ...]]


def _param(
    default: Any,
    description: str,
    *,
    read_only: bool = False,
    value_range: Optional[Tuple[float, float]] = None,
    choices: Optional[Tuple[str, ...]] = None,
):
    return field(
        default=default,
        metadata={
            "description": description,
            "read_only": read_only,
            "value_range": value_range,
            "choices": choices,
        },
    )


@dataclass(frozen=True)
class NodeParams:
    """Every tracker-node setting; network and crop geometry live in the experiment YAML only."""

    # --- fixed at start (read-only) ---
    weights: str = _param(
        "", "Checkpoint (.pth.tar / .pth / .safetensors); empty = embedded demo model", read_only=True
    )
    config: str = _param(
        "",
        "Experiment YAML path or preset name; empty = the preset matching "
        "the demo model, or vitb_256_mae_ce_32x4_ep300 with explicit weights",
        read_only=True,
    )
    device: str = _param("auto", "auto (CUDA if available, else CPU), cpu, cuda or cuda:N", read_only=True)
    precision: str = _param(
        "auto",
        "auto (CUDA: fp16; CPU with AVX512-BF16/AMX: bf16; else fp32), fp32, "
        "fp16/bf16 (mixed) or int8 (backend onnxruntime)",
        read_only=True,
        choices=("auto", "fp32", "fp16", "bf16", "int8"),
    )
    # Same names as ostrack_ros.export.BACKENDS (kept literal: this module stays torch-free).
    backend: str = _param(
        "torch",
        "Inference runtime: torch (eager), cuda-graph, torch-compile, "
        "onnxruntime (fp32/fp16/int8) or tensorrt (CUDA); see docs/JETSON.md",
        read_only=True,
        choices=("torch", "cuda-graph", "torch-compile", "onnxruntime", "tensorrt"),
    )
    image_transport: str = _param(
        "raw",
        "raw: sensor_msgs/Image on 'image'; compressed: sensor_msgs/CompressedImage on 'image/compressed'",
        read_only=True,
        choices=("raw", "compressed"),
    )
    image_reliability: str = _param(
        "best_effort",
        "QoS reliability of the image subscription",
        read_only=True,
        choices=("best_effort", "reliable"),
    )
    image_queue_depth: int = _param(
        1, "QoS history depth of the image subscription", read_only=True, value_range=(1, 100)
    )
    frame_buffer_size: int = _param(
        30,
        "Recent frames kept so an init box can name its frame by stamp",
        read_only=True,
        value_range=(1, 1000),
    )
    max_targets: int = _param(
        1,
        "Targets tracked at once, in one batched forward per frame; an init's Detection2D.id names "
        "its target (new id: new target, same id: new template, empty box: drop it)",
        read_only=True,
        value_range=(1, 64),
    )
    diagnostics_period: float = _param(
        1.0, "Seconds between /diagnostics messages", read_only=True, value_range=(0.1, 60.0)
    )
    # --- dynamic ---
    class_id: str = _param("target", "results[0].hypothesis.class_id of published detections")
    lost_score_threshold: float = _param(
        0.25, "Score below which a frame counts as a miss", value_range=(0.0, 1.0)
    )
    lost_frames: int = _param(
        5, "Consecutive misses before the target is declared LOST", value_range=(1, 10000)
    )
    reacquire_score_threshold: float = _param(
        0.4,
        "Score at which a LOST target counts as found again (>= lost_score_threshold)",
        value_range=(0.0, 1.0),
    )
    redetect: bool = _param(
        False,
        "While LOST, search the whole frame (batched tiles) and re-acquire "
        "a confirmed candidate; false = the official local search only",
    )
    redetect_crops_per_frame: int = _param(
        2,  # LongTermSettings.max_crops_per_frame (a test keeps them equal; no torch import here)
        "With redetect: search crops per LOST frame in one batch, the local crop while it still sees "
        "something and re-detection tiles (a LOST frame costs about this many crops; more: a pass "
        "over the frame takes fewer frames)",
        value_range=(1, 64),
    )
    redetect_confirm_frames: int = _param(
        1,  # LongTermSettings.confirm_frames (a test keeps them equal)
        "With redetect: consecutive re-checks a candidate must pass before it is claimed (more: "
        "fewer look-alikes claimed, a later re-acquisition)",
        value_range=(1, 10),
    )
    redetect_colour_match: float = _param(
        0.6,  # LongTermSettings.colour_match (a test keeps them equal)
        "With redetect: hue-saturation histogram correlation with the marked target that a "
        "candidate's re-check needs, so a look-alike of other colours is not claimed (-1: off)",
        value_range=(-1.0, 1.0),
    )
    init_click_mode: str = _param(
        "two_click",
        "init_point handling: two_click = two corners, one_click = centre of a default-size box",
        choices=("two_click", "one_click"),
    )
    init_click_timeout: float = _param(
        5.0, "Seconds within which the second corner click must follow", value_range=(0.1, 600.0)
    )
    init_box_width: float = _param(64.0, "Box width (px) for one_click init", value_range=(2.0, 10000.0))
    init_box_height: float = _param(64.0, "Box height (px) for one_click init", value_range=(2.0, 10000.0))
    init_stamp_tolerance: float = _param(
        0.005,
        "Max |stamp difference| (s) for an init message to "
        "match a buffered frame; else the newest frame is used",
        value_range=(0.0, 10.0),
    )
    time_jump_reset_threshold: float = _param(
        1.0,
        "Backward step of the image stamp (s) from which tracking resets (bag loop, clock reset); "
        "a smaller step is an out-of-order frame, dropped and counted",
        value_range=(0.0, 86400.0),
    )
    debug_image_scale: float = _param(
        1.0, "Downscale factor of debug_image (1 = full size)", value_range=(0.05, 1.0)
    )
    debug_draw_search_region: bool = _param(True, "Draw the search crop on debug_image")
    debug_draw_kept_tokens: bool = _param(
        True, "Shade the search tokens removed by candidate elimination on debug_image"
    )
    debug_jpeg_quality: int = _param(80, "JPEG quality of debug_image/compressed", value_range=(1, 100))
    # --- 3-D target (docs/ROS.md "3-D target"); spatial_input and the sync settings are fixed at start ---
    spatial_input: str = _param(
        "none",
        "none; camera_info: the target's bearing (unit ray) from "
        "'camera_info'; depth: also its 3-D point from 'depth' (aligned to the "
        "image) synchronised with 'camera_info'",
        read_only=True,
        choices=("none", "camera_info", "depth"),
    )
    depth_sync_slop: float = _param(
        0.02,
        "Max stamp difference (s) of depth and camera_info, and of "
        "depth and the tracked image; also how long a frame waits for its depth",
        read_only=True,
        value_range=(0.0, 1.0),
    )
    depth_sync_queue_size: int = _param(
        10,
        "Messages per input the depth/camera_info synchroniser keeps",
        read_only=True,
        value_range=(1, 100),
    )
    depth_central_fraction: float = _param(
        0.5,
        "Share of the box (per side, centred) whose median depth is the target's range",
        value_range=(0.05, 1.0),
    )
    depth_min_valid_fraction: float = _param(
        0.05, "Least share of pixels with a depth in that region for a 3-D point", value_range=(0.0, 1.0)
    )

    @classmethod
    def specs(cls) -> Iterator[ParamSpec]:
        """One ParamSpec per field, in declaration order."""
        for f in dataclasses.fields(cls):
            meta = f.metadata
            yield ParamSpec(
                f.name,
                f.default,
                meta["description"],
                meta["read_only"],
                meta["value_range"],
                meta["choices"],
            )

    @classmethod
    def spec(cls, name: str) -> ParamSpec:
        """The ParamSpec of the field ``name``; KeyError for an unknown name."""
        for spec in cls.specs():
            if spec.name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "NodeParams":
        """Build from {name: value}, coercing ints given for float fields; unknown names are an error."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
        kwargs = {}
        for name, value in values.items():
            kind = type(known[name].default)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            kwargs[name] = value
        return cls(**kwargs)

    def replace(self, changes: Mapping[str, Any]) -> "NodeParams":
        """A copy with ``changes`` applied (same coercion as ``from_mapping``)."""
        merged: Dict[str, Any] = dataclasses.asdict(self)
        merged.update(changes)
        return NodeParams.from_mapping(merged)

    def validate(self) -> Optional[str]:
        """None when every field is acceptable, else a one-line reason naming the field."""
        for spec in self.specs():
            value = getattr(self, spec.name)
            kind = type(spec.default)
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                return f"{spec.name} must be a {kind.__name__}, got {type(value).__name__}"
            if isinstance(value, float) and not math.isfinite(value):
                return f"{spec.name} must be finite, got {value}"
            if spec.value_range is not None:
                low, high = spec.value_range
                if not low <= value <= high:
                    return f"{spec.name} must be in [{low:g}, {high:g}], got {value}"
            if spec.choices is not None and value not in spec.choices:
                return f"{spec.name} must be one of {', '.join(spec.choices)}, got '{value}'"
        if not DEVICE_PATTERN.match(self.device):
            return f"device must be auto, cpu, cuda or cuda:N, got '{self.device}'"
        if self.reacquire_score_threshold < self.lost_score_threshold:
            return (
                f"reacquire_score_threshold ({self.reacquire_score_threshold:g}) must be >= "
                f"lost_score_threshold ({self.lost_score_threshold:g})"
            )
        if not self.class_id.strip():
            return "class_id must not be empty"
        return None


__all__ = ["NodeParams", "ParamSpec", "DEVICE_PATTERN"]
