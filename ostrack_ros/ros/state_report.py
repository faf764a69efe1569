"""The node's latched ``~/state`` message: tracking state, track id, last score, why it last changed.

No custom interface package: ``diagnostic_msgs/DiagnosticStatus`` fits a state report as it is
(``message`` = IDLE/TRACKING/LOST, ``level`` = OK or WARN, ``values`` = typed-as-text key/value
pairs every ROS tool can echo, filter and plot), and every distribution ships it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from .target_state import TrackState

#: latched: a late subscriber (or `ros2 topic echo`) gets the current state at once
STATE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


@dataclass(frozen=True)
class StateReport:
    """One state change or command answer. ``event`` names what happened (started, init_accepted,
    init_refused, reset, lost, reacquired, resized, ...), ``reason`` says why in words, ``stamp_ns``
    is the frame it concerns (0: none or unknown), ``request_stamp_ns`` the init's own header stamp."""

    state: TrackState
    track_id: str
    score: float
    event: str
    reason: str
    stamp_ns: int = 0
    request_stamp_ns: int = 0
    source: str = ""
    targets: str = ""  # every target after the event: "id=STATE,..." (several targets, max_targets)


def state_status(report: StateReport, name: str, hardware_id: str) -> DiagnosticStatus:
    """The DiagnosticStatus published on ``~/state``: WARN when LOST or when a command was refused."""
    refused = report.event.endswith("refused")
    level = DiagnosticStatus.WARN if report.state is TrackState.LOST or refused else DiagnosticStatus.OK
    values = {
        "state": report.state.value,
        "track_id": report.track_id,
        "score": "" if not math.isfinite(report.score) else f"{report.score:.4f}",
        "event": report.event,
        "reason": report.reason,
        "stamp": _seconds(report.stamp_ns),
        "request_stamp": _seconds(report.request_stamp_ns),
        "source": report.source,
        "targets": report.targets,
    }
    return DiagnosticStatus(
        level=level,
        name=name,
        message=report.state.value,
        hardware_id=hardware_id,
        values=[KeyValue(key=k, value=v) for k, v in values.items()],
    )


def _seconds(stamp_ns: int) -> str:
    return f"{stamp_ns // 1_000_000_000}.{stamp_ns % 1_000_000_000:09d}" if stamp_ns else ""


__all__ = ["StateReport", "STATE_QOS", "state_status"]
