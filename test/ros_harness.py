"""In-process rclpy harness for tracker-node tests: the node under test plus a probe node, spun in a thread.

The probe publishes frames/init messages and records everything the tracker node publishes. The ROS
environment (localhost discovery, domain id) comes from conftest.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import Point
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header
from std_srvs.srv import Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from conftest import REFERENCE_DIR
from ostrack_ros.ros.conversions import bridge, make_detection
from ostrack_ros.ros.state_report import STATE_QOS
from ostrack_ros.ros.tracker_node import TrackerNode

TINY_DIR = REFERENCE_DIR / "tiny"
FRAME_ID = "camera_optical"
MS = 1_000_000
#: every frame reaches the node, and the random tiny model is never declared lost
KEEP_PUBLISHING = {
    "image_reliability": "reliable",
    "image_queue_depth": 10,
    "lost_score_threshold": 0.0,
    "reacquire_score_threshold": 0.0,
}


def tiny_tracker():
    from ostrack_ros.tracking import Tracker

    return Tracker.from_files(TINY_DIR / "config.yaml", TINY_DIR / "checkpoint.pth.tar")


class GatedTracker:
    """The tiny tracker; while ``blocking``, track() waits until the test releases ``gate`` (one call
    per release), so "the camera outruns the model" needs no timing. Records initialize calls as
    (tag, box) and tracked frames' tags (pixel [0, 0, 0], see ``tagged``) and the calls in flight."""

    def __init__(self, blocking: bool = False) -> None:
        self.inner = tiny_tracker()
        self.blocking = blocking
        self.gate, self.entered = threading.Semaphore(0), threading.Semaphore(0)
        self.inits: List[tuple] = []
        self.tracked: List[int] = []
        self._lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0

    def initialize(self, image, box):
        self.inits.append((int(image[0, 0, 0]), tuple(float(v) for v in box)))
        self.inner.initialize(image, box)

    def track(self, image, **kwargs):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.blocking:
            self.entered.release()
            assert self.gate.acquire(timeout=30), "the test never opened the gate"
        with self._lock:
            self.in_flight -= 1
            self.tracked.append(int(image[0, 0, 0]))
        return self.inner.track(image, **kwargs)

    def open(self) -> None:
        """Stop blocking and let a waiting call through (safe to call more than once)."""
        self.blocking = False
        self.gate.release()


def tagged(frames, count: int) -> List[np.ndarray]:
    """Copies of the first ``count`` frames with their index in pixel [0, 0, 0]."""
    out = [f.copy() for f in frames[:count]]
    for i, frame in enumerate(out):
        frame[0, 0, 0] = i
    return out


def tiny_sequence() -> Dict[str, np.ndarray]:
    with np.load(TINY_DIR / "tracker_sequence.npz") as data:
        return {key: data[key] for key in ("frames", "init_box", "boxes")}


def stamp_of(ns: int):
    from builtin_interfaces.msg import Time

    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def header(ns: int, frame_id: str = FRAME_ID) -> Header:
    return Header(stamp=stamp_of(ns), frame_id=frame_id)


def stamp_ns(msg_header: Header) -> int:
    return msg_header.stamp.sec * 1_000_000_000 + msg_header.stamp.nanosec


class Harness:
    """A TrackerNode (given tracker, parameter overrides) wired to a probe node on one executor."""

    def __init__(
        self,
        tracker: Any,
        params: Optional[Dict[str, Any]] = None,
        name: str = "tracker_under_test",
        node_class: Any = None,
        executor_threads: int = 2,
        **node_kwargs: Any,
    ):
        """``node_class`` (e.g. LifecycleTrackerNode, given ``node_kwargs`` instead of ``tracker``) makes a
        node that is not active yet: then only the probe's side is waited for. ``executor_threads`` 1
        spins both nodes on one thread, as ``ostrack_tracker`` does: a callback that destroys entities
        (a lifecycle transition) then never runs while the executor builds its wait set."""
        overrides = [Parameter(k, value=v) for k, v in (params or {}).items()]
        if node_class is None:
            self.node = TrackerNode(
                tracker=tracker, node_name=name, parameter_overrides=overrides, **node_kwargs
            )
        else:
            self.node = node_class(node_name=name, parameter_overrides=overrides, **node_kwargs)
        self.probe = rclpy.create_node(name + "_probe")
        self.transport = self.node.get_parameter("image_transport").value
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        if self.transport == "compressed":
            self.image_pub = self.probe.create_publisher(CompressedImage, "image/compressed", qos)
        else:
            self.image_pub = self.probe.create_publisher(Image, "image", qos)
        self.init_pub = self.probe.create_publisher(Detection2D, "init", 10)
        self.point_pub = self.probe.create_publisher(Point, "init_point", 10)
        self.debug_click_pub = self.probe.create_publisher(Point, "debug_image_mouse_left", 10)
        self.lock = threading.Lock()
        self.detections: List[Detection2D] = []
        self.arrays: List[Detection2DArray] = []
        self.debug_images: List[Image] = []
        self.diagnostics: List[DiagnosticArray] = []
        self.states: List[DiagnosticStatus] = []
        self.probe.create_subscription(Detection2D, "detection", self._keep(self.detections), 10)
        self.probe.create_subscription(Detection2DArray, "detections", self._on_array, 100)
        self.probe.create_subscription(DiagnosticArray, "/diagnostics", self._keep(self.diagnostics), 10)
        self.probe.create_subscription(DiagnosticStatus, f"/{name}/state", self._keep(self.states), STATE_QOS)
        self.reset_client = self.probe.create_client(Trigger, f"/{name}/reset")
        self.executor = (
            MultiThreadedExecutor(num_threads=executor_threads)
            if executor_threads > 1
            else SingleThreadedExecutor()
        )
        self.executor.add_node(self.node)
        self.executor.add_node(self.probe)
        self._closing = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()
        self.wait_for(
            lambda: (
                (node_class is not None or self.image_pub.get_subscription_count() > 0)
                and self.node.count_publishers("init") > 0
            ),
            what="discovery",
        )

    def _keep(self, store: list) -> Callable:
        def callback(msg):
            with self.lock:
                store.append(msg)

        return callback

    def _on_array(self, msg: Detection2DArray) -> None:
        with self.lock:
            self.arrays.append(msg)

    def subscribe_debug(self) -> None:
        self.probe.create_subscription(Image, "debug_image", self._keep(self.debug_images), 10)
        self.wait_for(lambda: self.node.count_subscribers("debug_image") > 0, what="debug subscriber")

    # ---------------------------------------------------------------- sending
    def send_frame(self, rgb: np.ndarray, ns: int, frame_id: str = FRAME_ID) -> None:
        if self.transport == "compressed":
            msg = bridge().cv2_to_compressed_imgmsg(np.ascontiguousarray(rgb[..., ::-1]), dst_format="png")
            msg.header = header(ns, frame_id)
        else:
            msg = bridge().cv2_to_imgmsg(rgb, encoding="rgb8", header=header(ns, frame_id))
        self.image_pub.publish(msg)

    def send_raw(self, msg) -> None:
        self.image_pub.publish(msg)

    def track_frame(self, rgb: np.ndarray, ns: int, timeout: float = 10.0) -> Detection2DArray:
        """Publish a frame and wait for the detections array stamped with it."""
        self.send_frame(rgb, ns)
        return self.wait_for_array(ns, timeout)

    def wait_for_array(self, ns: int, timeout: float = 10.0) -> Detection2DArray:
        found = []

        def arrived():
            with self.lock:
                found[:] = [a for a in self.arrays if stamp_ns(a.header) == ns]
            return bool(found)

        self.wait_for(arrived, timeout, what=f"detections at stamp {ns}")
        return found[0]

    def send_init(self, box, ns: int = 0, target_id: str = "") -> None:
        self.init_pub.publish(make_detection(header(ns), box, 1.0, "user", target_id))

    def state_values(self, index: int = -1) -> Dict[str, str]:
        """The key/values of a ~/state message (default: the latest), plus 'message'."""
        with self.lock:
            status = self.states[index]
        return dict({kv.key: kv.value for kv in status.values}, message=status.message)

    def events(self) -> List[str]:
        with self.lock:
            return [next(kv.value for kv in s.values if kv.key == "event") for s in self.states]

    def wait_for_event(self, event: str, count: int = 1, timeout: float = 10.0) -> Dict[str, str]:
        """Wait until ~/state has reported ``event`` ``count`` times; the values of the last one."""
        self.wait_for(lambda: self.events().count(event) >= count, timeout, what=f"{count} x {event}")
        index = [i for i, e in enumerate(self.events()) if e == event][count - 1]
        return self.state_values(index)

    def click(self, x: float, y: float, debug: bool = False) -> None:
        (self.debug_click_pub if debug else self.point_pub).publish(Point(x=float(x), y=float(y)))

    def init_and_wait(self, send: Callable[[], None], timeout: float = 10.0) -> str:
        """Run ``send`` (an init path) and wait for the node to start a new target; returns its id.

        A new target has a new, non-empty id (the id of the target it replaces until then)."""
        before = self.node.track_id
        send()
        self.wait_for(lambda: self.node.track_id not in (before, ""), timeout, what="initialisation")
        return self.node.track_id

    def reset(self) -> Trigger.Response:
        assert self.reset_client.wait_for_service(timeout_sec=5.0)
        future = self.reset_client.call_async(Trigger.Request())
        self.wait_for(future.done, what="reset response")
        return future.result()

    def set_params(self, **values):
        """Set parameters one by one (as ``ros2 param set`` does); one result each."""
        return self.node.set_parameters([Parameter(k, value=v) for k, v in values.items()])

    def set_params_atomically(self, **values):
        return self.node.set_parameters_atomically([Parameter(k, value=v) for k, v in values.items()])

    # ---------------------------------------------------------------- waiting and teardown
    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

    def _spin(self) -> None:
        """The executor's spin. What it raises once ``close`` has begun is rclpy's teardown race, not
        the node's: ``Executor.shutdown`` (Jazzy) destroys its guard condition without waiting for
        callbacks still running in a MultiThreadedExecutor's pool, and such a callback then triggers
        the destroyed guard (InvalidHandle)."""
        try:
            self.executor.spin()
        except Exception:
            if not self._closing.is_set():
                raise

    def close(self) -> None:
        # Generous bounds: on a loaded machine a spin still running while the nodes are destroyed
        # raises in the spin thread (InvalidHandle). They bound a hung graph, never timed assertions.
        self._closing.set()
        self.executor.shutdown(timeout_sec=10.0)
        self.thread.join(timeout=10.0)  # spin has returned before the nodes' handles go away
        self.node.destroy_node()
        self.probe.destroy_node()
