"""The node's /diagnostics status: state, frame rates, drops, input health, latency percentiles."""

from __future__ import annotations

from typing import Optional

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from .frame_stats import StatsSnapshot
from .input_monitor import LOSS_WARN_FRACTION, STALE_PERIODS, InputHealth
from .target_state import TrackState


def diagnostic_status(
    name: str,
    hardware_id: str,
    state: TrackState,
    stats: StatsSnapshot,
    track_id: str = "",
    health: Optional[InputHealth] = None,
) -> DiagnosticStatus:
    """One DiagnosticStatus: OK while idle/tracking; WARN when lost, when the input went quiet
    (stale) or when the stamps show frames lost on the way (the first that applies names it)."""
    level, message = DiagnosticStatus.OK, state.value.lower()
    if health is not None and health.silent_s is None:
        message = f"{message}, no image received yet"
    problems = []
    if state is TrackState.LOST:
        problems.append("target lost")
    if health is not None and health.stale:
        problems.append(
            f"stale input: no image for {health.silent_s:.1f} s (over {STALE_PERIODS} frame periods)"
        )
    if health is not None and health.recent_loss_fraction >= LOSS_WARN_FRACTION:
        problems.append(
            f"input loss: ~{100 * health.recent_loss_fraction:.0f}% of recent camera frames "
            "never arrived (stamp gaps; see docs/ROS.md 'Camera-sized frames')"
        )
    if problems:
        level, message = DiagnosticStatus.WARN, "; ".join(problems)
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
    if health is not None:
        values.update(
            {
                "frames_out_of_order": str(health.out_of_order),
                "frames_lost_estimate": str(health.lost_estimate),
                "recent_loss_percent": f"{100 * health.recent_loss_fraction:.1f}",
                "input_period_ms": "" if health.period_s is None else f"{health.period_s * 1e3:.2f}",
                "input_silent_s": "" if health.silent_s is None else f"{health.silent_s:.2f}",
            }
        )
    for key, value in stats.latency_ms.items():
        values[f"latency_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.in_node_ms.items():
        values[f"in_node_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.model_ms.items():
        values[f"tracker_{key}_ms"] = f"{value:.2f}"
    for key, value in stats.overhead_ms.items():
        values[f"overhead_{key}_ms"] = f"{value:.2f}"
    return DiagnosticStatus(
        level=level,
        name=name,
        message=message,
        hardware_id=hardware_id,
        values=[KeyValue(key=k, value=v) for k, v in values.items()],
    )


def diagnostic_array(stamp: Time, status: DiagnosticStatus) -> DiagnosticArray:
    array = DiagnosticArray(status=[status])
    array.header.stamp = stamp
    return array


__all__ = ["diagnostic_status", "diagnostic_array"]
