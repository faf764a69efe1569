"""The OSTrack ROS 2 node: camera frames in, Detection2D out, inference on a worker thread.

Callbacks only hand frames and commands to a ``Mailbox``; one worker thread owns the tracker and the
target state, applies commands in order (init, reset) and then tracks the newest frame. Anything a
camera or a user can send wrong ends in a rate-limited warning, never in a dead node.
"""
from __future__ import annotations

import gc
import itertools
import math
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Point
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import ParameterException
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_srvs.srv import Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from .conversions import (
    BadImageError,
    check_image,
    compressed_to_rgb,
    detection_box,
    image_to_rgb,
    make_detection,
    make_detection_array,
    rgb_to_image,
)
from .diagnostics import diagnostic_array, diagnostic_status
from .frame_stats import FrameStats
from .init_requests import ClickCollector, FrameRingBuffer, InitBoxError, InitRequest, checked_init_box
from .mailbox import Mailbox
from .node_lifecycle import shutdown, until_stopped
from .overlay import OverlayOptions, draw_overlay
from .parameters import NodeParams, ParamSpec
from .startup import StartupError, choose_model, load_tracker
from .target_state import TargetStateMachine, TrackState
from .throttle import KeyedThrottle

NODE_NAME = "ostrack_tracker"


@dataclass(frozen=True)
class Frame:
    """One received camera message, not yet decoded."""

    msg: Union[Image, CompressedImage]
    stamp_ns: int
    received: float  # time.monotonic()


@dataclass(frozen=True)
class Reset:
    """Stop tracking; ``reason`` is logged when a target was being tracked."""

    reason: str


class TrackerNode(Node):
    """Tracks one user-marked target in an image stream with OSTrack."""

    def __init__(self, tracker: Any = None, node_name: str = NODE_NAME, **node_kwargs: Any) -> None:
        """Declare parameters, load the model (unless ``tracker`` is given, as tests do) and wire I/O.

        Raises StartupError with a one-line reason when parameters, files or the device are unusable.
        """
        super().__init__(node_name, **node_kwargs)
        self._params = self._declare_parameters()
        self._throttle = KeyedThrottle(2.0)
        if tracker is None:
            tracker = self._load_tracker()
        from ..tracking.long_term import LongTermTracker  # torch-bound, so imported once a node exists
        self._tracker = LongTermTracker.around(tracker)  # claim state + re-detection (`redetect`)
        self._state = TargetStateMachine()
        self._track_ids = itertools.count(1)
        self.track_id = ""
        self._frame_size: Optional[tuple] = None
        self._last_rx_stamp_ns: Optional[int] = None
        self._stats = FrameStats()
        self._frames: FrameRingBuffer[Frame] = FrameRingBuffer(self._params.frame_buffer_size)
        self._clicks = ClickCollector()
        self._mailbox: Mailbox[Frame] = Mailbox()
        self._make_interfaces()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker = threading.Thread(target=self._run_worker, name="ostrack_worker", daemon=True)
        self._worker.start()
        self.get_logger().info(
            f"ready: subscribed to '{self._image_topic}' ({self._params.image_reliability}, depth "
            f"{self._params.image_queue_depth}); mark a target on '{self._init_topic}' or "
            f"'{self._click_topic}'")

    # ------------------------------------------------------------------ setup
    def _declare_parameters(self) -> NodeParams:
        values = {}
        try:
            for spec in NodeParams.specs():
                values[spec.name] = self.declare_parameter(
                    spec.name, spec.default, _descriptor(spec)).value
        except ParameterException as exc:
            raise StartupError(f"bad parameter: {exc}") from None
        params = NodeParams.from_mapping(values)
        reason = params.validate()
        if reason:
            raise StartupError(f"bad parameter: {reason}")
        return params

    def _load_tracker(self) -> Any:
        import torch

        choice = choose_model(self._params, torch.cuda.is_available)
        for level, message in choice.notes:  # one call site per severity (rclpy requires that)
            if level == "warning":
                self.get_logger().warning(message)
            else:
                self.get_logger().info(message)
        started = time.monotonic()
        tracker = load_tracker(choice)
        self.get_logger().info(
            f"loaded {choice.weights} (config {choice.config}) on {choice.device} {choice.precision} "
            f"in {time.monotonic() - started:.1f} s")
        return tracker

    def _make_interfaces(self) -> None:
        p = self._params
        image_qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=p.image_queue_depth,
            reliability=(ReliabilityPolicy.BEST_EFFORT if p.image_reliability == "best_effort"
                         else ReliabilityPolicy.RELIABLE))
        msg_type, topic = ((CompressedImage, "image/compressed") if p.image_transport == "compressed"
                           else (Image, "image"))
        image_sub = self.create_subscription(msg_type, topic, self._on_image, image_qos)
        self._image_topic = image_sub.topic_name  # resolved: namespace and remapping applied
        self._init_topic = self.create_subscription(
            Detection2D, "init", self._on_init_detection, 10).topic_name
        self._click_topic = self.create_subscription(
            Point, "init_point", self._on_init_point, 10).topic_name
        self.create_subscription(Point, "debug_image_mouse_left", self._on_debug_click, 10)
        self._detection_pub = self.create_publisher(Detection2D, "detection", 10)
        self._detections_pub = self.create_publisher(Detection2DArray, "detections", 10)
        self._debug_pub = self.create_publisher(Image, "debug_image", 2)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_service(Trigger, "reset", self._on_reset)
        self.create_timer(p.diagnostics_period, self._publish_diagnostics)

    # ------------------------------------------------------------------ callbacks (executor thread)
    def _on_image(self, msg: Union[Image, CompressedImage]) -> None:
        self._stats.on_received()
        if isinstance(msg, Image):
            try:  # cheap header/size checks here, so a malformed frame never displaces a good one
                check_image(msg)
            except BadImageError as exc:
                self._reject(exc)
                return
        stamp_ns = _stamp_ns(msg.header.stamp)
        if self._last_rx_stamp_ns is not None and stamp_ns < self._last_rx_stamp_ns:
            self._warn("time_backwards", f"image stamp jumped back by "
                       f"{(self._last_rx_stamp_ns - stamp_ns) / 1e9:.3f} s (bag loop or clock reset): "
                       "tracking reset, frame buffer cleared")
            self._frames.clear()
            self._mailbox.put_command(Reset("image time jumped backwards"), invalidates_in_flight=True)
        self._last_rx_stamp_ns = stamp_ns
        frame = Frame(msg, stamp_ns, time.monotonic())
        self._frames.add(stamp_ns, frame)
        if self._mailbox.put_frame(frame):
            self._stats.on_dropped()

    def _on_init_detection(self, msg: Detection2D) -> None:
        stamp_ns = _stamp_ns(msg.header.stamp)
        self._mailbox.put_command(InitRequest(detection_box(msg), stamp_ns or None, "init"))

    def _on_init_point(self, msg: Point, scale: float = 1.0, source: str = "init_point") -> None:
        p = self._params
        try:
            box = self._clicks.click(msg.x / scale, msg.y / scale, time.monotonic(),
                                     mode=p.init_click_mode, timeout=p.init_click_timeout,
                                     default_size=(p.init_box_width, p.init_box_height))
        except InitBoxError as exc:
            self._warn(f"click:{exc.kind}", f"{source} ignored: {exc}")
            return
        if box is None:
            self.get_logger().info(f"{source}: first corner ({msg.x / scale:.0f}, {msg.y / scale:.0f}); "
                                   f"click the opposite corner within {p.init_click_timeout:g} s")
            return
        self._mailbox.put_command(InitRequest(box, None, source))

    def _on_debug_click(self, msg: Point) -> None:
        """Clicks on debug_image (e.g. rqt_image_view) are in its possibly downscaled pixels."""
        self._on_init_point(msg, self._params.debug_image_scale, "debug_image click")

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self._clicks.clear()
        self._mailbox.put_command(Reset("reset service called"), invalidates_in_flight=True)
        response.success = True
        response.message = "tracking stopped"
        return response

    def _on_set_parameters(self, parameters: List[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in parameters if p.name in NodeParams.__dataclass_fields__}
        if not changes:
            return SetParametersResult(successful=True)
        try:
            candidate = self._params.replace(changes)
        except (TypeError, ValueError) as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        reason = candidate.validate()
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        self._params = candidate  # one reference swap: the worker sees old or new, never a mix
        return SetParametersResult(successful=True)

    def _publish_diagnostics(self) -> None:
        status = diagnostic_status(f"{self.get_name()}: tracker", self.get_fully_qualified_name(),
                                   self._state.state, self._stats.snapshot(), self.track_id)
        self._diagnostics_pub.publish(diagnostic_array(self.get_clock().now().to_msg(), status))

    # ------------------------------------------------------------------ worker thread
    def _run_worker(self) -> None:
        while not self._mailbox.closed:
            work = self._mailbox.take(timeout=0.5)
            if work is None:
                continue
            try:
                skip_stamp = None
                for command in work.commands:
                    if isinstance(command, Reset):
                        self._stop(command.reason)
                    else:
                        skip_stamp = self._initialise(command)
                if work.frame is not None and work.frame.stamp_ns != skip_stamp:
                    self._process(work.frame, work.generation)
            except Exception as exc:  # a bug must not kill tracking for good: log, reset, go on
                self.get_logger().error(f"unexpected {type(exc).__name__} in the tracker worker: {exc}; "
                                        "tracking reset", throttle_duration_sec=2.0)
                self._stop("worker error")

    def _initialise(self, request: InitRequest) -> Optional[int]:
        """Start a new target; returns the stamp of the frame used (None if the request was refused)."""
        frame = None
        if request.stamp_ns is not None:
            frame = self._frames.find(request.stamp_ns, int(self._params.init_stamp_tolerance * 1e9))
            if frame is None:
                self._warn("init_stamp", f"{request.source}: no buffered frame at stamp "
                           f"{request.stamp_ns / 1e9:.3f} s; using the newest frame")
        if frame is None:
            frame = self._frames.newest()
        if frame is None:
            self._warn("init_no_image", f"{request.source} ignored: no image received yet")
            return None
        try:
            rgb = self._decode(frame)
            box = checked_init_box(request.box, rgb.shape[1], rgb.shape[0])
        except (BadImageError, InitBoxError) as exc:
            self._warn(f"init:{exc.kind}", f"{request.source} ignored: {exc}")
            return None
        try:
            self._tracker.initialize(rgb, box)
        except ValueError as exc:  # TrackingError: the tracker refused; its previous target is gone
            self._warn("init_box", f"{request.source} ignored: {exc}")
            self._stop("initialisation failed")
            return None
        self._frame_size = rgb.shape[:2]
        self.track_id = str(next(self._track_ids))
        self._state.start()
        self.get_logger().info(
            f"tracking target {self.track_id} from {request.source}: box "
            f"({box[0]:.0f}, {box[1]:.0f}, {box[2]:.0f}, {box[3]:.0f}) on frame {frame.stamp_ns / 1e9:.3f}")
        return frame.stamp_ns

    def _stop(self, reason: str) -> None:
        if self._state.stop() is not None:
            self.get_logger().info(f"tracking of target {self.track_id} stopped: {reason}")
        self._frame_size = None

    def _process(self, frame: Frame, generation: int) -> None:
        try:
            rgb = self._decode(frame)
        except BadImageError as exc:
            self._reject(exc)
            return
        p = self._params
        result = None
        model_s = None
        if self._state.state is not TrackState.IDLE and rgb.shape[:2] != self._frame_size:
            self._warn("size_change", f"image size changed from {self._frame_size[1]}x"
                       f"{self._frame_size[0]} to {rgb.shape[1]}x{rgb.shape[0]}: tracking reset")
            self._stop("image size changed")
        wants_debug = self._wants_debug()
        if self._state.state is not TrackState.IDLE:
            self._tracker.configure(redetect=p.redetect, lost_threshold=p.lost_score_threshold,
                                    lost_frames=p.lost_frames,
                                    reacquire_threshold=p.reacquire_score_threshold)
            started = time.monotonic()
            result = self._tracker.track(rgb, with_kept_mask=wants_debug and p.debug_draw_kept_tokens)
            model_s = time.monotonic() - started
            change = self._state.update(result.score if result.claimed else math.nan,
                                        lost_threshold=p.lost_score_threshold,
                                        lost_frames=p.lost_frames,
                                        reacquire_threshold=p.reacquire_score_threshold)
            if change == (TrackState.TRACKING, TrackState.LOST):
                self.get_logger().warning(f"target {self.track_id} lost (score {result.score:.2f} below "
                                          f"{p.lost_score_threshold:g} for {p.lost_frames} frames)")
            elif change == (TrackState.LOST, TrackState.TRACKING):
                self.get_logger().info(f"target {self.track_id} re-acquired (score {result.score:.2f}) at "
                                       "({:.0f}, {:.0f}, {:.0f}, {:.0f})".format(*result.box))
        header = frame.msg.header
        detections = []
        if result is not None and self._state.publishing:
            detections.append(make_detection(header, result.box, result.score, p.class_id, self.track_id))
        debug = self._debug_image(rgb, header, result, p) if wants_debug else None
        with self._mailbox.current(generation) as current:
            if not current:  # a reset arrived during inference: this result is stale
                return
            if detections:
                self._detection_pub.publish(detections[0])
            self._detections_pub.publish(make_detection_array(header, detections))
            if debug is not None:
                self._debug_pub.publish(debug)
        latency = None
        if frame.stamp_ns:
            latency = (self.get_clock().now().nanoseconds - frame.stamp_ns) / 1e9
        self._stats.on_processed(latency if latency is not None and latency >= 0 else None,
                                 time.monotonic() - frame.received, model_s)

    def _decode(self, frame: Frame) -> np.ndarray:
        if isinstance(frame.msg, CompressedImage):
            return compressed_to_rgb(frame.msg)
        return image_to_rgb(frame.msg)

    def _wants_debug(self) -> bool:
        return self._debug_pub.get_subscription_count() > 0

    def _debug_image(self, rgb: np.ndarray, header, result, p: NodeParams) -> Image:
        options = OverlayOptions(p.debug_image_scale, p.debug_draw_search_region, p.debug_draw_kept_tokens)
        state = self._state.state.value
        if result is None:
            canvas = draw_overlay(rgb, state, options=options)
        else:
            canvas = draw_overlay(rgb, state, result.box, result.score, result.search_box,
                                  result.kept_mask, options)
        return rgb_to_image(canvas, header)

    def _reject(self, exc: BadImageError) -> None:
        self._stats.on_rejected()
        self._warn(f"image:{exc.kind}", f"image dropped: {exc}")

    def _warn(self, key: str, message: str) -> None:
        suppressed = self._throttle.admit(key)
        if suppressed is None:
            return
        if suppressed:
            message += f" ({suppressed} similar warning(s) suppressed)"
        self.get_logger().warning(message)

    # ------------------------------------------------------------------ introspection and shutdown
    @property
    def state(self) -> TrackState:
        return self._state.state

    @property
    def params(self) -> NodeParams:
        return self._params

    @property
    def stats(self):
        return self._stats.snapshot()

    def destroy_node(self) -> None:
        self._mailbox.close()
        if self._worker.is_alive() and threading.current_thread() is not self._worker:
            self._worker.join(timeout=5.0)
        super().destroy_node()


def _descriptor(spec: ParamSpec) -> ParameterDescriptor:
    descriptor = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
    if spec.value_range is not None:
        low, high = spec.value_range
        if isinstance(spec.default, float):
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(low),
                                                                  to_value=float(high))]
        else:
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high))]
    if spec.choices is not None:
        descriptor.additional_constraints = "one of: " + ", ".join(spec.choices)
    return descriptor


def _stamp_ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``ros2 run ostrack_ros tracker_node``; returns the process exit status."""
    rclpy.init(args=args)
    node = None
    try:
        node = TrackerNode()
    except StartupError as exc:
        rclpy.logging.get_logger(NODE_NAME).error(str(exc))
        shutdown()
        return 1
    except KeyboardInterrupt:  # Ctrl-C while the model loads: no traceback
        shutdown()
        return 130
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    with until_stopped(node):
        try:
            executor.spin()
        finally:
            executor.shutdown()
    # The process ends now: keep the interpreter's final GC pass off torch's huge object graph, which
    # cuts exit time ~3x and keeps `ros2 launch` shutdown inside its 5 s SIGINT grace period.
    gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
