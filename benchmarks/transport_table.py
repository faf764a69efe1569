"""Do camera-sized frames cross processes? Received/published per resolution x QoS x Fast DDS profile.

For each cell a publisher process sends ``--frames`` sensor_msgs/Image at ``--rate`` Hz and a
subscriber process counts what arrives. ``profile`` says which side loads
config/fastdds_large_frames.xml (none, sub = the tracker only, pub = the camera only, both).
Figures are counts, not timings; the table in docs/ROS.md ("Camera-sized frames") comes from here.
Not a bench_*.py (so not part of `make bench`): the full table takes ~8 minutes.

    ROS_DOMAIN_ID=<yours> .venv/bin/python benchmarks/transport_table.py [--frames 150 --rate 15]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the working tree, not an installed copy
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", "13")

from ostrack_ros.ros.middleware import PROFILE_ENV_VARS, large_frames_profile  # noqa: E402

RESOLUTIONS = ((320, 240), (640, 480), (1280, 720), (1920, 1080))
PROFILES = ("none", "sub", "pub", "both")
TOPIC = "bench_transport/image"


def _qos(reliability: str):
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=5,
        reliability=(
            ReliabilityPolicy.RELIABLE if reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT
        ),
    )


def run_publisher(args) -> None:
    """Wait for the subscriber, publish the frames at the rate, linger for reliable acks."""
    import numpy as np
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("bench_transport_pub")
    pub = node.create_publisher(Image, TOPIC, _qos(args.qos))
    deadline = time.monotonic() + 20.0
    while pub.get_subscription_count() < 1 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    time.sleep(0.5)  # let the reader's side of the match settle as well
    msg = Image(width=args.width, height=args.height, encoding="rgb8", step=args.width * 3)
    msg.data = np.random.default_rng(0).integers(0, 255, args.width * args.height * 3, np.uint8).tobytes()
    period, start = 1.0 / args.rate, time.monotonic()
    for i in range(args.frames):
        time.sleep(max(0.0, start + i * period - time.monotonic()))
        msg.header.stamp.sec, msg.header.stamp.nanosec = i + 1, 0
        pub.publish(msg)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.shutdown()


def run_subscriber(args) -> None:
    """Count distinct frames until the publisher is gone (or a time limit); print the count as JSON."""
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("bench_transport_sub")
    seen = set()
    node.create_subscription(Image, TOPIC, lambda m: seen.add(m.header.stamp.sec), _qos(args.qos))
    matched, deadline = False, time.monotonic() + 25.0 + args.frames / args.rate
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        publishers = node.count_publishers(TOPIC)
        matched = matched or publishers > 0
        if matched and publishers == 0:
            break
    print(json.dumps({"received": len(seen)}), flush=True)
    node.destroy_node()
    rclpy.shutdown()


def _env(with_profile: bool, profile: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROFILE_ENV_VARS}
    if with_profile:
        env.update(dict.fromkeys(PROFILE_ENV_VARS, profile))
    return env


def run_cell(width: int, height: int, qos: str, profile_mode: str, args, profile: str) -> int:
    common = [
        sys.executable,
        __file__,
        "--width",
        str(width),
        "--height",
        str(height),
        "--qos",
        qos,
        "--frames",
        str(args.frames),
        "--rate",
        str(args.rate),
    ]
    sub = subprocess.Popen(
        common + ["--role", "sub"],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(profile_mode in ("sub", "both"), profile),
    )
    pub = subprocess.Popen(common + ["--role", "pub"], env=_env(profile_mode in ("pub", "both"), profile))
    pub.wait()
    out, _ = sub.communicate()
    return json.loads(out.strip().splitlines()[-1])["received"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--role", choices=("table", "pub", "sub"), default="table")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--qos", choices=("best_effort", "reliable"), default="best_effort")
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--rate", type=float, default=15.0)
    p.add_argument("--resolutions", default=",".join(f"{w}x{h}" for w, h in RESOLUTIONS))
    p.add_argument("--qos-list", default="best_effort,reliable")
    p.add_argument("--profiles", default=",".join(PROFILES))
    args = p.parse_args()
    if args.role == "pub":
        run_publisher(args)
        return 0
    if args.role == "sub":
        run_subscriber(args)
        return 0
    profile = large_frames_profile()
    if profile is None:
        print("config/fastdds_large_frames.xml not found", file=sys.stderr)
        return 1
    print(
        f"RMW_IMPLEMENTATION={os.environ.get('RMW_IMPLEMENTATION', '(default)')}, {args.frames} frames "
        f"at {args.rate:g} Hz, rgb8, depth 5, profile {profile}"
    )
    print("| resolution | QoS (both sides) | profile loaded by | received |\n|---|---|---|---|")
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.resolutions.split(",")]
    for (w, h), qos, mode in itertools.product(sizes, args.qos_list.split(","), args.profiles.split(",")):
        received = run_cell(w, h, qos, mode, args, profile)
        print(f"| {w}x{h} | {qos} | {mode} | {received}/{args.frames} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
