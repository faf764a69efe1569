"""The demo's own ROS node: starts the camera once the graph is up, marks the target, takes notes.

It holds back its ``image`` subscription until the tracker and the recorder are connected; the
video publisher waits for that subscription, so no frame is played to an unready graph. On the
first frame it publishes the ground-truth box on ``init`` with that frame's stamp (re-sent with
the newest frame while the tracker has not started), and it records every frame's stamp, every
``detections`` message with its arrival time, and the tracker's latest ``/diagnostics`` counters (how
many frames reached it, how many it skipped) for the summary.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.context import Context
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import Image
from std_msgs.msg import Bool, Header
from vision_msgs.msg import Detection2D, Detection2DArray

from ..ros.conversions import detection_box, make_detection
from ..ros.recorder import READY_QOS

Box = Tuple[float, float, float, float]
INIT_RETRY_S = 2.0


@dataclass(frozen=True)
class Topics:
    """Absolute topic names of the demo graph."""

    image: str = "/camera/image_raw"
    init: str = "/init"
    detections: str = "/detections"
    debug_image: str = "/debug_image"
    recorder_ready: str = "/demo_recorder/ready"  # latched: the tracker's publishers reach the recorder
    tracker_node: str = "/ostrack_tracker"  # its /diagnostics status has this hardware_id


@dataclass
class Observation:
    """What the supervisor saw: frame stamps in playing order, and each detections message as
    (stamp ns, box or None, score, arrival wall time ns)."""

    frame_stamps: List[int] = field(default_factory=list)
    detections: List[Tuple[int, Optional[Box], float, int]] = field(default_factory=list)
    init_stamp: Optional[int] = None
    graph_ready_after_s: Optional[float] = None
    tracker_counts: Dict[str, str] = field(default_factory=dict)  # latest tracker /diagnostics values
    counts_arrival: float = 0.0  # time.monotonic() of that message


def _stamp_ns(header: Header) -> int:
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


class DemoSupervisor(Node):
    """Gatekeeper, initialiser and note-taker of one demo run (see the module docstring)."""

    def __init__(
        self, box_for_frame: Callable[[int], Optional[Box]], topics: Topics = Topics(), **node_kwargs
    ) -> None:
        super().__init__("ostrack_demo", **node_kwargs)
        self.topics = topics
        self._box_for_frame = box_for_frame
        self.seen = Observation()
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._image_sub = None
        self._last_init_sent = 0.0
        self._tracking = False
        reliable = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
        )
        self._init_pub = self.create_publisher(Detection2D, topics.init, 10)
        self.create_subscription(Detection2DArray, topics.detections, self._on_detections, reliable)
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self._recorder_ready = False
        self.create_subscription(Bool, topics.recorder_ready, self._on_recorder_ready, READY_QOS)
        self._image_qos = reliable
        self.create_timer(0.1, self._tick)

    # The graph is ready when the tracker subscribes the camera and publishes detections, the recorder
    # subscribes both of its topics (we are the second detections subscriber) and says that the
    # tracker's publishers reach it (graph counts alone left a short run with nothing recorded).
    def graph_ready(self) -> bool:
        return (
            self._recorder_ready
            and self.count_subscribers(self.topics.image) >= 1
            and self.count_publishers(self.topics.detections) >= 1
            and self.count_subscribers(self.topics.debug_image) >= 1
            and self.count_subscribers(self.topics.detections) >= 2
            and self._init_pub.get_subscription_count() >= 1
        )

    def _on_recorder_ready(self, msg: Bool) -> None:
        self._recorder_ready = bool(msg.data)

    def _tick(self) -> None:
        if self._image_sub is None:
            if self.graph_ready():
                self.seen.graph_ready_after_s = time.monotonic() - self._started
                self.get_logger().info("tracker and recorder are up: starting the camera")
                self._image_sub = self.create_subscription(
                    Image, self.topics.image, self._on_image, self._image_qos
                )
            return
        with self._lock:
            stamps = list(self.seen.frame_stamps)
        if stamps and not self._tracking and time.monotonic() - self._last_init_sent > INIT_RETRY_S:
            self._send_init(len(stamps) - 1, stamps[-1])

    def _on_image(self, msg: Image) -> None:
        with self._lock:
            self.seen.frame_stamps.append(_stamp_ns(msg.header))
            index = len(self.seen.frame_stamps) - 1
        if index == 0:
            self._send_init(0, _stamp_ns(msg.header), msg.header)

    def _send_init(self, index: int, stamp_ns: int, header: Optional[Header] = None) -> None:
        box = self._box_for_frame(index)
        if box is None:  # no ground truth for this frame: fall back to the first frame's box
            index, box = 0, self._box_for_frame(0)
            stamp_ns = self.seen.frame_stamps[0]
        if header is None:
            header = Header()
            header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        self._init_pub.publish(make_detection(header, box, 1.0, "target", "init"))
        self._last_init_sent = time.monotonic()
        self.seen.init_stamp = stamp_ns
        self.get_logger().info(f"init: box {tuple(round(v, 1) for v in box)} on frame {index}")

    def _on_detections(self, msg: Detection2DArray) -> None:
        arrival = time.time_ns()
        box, score = None, float("nan")
        if msg.detections:
            det = msg.detections[0]
            box = detection_box(det)
            score = det.results[0].hypothesis.score if det.results else float("nan")
            self._tracking = True
        with self._lock:
            self.seen.detections.append((_stamp_ns(msg.header), box, score, arrival))

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.hardware_id == self.topics.tracker_node:
                with self._lock:
                    self.seen.tracker_counts = {kv.key: kv.value for kv in status.values}
                    self.seen.counts_arrival = time.monotonic()

    def snapshot(self) -> Observation:
        """A consistent copy of the notes so far."""
        with self._lock:
            return Observation(
                list(self.seen.frame_stamps),
                list(self.seen.detections),
                self.seen.init_stamp,
                self.seen.graph_ready_after_s,
                dict(self.seen.tracker_counts),
                self.seen.counts_arrival,
            )

    def counts_since(self, moment: float) -> bool:
        """True when a tracker /diagnostics message arrived after ``moment`` (time.monotonic())."""
        with self._lock:
            return self.seen.counts_arrival > moment

    def last_frame_answered(self) -> bool:
        """True when a detections message for the newest frame has arrived."""
        with self._lock:
            if not self.seen.frame_stamps:
                return False
            answered = {d[0] for d in self.seen.detections[-5:]}
            return self.seen.frame_stamps[-1] in answered


class SupervisorThread:
    """Runs a DemoSupervisor in its own rclpy context and thread, beside a LaunchService that
    owns the main thread (and with it the signal handlers)."""

    def __init__(
        self,
        box_for_frame: Callable[[int], Optional[Box]],
        topics: Topics = Topics(),
        ros_args: Sequence[str] = (),
    ) -> None:
        self.context = Context()
        rclpy.init(
            args=["--ros-args", *ros_args] if ros_args else None,
            context=self.context,
            signal_handler_options=SignalHandlerOptions.NO,
        )
        self.node = DemoSupervisor(box_for_frame, topics, context=self.context)
        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, name="demo_supervisor", daemon=True)
        self._stop = threading.Event()

    def _spin(self) -> None:
        try:
            while not self._stop.is_set() and self.context.ok():
                self._executor.spin_once(timeout_sec=0.05)
        except ExternalShutdownException:
            pass

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._executor.shutdown()
        self.node.destroy_node()
        if self.context.ok():
            rclpy.shutdown(context=self.context)


__all__ = ["DemoSupervisor", "Observation", "SupervisorThread", "Topics"]
