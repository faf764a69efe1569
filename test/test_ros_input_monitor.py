"""ROS-free input checks: frame order, transport-loss estimate from stamp gaps, stale input; and the
mailbox keeping only the newest pending init."""

from __future__ import annotations

from ostrack_ros.ros.input_monitor import STALE_PERIODS, InputMonitor, Order
from ostrack_ros.ros.mailbox import Mailbox

MS = 1_000_000


def test_order_classification_out_of_order_vs_jump_back_vs_unknown_time():
    m = InputMonitor()
    assert m.on_frame(1000 * MS, 0.0, 1.0) == (Order.IN_ORDER, 0.0)
    order, behind = m.on_frame(999 * MS, 0.01, 1.0)  # 1 ms earlier: a reordered message
    assert order is Order.OUT_OF_ORDER and abs(behind - 0.001) < 1e-12
    assert m.on_frame(0, 0.02, 1.0)[0] is Order.UNKNOWN_TIME  # zero stamp: no clock jump
    assert m.on_frame(1033 * MS, 0.03, 1.0)[0] is Order.IN_ORDER  # the zero stamp did not move "last"
    order, behind = m.on_frame(10 * MS, 0.04, 1.0)  # bag loop
    assert order is Order.JUMPED_BACK and abs(behind - 1.023) < 1e-9
    assert m.on_frame(43 * MS, 0.05, 1.0)[0] is Order.IN_ORDER  # time restarts from the jump
    assert m.health(0.05).out_of_order == 1


def test_loss_is_estimated_from_stamp_gaps_against_the_observed_period():
    m = InputMonitor()
    stamps = [i * 100 for i in range(1, 12)] + [1400, 1500]  # 10 Hz; 1.2 s and 1.3 s never arrived
    for k, stamp in enumerate(stamps):
        m.on_frame(stamp * MS, k * 0.1, 1.0)
    health = m.health(1.3)
    assert health.lost_estimate == 2
    assert abs(health.period_s - 0.1) < 1e-9
    assert abs(health.recent_loss_fraction - 2 / (2 + len(stamps) - 1)) < 1e-9


def test_stale_input_after_a_number_of_periods_without_a_frame():
    m = InputMonitor()
    assert m.health(100.0).silent_s is None and not m.health(100.0).stale
    for k in range(6):
        m.on_frame((k + 1) * 50 * MS, k * 0.05, 1.0)
    assert not m.health(0.25 + STALE_PERIODS * 0.05 - 0.01).stale
    health = m.health(0.25 + STALE_PERIODS * 0.05 + 0.01)
    assert health.stale and abs(health.silent_s - (STALE_PERIODS * 0.05 + 0.01)) < 1e-9


def test_mailbox_keeps_only_the_newest_pending_init_and_keeps_resets_in_order():
    class Init(str):
        pass

    box = Mailbox()
    assert box.put_command(Init("i1"), supersedes=True) == []
    box.put_command("reset")
    assert box.put_command(Init("i2"), supersedes=True) == ["i1"]
    assert box.put_command(Init("i3"), supersedes=True) == ["i2"]
    assert box.take(timeout=0.1).commands == ["reset", "i3"]


def test_mailbox_keeps_the_newest_pending_init_of_each_target():
    from ostrack_ros.ros.init_requests import InitRequest

    def init(target_id: str, x: float) -> InitRequest:
        return InitRequest((x, 0.0, 10.0, 10.0), None, "init", target_id=target_id)

    box = Mailbox()
    box.put_command(init("a", 1))
    box.put_command(init("b", 2), supersedes=True)
    assert box.put_command(init("a", 3), supersedes=True) == [init("a", 1)]
    assert box.put_command(init("", 4), supersedes=True) == []
    assert [c.box[0] for c in box.take(timeout=0.1).commands] == [2, 3, 4]
