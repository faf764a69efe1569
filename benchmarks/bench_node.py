"""Tracker-node overhead per frame: stamp-to-publish latency minus the tracker's own time, and overlay cost.

Runs the real TrackerNode in-process with the tiny fixture network (its model time is subtracted, so
the network size does not matter), a camera publisher node stamping each frame with the current
time, and one frame in flight at a time (pure overhead, no queueing). Reported at 640x480 and
1280x720, without and with a debug_image subscriber, plus the overlay drawing, its packing as an
rgb8 Image and as a JPEG (debug_image/compressed), and the depth median of spatial_input: depth,
timed alone. Target: overhead under 5 ms per frame on CPU at 640x480.

    .venv/bin/python benchmarks/bench_node.py [--frames 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the working tree, not an installed copy
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", "13")

import rclpy  # noqa: E402
import torch  # noqa: E402
from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from reference_data import REFERENCE_DIR  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from vision_msgs.msg import Detection2D, Detection2DArray  # noqa: E402

from ostrack_ros.ros.conversions import bridge, image_to_rgb, make_detection, rgb_to_image  # noqa: E402
from ostrack_ros.ros.debug_output import rgb_to_jpeg  # noqa: E402
from ostrack_ros.ros.frame_stats import LatencyWindow  # noqa: E402
from ostrack_ros.ros.overlay import OverlayOptions, draw_overlay  # noqa: E402
from ostrack_ros.ros.tracker_node import TrackerNode  # noqa: E402
from ostrack_ros.spatial import box_depth  # noqa: E402
from ostrack_ros.tracking import Tracker  # noqa: E402

TINY = REFERENCE_DIR / "tiny"
SIZES = ((640, 480), (1280, 720))


def scaled_sequence(width: int, height: int):
    """The tiny fixture's synthetic video resized to width x height, and its init box scaled alike."""
    with np.load(TINY / "tracker_sequence.npz") as data:
        frames, box = data["frames"], data["init_box"]
    sx, sy = width / frames.shape[2], height / frames.shape[1]
    resized = [cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR) for f in frames]
    return resized, (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)


def run_node(width: int, height: int, n_frames: int, with_debug: bool) -> dict:
    """Median per-frame latency, tracker time and their difference from the node's own statistics."""
    frames, init_box = scaled_sequence(width, height)
    tracker = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    params = [
        Parameter("lost_score_threshold", value=0.0),
        Parameter("reacquire_score_threshold", value=0.0),
        Parameter("image_reliability", value="reliable"),
    ]
    node = TrackerNode(tracker=tracker, node_name="bench_tracker", parameter_overrides=params)
    camera = rclpy.create_node("bench_camera")
    publisher = camera.create_publisher(Image, "image", 10)
    init = camera.create_publisher(Detection2D, "init", 10)
    done = threading.Event()
    camera.create_subscription(Detection2DArray, "detections", lambda msg: done.set(), 10)
    if with_debug:
        camera.create_subscription(Image, "debug_image", lambda msg: None, 2)
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(node)
    executor.add_node(camera)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        while publisher.get_subscription_count() == 0 or node.count_publishers("init") == 0:
            time.sleep(0.01)
        if with_debug:
            while node.count_subscribers("debug_image") == 0:
                time.sleep(0.01)

        def send(index: int) -> None:
            msg = rgb_to_image(frames[index % len(frames)], None)
            msg.header.stamp = camera.get_clock().now().to_msg()
            msg.header.frame_id = "bench"
            done.clear()
            publisher.publish(msg)
            if not done.wait(30.0):
                raise RuntimeError("the node published nothing for 30 s")
            return msg.header

        header = send(0)
        init.publish(make_detection(header, init_box, 1.0, "bench", ""))
        while node.track_id == "":
            time.sleep(0.01)
        warmup = 5
        for i in range(1, warmup + n_frames + 1):
            if i == warmup + 1:  # forget the warm-up frames
                node._stats._latency, node._stats._model = LatencyWindow(), LatencyWindow()
                node._stats._overhead, node._stats._in_node = LatencyWindow(), LatencyWindow()
            send(i)
        stats = node.stats
    finally:
        executor.shutdown(timeout_sec=2.0)
        node.destroy_node()
        camera.destroy_node()
    return {
        "latency": stats.latency_ms["p50"],
        "model": stats.model_ms["p50"],
        "overhead": stats.overhead_ms["p50"],
        "overhead_p90": stats.overhead_ms["p90"],
        "in_node": stats.in_node_ms["p50"] - stats.model_ms["p50"],
    }


def time_overlay(width: int, height: int, repeats: int = 30) -> dict:
    """Median ms of draw_overlay (full size and half size) and of packing the result into an Image."""
    frames, box = scaled_sequence(width, height)
    rgb = frames[5]
    kept = np.random.default_rng(0).random((16, 16)) < 0.35
    search = (box[0] - 1.5 * box[2], box[1] - 1.5 * box[3], 4 * box[2], 4 * box[2])
    out = {}
    for label, scale in (("overlay", 1.0), ("overlay_half", 0.5)):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            canvas = draw_overlay(rgb, "TRACKING", box, 0.8, search, kept, OverlayOptions(scale=scale))
            rgb_to_image(canvas, None)
            times.append(time.perf_counter() - started)
        out[label] = statistics.median(times) * 1e3
    for encoding in ("rgb8", "bgr8"):  # ours next to plain cv_bridge, interleaved
        pixels = rgb if encoding == "rgb8" else np.ascontiguousarray(rgb[..., ::-1])
        msg = bridge().cv2_to_imgmsg(pixels, encoding=encoding)
        ours, plain = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            image_to_rgb(msg)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            np.ascontiguousarray(bridge().imgmsg_to_cv2(msg, desired_encoding="rgb8"))
            plain.append(time.perf_counter() - started)
        out[f"convert_{encoding}"] = (statistics.median(ours) * 1e3, statistics.median(plain) * 1e3)
    canvas = draw_overlay(rgb, "TRACKING", box, 0.8, search, kept, OverlayOptions())
    depth = np.full((height, width), 2500, np.uint16)
    for label, work in (
        ("pack_raw", lambda: rgb_to_image(canvas, None)),
        ("pack_jpeg", lambda: rgb_to_jpeg(canvas, Header(), 80)),
        ("depth_median", lambda: box_depth(depth, box, 1e-3)),
    ):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        out[label] = statistics.median(times) * 1e3
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="timed frames per configuration")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    rclpy.init()
    try:
        print(
            f"tracker node overhead (tiny fixture network, {args.frames} frames after 5 warm-up, "
            f"one in flight, {torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs visible; "
            "medians in ms)"
        )
        print(
            f"{'size':>10} {'debug_image':>11} {'stamp->pub':>10} {'tracker':>8} {'overhead':>8} "
            f"{'ovh p90':>8} {'in-node':>8}"
        )
        for width, height in SIZES:
            for with_debug in (False, True):
                r = run_node(width, height, args.frames, with_debug)
                print(
                    f"{width}x{height:<5} {'yes' if with_debug else 'no':>11} {r['latency']:10.2f} "
                    f"{r['model']:8.2f} {r['overhead']:8.2f} {r['overhead_p90']:8.2f} {r['in_node']:8.2f}"
                )
        print("overlay alone (draw + pack into sensor_msgs/Image) and image conversion in, ms:")
        for width, height in SIZES:
            o = time_overlay(width, height)
            conversions = [
                f"Image {e} -> RGB {ours:.3f} (cv_bridge {plain:.3f}, x{plain / ours:.0f})"
                for e, (ours, plain) in ((e, o["convert_" + e]) for e in ("rgb8", "bgr8"))
            ]
            print(
                f"  {width}x{height}: overlay full {o['overlay']:.2f}, half {o['overlay_half']:.2f}; "
                + "; ".join(conversions)
                + f"; overlay packed as rgb8 Image {o['pack_raw']:.2f}, as JPEG q80 "
                f"(debug_image/compressed) {o['pack_jpeg']:.2f}; depth median in the box "
                f"(spatial_input: depth) {o['depth_median']:.3f}"
            )
    finally:
        rclpy.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
