"""The node's answers and names: latched ~/state, ~/init and ~/reset beside the old names, inits bound
to the frame newest on arrival, an init flood kept to the newest one, diagnostics that notice loss
and silence (injected clock), and parameter files with typos or integers for floats."""

from __future__ import annotations

import pytest

from conftest import require_ros

require_ros()

import rclpy  # noqa: E402
from diagnostic_msgs.msg import DiagnosticStatus  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from ostrack_ros.ros.conversions import make_detection  # noqa: E402
from ostrack_ros.ros.input_monitor import STALE_PERIODS  # noqa: E402
from ostrack_ros.ros.state_report import STATE_QOS  # noqa: E402
from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ostrack_ros.ros.tracker_node import TrackerNode  # noqa: E402
from ros_harness import (  # noqa: E402
    KEEP_PUBLISHING,
    MS,
    GatedTracker,
    Harness,
    header,
    tagged,
    tiny_sequence,
    tiny_tracker,
)

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def seq():
    return tiny_sequence()


class FakeClock:
    """The node's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracking_and_busy(h: Harness, tracker: GatedTracker, frames) -> None:
    """Track from frame 0, then block the worker inside track(frame 1) (stamp 200 ms)."""
    h.track_frame(frames[0], 100 * MS)
    h.init_and_wait(lambda: h.send_init(tuple(tiny_sequence()["init_box"]), 100 * MS))
    tracker.blocking = True
    h.send_frame(frames[1], 200 * MS)
    assert tracker.entered.acquire(timeout=10)


def diag(h: Harness) -> dict:
    status = h.node.diagnostics_status()
    return dict({kv.key: kv.value for kv in status.values}, level=status.level, message=status.message)


def test_state_is_latched_and_answers_every_init_on_private_and_old_names(ros, seq):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING, name="state_probe_node")
    try:
        late = rclpy.create_node("late_state_listener")  # subscribes after the node published
        got = []
        late.create_subscription(DiagnosticStatus, "/state_probe_node/state", got.append, STATE_QOS)
        h.executor.add_node(late)
        h.wait_for(lambda: got, what="latched state for a late subscriber")
        values = {kv.key: kv.value for kv in got[0].values}
        assert got[0].message == "IDLE" and values["event"] == "started"
        h.track_frame(seq["frames"][0], 100 * MS)
        private_init = h.probe.create_publisher(Detection2D, "/state_probe_node/init", 10)
        h.wait_for(lambda: private_init.get_subscription_count() > 0, what="~/init subscription")
        private_init.publish(make_detection(header(100 * MS), tuple(seq["init_box"]), 1.0, "user", ""))
        answer = h.wait_for_event("init_accepted")
        assert answer["message"] == "TRACKING" and answer["track_id"] == "1"
        assert answer["request_stamp"] == answer["stamp"] == "0.100000000"
        assert h.state_values()["source"] == "init"
        h.reset()  # the harness calls ~/reset
        answer = h.wait_for_event("reset")
        assert answer["message"] == "IDLE" and answer["track_id"] == "" and h.node.track_id == ""
        assert "reset service called" in answer["reason"]
        h.init_and_wait(lambda: h.send_init(tuple(seq["init_box"]), 100 * MS))  # old `init` topic
        assert h.wait_for_event("init_accepted", 2)["track_id"] == "2"
        old_reset = h.probe.create_client(Trigger, "/reset")  # old root name still served
        assert old_reset.wait_for_service(timeout_sec=10)
        future = old_reset.call_async(Trigger.Request())
        h.wait_for(future.done, what="old reset service")
        assert future.result().success and h.wait_for_event("reset", 2)["track_id"] == ""
    finally:
        h.close()
        late.destroy_node()


def test_unstamped_init_uses_the_frame_newest_when_it_arrived_not_when_handled(ros, seq):
    tracker = GatedTracker()
    h = Harness(tracker, KEEP_PUBLISHING, name="binding_probe_node")
    try:
        frames = tagged(seq["frames"], 4)
        tracking_and_busy(h, tracker, frames)  # the worker is busy with frame 1
        h.send_init((60.0, 50.0, 40.0, 30.0), 0)  # unstamped: means frame 1, the newest now
        h.wait_for(lambda: h.node.inits_received == 2, what="init callback")
        h.send_frame(frames[2], 300 * MS)  # newer by the time the worker gets to the init
        h.wait_for(lambda: h.node.stats.received == 3, what="frame 2 received")
        tracker.open()
        answer = h.wait_for_event("init_accepted", 2)
        assert tracker.inits[-1] == (1, (60.0, 50.0, 40.0, 30.0))  # frame 1, not frame 2
        assert answer["stamp"] == "0.200000000" and answer["request_stamp"] == ""
    finally:
        tracker.open()
        h.close()


def test_init_flood_keeps_the_newest_logs_quietly_and_output_goes_on(ros, seq, capfd):
    tracker, clock = GatedTracker(), FakeClock()
    h = Harness(tracker, KEEP_PUBLISHING, name="flood_probe_node", monotonic=clock)
    try:
        frames = tagged(seq["frames"], 6)
        tracking_and_busy(h, tracker, frames)
        clock.now += 0.1  # 200 inits "within 0.1 s" of the first: a flood
        for i in range(200):  # in bursts of 5: the init subscription keeps the last 10 messages
            h.send_init((10.0 + i * 0.5, 20.0, 40.0, 30.0), 200 * MS)
            if i % 5 == 4:
                h.wait_for(lambda n=i + 2: h.node.inits_received == n, what=f"{i + 2} inits received")
        tracker.open()
        h.wait_for_event("init_accepted", 2)
        for t, ns in ((3, 400), (4, 500), (5, 600)):  # frames keep coming out, one each
            assert len(h.track_frame(frames[t], ns * MS).detections) == 1
        values = diag(h)
    finally:
        tracker.open()
        h.close()
    assert len(tracker.inits) == 2 and tracker.inits[-1] == (1, (10.0 + 199 * 0.5, 20.0, 40.0, 30.0))
    assert values["inits_received"] == "201" and values["inits_superseded"] == "199"
    err = capfd.readouterr().err
    assert "tracking target 1 from init" in err and "tracking target 2" not in err  # flood: DEBUG


def test_diagnostics_estimate_input_loss_and_warn_on_stale_input(ros, seq):
    clock = FakeClock()
    h = Harness(tiny_tracker(), KEEP_PUBLISHING, name="diag_probe_node", monotonic=clock)
    try:
        assert "no image received yet" in diag(h)["message"] and diag(h)["level"] == DiagnosticStatus.OK
        stamps = [100 * i for i in range(1, 11)] + [1300, 1400, 1800, 1900]  # 2 + 3 frames lost
        for n, stamp in enumerate(stamps, 1):
            clock.now += 0.1
            h.track_frame(seq["frames"][n], stamp * MS)
        values = diag(h)
        assert values["frames_lost_estimate"] == "5" and values["input_period_ms"] == "100.00"
        assert values["level"] == DiagnosticStatus.WARN and "input loss" in values["message"]
        clock.now += STALE_PERIODS * 0.1 + 0.05  # the camera stops
        values = diag(h)
        assert values["level"] == DiagnosticStatus.WARN and "stale input: no image for" in values["message"]
        assert values["input_silent_s"] == f"{STALE_PERIODS * 0.1 + 0.05:.2f}"
    finally:
        h.close()


def test_params_file_integers_for_floats_and_misspelt_keys(ros, tmp_path, capfd):
    params = tmp_path / "params.yaml"
    params.write_text(
        "/**:\n  ros__parameters:\n    lost_score_threshold: 1\n"
        "    reacquire_score_threshold: 1\n    lost_frame: 3\n    debug_image_scal: 0.5\n"
    )
    node = TrackerNode(
        tracker=tiny_tracker(),
        node_name="params_probe_node",
        cli_args=["--ros-args", "--params-file", str(params)],
    )
    try:
        assert node.params.lost_score_threshold == 1.0 and isinstance(node.params.lost_score_threshold, float)
        assert node.params.lost_frames == 5  # the misspelt key did not set it
        result = node.set_parameters([rclpy.parameter.Parameter("init_click_timeout", value=3)])[0]
        assert result.successful and node.params.init_click_timeout == 3.0  # `ros2 param set ... 3`
        result = node.set_parameters([rclpy.parameter.Parameter("init_click_timeout", value="soon")])[0]
        assert not result.successful and "init_click_timeout must be a float" in result.reason
    finally:
        node.destroy_node()
    err = capfd.readouterr().err
    assert "unknown parameter(s) ignored: debug_image_scal, lost_frame" in err


def test_reset_clears_the_track_id_in_diagnostics(ros, seq):
    h = Harness(tiny_tracker(), KEEP_PUBLISHING, name="trackid_probe_node")
    try:
        h.track_frame(seq["frames"][0], 100 * MS)
        h.init_and_wait(lambda: h.send_init(tuple(seq["init_box"]), 100 * MS))
        assert diag(h)["track_id"] == "1"
        h.reset()
        h.wait_for(lambda: h.node.state is TrackState.IDLE, what="reset")
        assert diag(h)["track_id"] == ""
    finally:
        h.close()
