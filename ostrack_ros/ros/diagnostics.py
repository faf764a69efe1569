"""The node's /diagnostics status: tracking state, frame rates, drops and latency percentiles."""
from __future__ import annotations

from typing import Optional

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from .frame_stats import StatsSnapshot
from .target_state import TrackState


def diagnostic_status(name: str, hardware_id: str, state: TrackState, stats: StatsSnapshot,
                      track_id: str = "", note: Optional[str] = None) -> DiagnosticStatus:
    """One DiagnosticStatus: OK while idle/tracking, WARN when lost or frames were rejected lately."""
    level = DiagnosticStatus.OK
    message = state.value.lower()
    if state is TrackState.LOST:
        level, message = DiagnosticStatus.WARN, "target lost"
    if note:
        level, message = DiagnosticStatus.WARN, note
    values = {
        "state": state.value,
        "track_id": track_id,
        "input_fps": f"{stats.input_fps:.2f}",
        "processed_fps": f"{stats.processed_fps:.2f}",
        "frames_received": str(stats.received),
        "frames_processed": str(stats.processed),
        "frames_dropped": str(stats.dropped),
        "frames_rejected": str(stats.rejected),
    }
    for key, value in stats.latency_ms.items():
        values[f"latency_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.in_node_ms.items():
        values[f"in_node_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.model_ms.items():
        values[f"tracker_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.overhead_ms.items():
        values[f"overhead_{key}_ms"] = f"{value:.2f}"
    return DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id,
                            values=[KeyValue(key=k, value=v) for k, v in values.items()])


def diagnostic_array(stamp: Time, status: DiagnosticStatus) -> DiagnosticArray:
    array = DiagnosticArray(status=[status])
    array.header.stamp = stamp
    return array


__all__ = ["diagnostic_status", "diagnostic_array"]
