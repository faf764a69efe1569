"""The node's ROS-free runtime parts: newest-frame-wins mailbox, stats, warning throttle, overlay."""

from __future__ import annotations

import threading

import numpy as np

from ostrack_ros.ros.frame_stats import FrameStats, LatencyWindow, RateMeter
from ostrack_ros.ros.mailbox import Mailbox
from ostrack_ros.ros.overlay import OverlayOptions, draw_overlay
from ostrack_ros.ros.throttle import KeyedThrottle


def test_mailbox_keeps_the_newest_frame_counts_drops_and_orders_commands():
    box = Mailbox()
    assert box.put_frame(1) is False
    assert box.put_frame(2) is True  # frame 1 never reached the worker: dropped
    box.put_command("init")
    box.put_command("reset")
    work = box.take(timeout=0.1)
    assert work.frame == 2 and work.commands == ["init", "reset"]
    assert box.take(timeout=0.01) is None
    with box.current(work.generation) as current:
        assert current
    box.put_command("init")  # does not invalidate the result being computed
    with box.current(work.generation) as current:
        assert current
    box.put_command("reset", invalidates_in_flight=True)  # arrives while the worker computes
    with box.current(work.generation) as current:
        assert not current


def test_mailbox_wakes_a_waiting_worker_and_close_releases_it():
    box = Mailbox()
    got = []
    worker = threading.Thread(target=lambda: got.append(box.take(timeout=5.0)))
    worker.start()
    box.put_frame("f")
    worker.join(2.0)
    assert got[0].frame == "f"
    waiter = threading.Thread(target=lambda: got.append(box.take(timeout=5.0)))
    waiter.start()
    box.close()
    waiter.join(2.0)
    assert not waiter.is_alive() and got[1] is None


def test_rates_and_latency_percentiles():
    meter = RateMeter(window_s=10.0)
    for i in range(11):
        meter.tick(now=i * 0.1)
    assert abs(meter.rate(now=1.0) - 10.0) < 1e-9
    assert meter.rate(now=100.0) == 0.0
    window = LatencyWindow(size=100)
    assert window.percentiles_ms() == {}
    for ms in range(1, 101):
        window.add(ms / 1e3)
    stats = window.percentiles_ms()
    assert abs(stats["p50"] - 50.5) < 1e-6 and stats["max"] == 100.0
    frames = FrameStats()
    frames.on_received(), frames.on_dropped(2), frames.on_rejected(), frames.on_processed(0.01, 0.008, 0.005)
    snap = frames.snapshot()
    assert (snap.received, snap.dropped, snap.rejected, snap.processed) == (1, 2, 1, 1)
    assert abs(snap.latency_ms["p50"] - 10.0) < 1e-9 and abs(snap.model_ms["max"] - 5.0) < 1e-9
    assert abs(snap.overhead_ms["p50"] - 5.0) < 1e-9 and abs(snap.in_node_ms["p50"] - 8.0) < 1e-9


def test_throttle_admits_one_message_per_key_and_period_and_counts_the_rest():
    throttle = KeyedThrottle(period_s=2.0)
    assert throttle.admit("a", "a1", now=0.0) == ["a1"]
    assert throttle.admit("a", "a2", now=0.5) == []
    assert throttle.admit("b", "b1", now=0.5) == ["b1"]  # keys are independent
    assert throttle.admit("a", "a3", now=1.0) == []
    summary, message = throttle.admit("a", "a4", now=2.5)
    assert summary.startswith("a3 (2 similar warning(s) suppressed") and message == "a4"


def test_throttle_summary_travels_with_the_messages_it_counts():
    """The held-back count is flushed with its own latest message when the window closes, never
    attached to a later, different warning."""
    throttle = KeyedThrottle(period_s=2.0)
    throttle.admit("size", "size changed", now=0.0)
    throttle.admit("size", "size changed again", now=1.0)
    assert throttle.flush(now=1.5) == []  # window still open
    assert throttle.admit("stamp", "stamp jumped", now=1.6) == ["stamp jumped"]  # no foreign count
    flushed = throttle.flush(now=2.1)
    assert len(flushed) == 1 and flushed[0].startswith("size changed again (1 similar")
    assert throttle.admit("size", "size changed a third time", now=30.0) == ["size changed a third time"]
    assert throttle.flush(now=60.0) == []


def test_overlay_draws_box_and_shades_removed_tokens_without_touching_the_input():
    rgb = np.full((240, 320, 3), 200, np.uint8)
    kept = np.ones((16, 16), bool)
    kept[:8] = False  # top half of the search crop eliminated
    out = draw_overlay(
        rgb, "TRACKING", (100, 100, 40, 30), 0.87, (-40, -60, 320, 320), kept, OverlayOptions(scale=1.0)
    )
    assert (rgb == 200).all() and out.shape == rgb.shape
    assert out[50, 150, 0] == int(200 * 0.45)  # inside the removed half, away from lines
    assert out[150, 200, 0] == 200  # kept half untouched
    assert tuple(out[100, 120]) == (40, 220, 40)  # box edge in the TRACKING colour
    small = draw_overlay(rgb, "LOST", options=OverlayOptions(scale=0.5))
    assert small.shape == (120, 160, 3)
    # A search crop far off the image and a crop without CE draw nothing and do not fail.
    draw_overlay(rgb, "TRACKING", (0, 0, 5, 5), 0.1, (1000, 1000, 50, 50), kept)
    draw_overlay(rgb, "TRACKING", (0, 0, 5, 5), 0.1, (10, 10, 50, 50), None)
    # A lost frame of re-detection tiles only has no score of its own: the state alone is written.
    # Re-detection crops searched while lost are outlined in the search colour, if search regions are.
    tiles = draw_overlay(rgb, "LOST", searched=[(10.0, 20.0, 60.0, 60.0)])
    assert tiles[50, 10, 2] < 100 and tuple(tiles[50, 40]) == (200, 200, 200)  # (250, 200, 40), anti-aliased
    plain = draw_overlay(
        rgb, "LOST", options=OverlayOptions(draw_search_region=False), searched=[(10, 20, 60, 60)]
    )
    assert tuple(plain[50, 10]) == (200, 200, 200)
    no_score = draw_overlay(rgb, "LOST", (0, 0, 5, 5), float("nan"))
    assert (no_score == draw_overlay(rgb, "LOST", (0, 0, 5, 5))).all()
