"""The OSTrack ROS 2 node: camera frames in, Detection2D out, inference on a worker thread.

Callbacks only hand frames and commands to a ``Mailbox``; one worker thread owns the tracker and the
target state, applies commands in order (init, reset) and then tracks the newest frame. Anything a
camera or a user can send wrong ends in a rate-limited warning, never in a dead node; every change of
the tracking state and every answer to an init is published on the latched ``~/state``.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import ParameterException
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
)
from .debug_output import DebugImageOutput
from .diagnostics import diagnostic_array, diagnostic_status
from .frame_stats import FrameStats
from .init_requests import ClickCollector, FrameRingBuffer, InitBoxError, InitRequest, checked_init_box
from .input_monitor import InputMonitor, Order
from .mailbox import Mailbox
from .middleware import use_large_frames_profile
from .model_memory import release_model_memory
from .node_lifecycle import shutdown, spin_until_stopped
from .overlay import OverlayOptions, TargetMark, draw_overlay
from .parameters import NodeParams, ParamSpec
from .spatial_output import SpatialOutput
from .startup import StartupError, choose_model, load_tracker
from .state_report import STATE_QOS, StateReport, state_status
from .target_state import TrackState
from .targets import NodeTarget, Targets
from .throttle import ThrottledLog

NODE_NAME = "ostrack_tracker"
#: inits closer together than this are logged at DEBUG (a flood must not flood the log too)
INIT_LOG_INTERVAL_S = 0.5
#: a size change keeps the target when width and height scale alike within this fraction
ASPECT_TOLERANCE = 0.02
#: marked frames (init_frame) kept for inits whose frame has left the camera buffer
MARKED_FRAMES_KEPT = 4
MARKED_FRAME_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=2, reliability=ReliabilityPolicy.RELIABLE
)
#: how long an init whose frame is neither buffered nor sent yet waits for its init_frame
MARKED_FRAME_WAIT_S = 0.5
#: an init on a frame older than this (behind the newest) starts with a search of the whole view
RELOCATE_AFTER_S = 0.5
#: how long stopping waits for a model call in flight before it says so and goes on
WORKER_JOIN_TIMEOUT_S = 10.0


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


class TrackerCore:
    """The tracker's parameters, I/O and worker, shared by the plain node (``TrackerNode``) and the
    managed one (``lifecycle_node.LifecycleTrackerNode``): a mixin for an rclpy ``Node`` subclass.

    Phases, each undone by the next one down: ``_setup_core`` (parameters, counters), ``_configure_core``
    (validated parameters, the model, publishers), ``_activate_core`` (subscriptions, services, timer,
    worker); ``_deactivate_core`` stops the worker and frees the subscriptions, ``_cleanup_core``
    drops the publishers and the model.
    """

    _params: Optional[NodeParams] = None  # validated by configure; None before (and after cleanup)
    #: read-only parameters may change while unconfigured (a managed node); else they are fixed for good
    RECONFIGURABLE = False
    _tracker: Any = None
    _worker: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ setup
    def _setup_core(self, monotonic: Callable[[], float]) -> Optional[str]:
        """Declare the parameters and create the state every phase shares; returns why a parameter
        override was refused (that parameter keeps its default), or None."""
        self._monotonic = monotonic
        self._warnings = ThrottledLog(self.get_logger().warning, 2.0, monotonic)
        refused = self._declare_parameters()
        self._warn_unknown_parameters()
        self._targets = Targets()  # ids, states, last boxes; the tracker holds templates and search state
        self._frame_size: Optional[tuple] = None  # (height, width) of the frames the targets live in
        self._last_init_at: Optional[float] = None
        self.inits_received = self.inits_superseded = 0  # counted in the executor thread only
        self._input = InputMonitor()
        self._stats = FrameStats()
        self._clicks = ClickCollector()
        self._mailbox: Mailbox[Frame] = Mailbox()
        self._outputs: List[Any] = []  # publishers, made by configure
        self._inputs: List[Tuple[Callable[[Any], Any], Any]] = []  # (destroy, entity), made by activate
        self.add_on_set_parameters_callback(self._on_set_parameters)
        return refused

    def _declare_parameters(self) -> Optional[str]:
        refused = None
        for spec in NodeParams.specs():
            descriptor = _descriptor(spec, read_only=spec.read_only and not self.RECONFIGURABLE)
            try:
                self.declare_parameter(spec.name, spec.default, descriptor)
            except ParameterException as exc:  # a bad override: keep the default, say why on configure
                refused = refused or f"bad parameter: {exc}"
                self.declare_parameter(spec.name, spec.default, descriptor, ignore_override=True)
        return refused

    def _parameter_values(self) -> dict:
        return {spec.name: self.get_parameter(spec.name).value for spec in NodeParams.specs()}

    def _read_parameters(self) -> NodeParams:
        """The declared parameters as validated NodeParams; StartupError naming the bad one."""
        try:
            params = NodeParams.from_mapping(self._parameter_values())
        except (TypeError, ValueError) as exc:
            raise StartupError(f"bad parameter: {exc}") from None
        reason = params.validate()
        if reason:
            raise StartupError(f"bad parameter: {reason}")
        return params

    def _warn_unknown_parameters(self) -> None:
        """Name the params-file / command-line keys no parameter of this node matches (typos)."""
        overrides = getattr(self, "_parameter_overrides", {})  # rclpy keeps them here, Humble..Kilted
        unknown = sorted(
            name
            for name in overrides
            if not self.has_parameter(name) and not name.startswith("qos_overrides.")
        )
        if unknown:
            self.get_logger().warning(
                f"unknown parameter(s) ignored: {', '.join(unknown)} (misspelt? `ros2 param list "
                f"{self.get_fully_qualified_name()}` lists the parameters of this node)"
            )

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
            f"in {time.monotonic() - started:.1f} s"
        )
        return tracker

    def _configure_core(self, tracker: Any = None) -> None:
        """Validate the parameters, load the model unless ``tracker`` is given, create the publishers.
        Raises StartupError with a one-line reason."""
        self._params = self._read_parameters()
        from ..tracking.multi_target import MultiTargetTracker  # torch-bound: imported once configured

        # per-target claim state + re-detection (`redetect`), all targets in one batched forward
        self._tracker = MultiTargetTracker(
            tracker if tracker is not None else self._load_tracker(), self._params.max_targets
        )
        self._frames: FrameRingBuffer[Frame] = FrameRingBuffer(self._params.frame_buffer_size)
        # Marked frames sent with their init box (select_target's init_frame), for marks older than
        # the camera frame buffer: however long the person took, the template comes from that frame.
        self._marked_frames: FrameRingBuffer[Frame] = FrameRingBuffer(MARKED_FRAMES_KEPT)
        self._make_publishers()

    def _make_publishers(self) -> None:
        self._detection_pub = self.create_publisher(Detection2D, "detection", 10)
        self._detections_pub = self.create_publisher(Detection2DArray, "detections", 10)
        self._debug = DebugImageOutput(self)
        self._spatial = SpatialOutput(self, self._params, self._warn)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._state_pub = self.create_publisher(DiagnosticStatus, "~/state", STATE_QOS)
        self._outputs = [
            self._detection_pub,
            self._detections_pub,
            *self._debug.publishers,
            *self._spatial.publishers,
            self._diagnostics_pub,
            self._state_pub,
        ]

    def _activate_core(self, event: str, reason: str) -> None:
        """Subscribe to the camera and the commands, start the worker, say so on ~/state."""
        self._mailbox = Mailbox()
        self._make_inputs()
        self._worker = threading.Thread(target=self._run_worker, name="ostrack_worker", daemon=True)
        self._worker.start()
        self._report(event, reason)
        self.get_logger().info(
            f"ready: subscribed to '{self._image_topic}' ({self._params.image_reliability}, depth "
            f"{self._params.image_queue_depth}); mark a target on '{self._init_topic}' or "
            f"'{self._click_topic}'"
        )

    def _make_inputs(self) -> None:
        p = self._params
        image_qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=p.image_queue_depth,
            reliability=(
                ReliabilityPolicy.BEST_EFFORT
                if p.image_reliability == "best_effort"
                else ReliabilityPolicy.RELIABLE
            ),
        )
        msg_type, topic = (
            (CompressedImage, "image/compressed") if p.image_transport == "compressed" else (Image, "image")
        )
        subscribe = self.create_subscription
        image_sub = subscribe(msg_type, topic, self._on_image, image_qos)
        self._image_topic = image_sub.topic_name  # resolved: namespace and remapping applied
        # ~/init is the node's own name; plain `init` stays for existing users (docs/ROS.md, migration)
        init_sub = subscribe(Detection2D, "~/init", self._on_init_detection, 10)
        self._init_topic = init_sub.topic_name
        click_sub = subscribe(Point, "init_point", self._on_init_point, 10)
        self._click_topic = click_sub.topic_name
        subscriptions = [
            image_sub,
            init_sub,
            click_sub,
            subscribe(Detection2D, "init", self._on_init_detection, 10),
            subscribe(Point, "debug_image_mouse_left", self._on_debug_click, 10),
            # the frame an init box was marked on, same header (select_target sends it)
            *(
                subscribe(Image, name, self._on_init_frame, MARKED_FRAME_QOS)
                for name in ("~/init_frame", "init_frame")
            ),
            *self._spatial.subscribe(image_qos),
        ]
        self._inputs = [(self.destroy_subscription, sub) for sub in subscriptions]
        for name in ("~/reset", "reset"):  # `reset` kept for existing users
            self._inputs.append((self.destroy_service, self.create_service(Trigger, name, self._on_reset)))
        self._inputs.append(
            (self.destroy_timer, self.create_timer(p.diagnostics_period, self._publish_diagnostics))
        )

    def _deactivate_core(self, reason: str) -> None:
        """Free the subscriptions, services and timer, stop the worker (the model stays loaded) and end
        the target; ~/state says ``deactivated``."""
        for destroy, entity in self._inputs:
            destroy(entity)
        self._inputs = []
        self._stop_worker()
        if not self._targets:
            self._report("deactivated", reason)
        else:
            self._stop(reason, "deactivated")
        self._frames.clear()
        self._marked_frames.clear()
        self._clicks.clear()

    def _stop_worker(self) -> None:
        self._mailbox.close()
        worker, self._worker = self._worker, None
        if worker is not None and worker.is_alive() and threading.current_thread() is not worker:
            worker.join(timeout=WORKER_JOIN_TIMEOUT_S)
            if worker.is_alive():
                self.get_logger().warning(
                    f"the tracker worker did not stop within {WORKER_JOIN_TIMEOUT_S:g} "
                    "s (a model call still running); it exits when that call returns"
                )

    def _cleanup_core(self) -> None:
        """Destroy the publishers and release the model (and the GPU memory it held)."""
        for publisher in self._outputs:
            self.destroy_publisher(publisher)
        self._outputs = []
        self._tracker = self._params = None
        release_model_memory()

    # ------------------------------------------------------------------ callbacks (executor thread)
    def _on_image(self, msg: Union[Image, CompressedImage]) -> None:
        received = self._monotonic()
        self._stats.on_received()
        if isinstance(msg, Image):
            try:  # cheap header/size checks here, so a malformed frame never displaces a good one
                check_image(msg)
            except BadImageError as exc:
                self._reject(exc)
                return
        stamp_ns = _stamp_ns(msg.header.stamp)
        jump_reset_s = self._params.time_jump_reset_threshold
        order, behind_s = self._input.on_frame(stamp_ns, received, jump_reset_s)
        if order is Order.OUT_OF_ORDER:
            self._warn(
                "out_of_order",
                f"image stamp {behind_s * 1e3:.1f} ms earlier than the previous "
                f"frame's: frame dropped as out of order (a step back of {jump_reset_s:g} s or more, "
                "time_jump_reset_threshold, resets tracking instead)",
            )
            return
        if order is Order.JUMPED_BACK:
            self._warn(
                "time_backwards",
                f"image stamp jumped back by {behind_s:.3f} s (bag loop or clock "
                "reset): tracking reset, frame buffer cleared",
            )
            self._frames.clear()
            self._mailbox.put_command(
                Reset(f"image time jumped back by {behind_s:.3f} s"), invalidates_in_flight=True
            )
        elif order is Order.UNKNOWN_TIME:
            self._warn(
                "zero_stamp",
                "image has a zero header stamp: processed as a frame of unknown time "
                "(no latency figure, stamped init cannot name it)",
            )
        frame = Frame(msg, stamp_ns, received)
        self._frames.add(stamp_ns, frame)
        if self._mailbox.put_frame(frame):
            self._stats.on_dropped()

    def _on_init_frame(self, msg: Image) -> None:
        try:
            check_image(msg)
        except BadImageError as exc:
            self._warn(f"init_frame:{exc.kind}", f"init_frame dropped: {exc}")
            return
        stamp_ns = _stamp_ns(msg.header.stamp)
        if stamp_ns:  # only a stamp ties a marked frame to its box
            self._marked_frames.add(stamp_ns, Frame(msg, stamp_ns, self._monotonic()))

    def _on_init_detection(self, msg: Detection2D) -> None:
        source = f"init '{msg.id}'" if msg.id else "init"
        self._request_init(detection_box(msg), _stamp_ns(msg.header.stamp), source, msg.id)

    def _request_init(self, box, request_stamp_ns: int, source: str, target_id: str = "") -> None:
        """Queue an init bound to its stamped frame, or to the frame that is newest NOW (not when the
        worker gets to it); a newer init replaces one still pending."""
        now = self._monotonic()
        self.inits_received += 1
        quiet = self._last_init_at is not None and now - self._last_init_at < INIT_LOG_INTERVAL_S
        self._last_init_at = now
        stamp_ns = request_stamp_ns or self._frames.newest_stamp()
        request = InitRequest(box, stamp_ns, source, request_stamp_ns, quiet, target_id)
        for old in self._mailbox.put_command(request, supersedes=True):
            self.inits_superseded += 1
            self.get_logger().debug(f"{old.source} superseded by a newer init before it was handled")

    def _on_init_point(self, msg: Point, scale: float = 1.0, source: str = "init_point") -> None:
        p = self._params
        try:
            box = self._clicks.click(
                msg.x / scale,
                msg.y / scale,
                time.monotonic(),
                mode=p.init_click_mode,
                timeout=p.init_click_timeout,
                default_size=(p.init_box_width, p.init_box_height),
            )
        except InitBoxError as exc:
            self._warn(f"click:{exc.kind}", f"{source} ignored: {exc}")
            return
        if box is None:
            self.get_logger().info(
                f"{source}: first corner ({msg.x / scale:.0f}, {msg.y / scale:.0f}); "
                f"click the opposite corner within {p.init_click_timeout:g} s"
            )
            return
        self._request_init(box, 0, source)

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
        fixed = sorted(name for name in changes if NodeParams.spec(name).read_only)
        if fixed and self._params is not None:  # only a managed node gets here (else rclpy refuses)
            return SetParametersResult(
                successful=False,
                reason=f"{', '.join(fixed)} can change only while "
                "the node is unconfigured (deactivate and cleanup first)",
            )
        try:
            base = self._params or NodeParams.from_mapping(self._parameter_values())
            candidate = base.replace(changes)
        except (TypeError, ValueError) as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        reason = candidate.validate()
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        if self._params is not None:  # unconfigured: configure reads the parameters itself
            self._params = candidate  # one reference swap: the worker sees old or new, never a mix
        return SetParametersResult(successful=True)

    def diagnostics_status(self) -> DiagnosticStatus:
        """What the next /diagnostics message says (state, counters, input health, latency)."""
        status = diagnostic_status(
            f"{self.get_name()}: tracker",
            self.get_fully_qualified_name(),
            self.state,
            self._stats.snapshot(),
            self.track_id,
            self._input.health(self._monotonic()),
        )
        status.values += [
            KeyValue(key="targets", value=self._targets.summary()),
            KeyValue(key="inits_received", value=str(self.inits_received)),
            KeyValue(key="inits_superseded", value=str(self.inits_superseded)),
        ]
        return status

    def _publish_diagnostics(self) -> None:
        self._warnings.flush()  # summaries of held-back warnings whose window has closed
        self._diagnostics_pub.publish(
            diagnostic_array(self.get_clock().now().to_msg(), self.diagnostics_status())
        )

    # ------------------------------------------------------------------ worker thread
    def _run_worker(self) -> None:
        while not self._mailbox.closed:
            work = self._mailbox.take(timeout=0.5)
            if work is None:
                continue
            try:
                marked = []  # (frame stamp, target id) of each init that took effect
                for command in work.commands:
                    if isinstance(command, Reset):
                        self._stop(command.reason)
                        marked.clear()
                    else:
                        started = self._initialise(command)
                        if started is not None:
                            marked.append(started)
                if work.frame is not None:
                    # a target marked on this very frame is answered with its box, not tracked on it
                    fresh = [target_id for stamp, target_id in marked if stamp == work.frame.stamp_ns]
                    self._process(work.frame, work.generation, fresh)
            except Exception as exc:  # a bug must not kill tracking for good: log, reset, go on
                self.get_logger().error(
                    f"unexpected {type(exc).__name__} in the tracker worker: {exc}; tracking reset",
                    throttle_duration_sec=2.0,
                )
                self._stop(f"worker error ({type(exc).__name__})", "error")

    def _initialise(self, request: InitRequest) -> Optional[Tuple[int, str]]:
        """Start (or re-start) a target; returns (stamp of the frame used, target id), None if the
        request was refused or removed targets. Either way the answer goes out on ~/state with the
        request's stamp."""
        if request.removes:
            return self._remove(request)
        frame = None
        if request.stamp_ns is not None:
            tolerance_ns = int(self._params.init_stamp_tolerance * 1e9)
            frame = self._frames.find(request.stamp_ns, tolerance_ns)
            if frame is None and request.request_stamp_ns:  # a marked frame sent beside the box?
                frame = self._marked_frames.find(request.stamp_ns, tolerance_ns, wait_s=MARKED_FRAME_WAIT_S)
            if frame is None:
                what = (
                    "no buffered frame at stamp"
                    if request.request_stamp_ns
                    else "the frame that was newest when it arrived is no longer buffered, stamp"
                )
                self._warn(
                    "init_stamp",
                    f"{request.source}: {what} {request.stamp_ns / 1e9:.3f} s; using the newest frame",
                )
        if frame is None:
            frame = self._frames.newest()
        if frame is None:
            return self._refuse_init(request, "init_no_image", "no image received yet")
        try:
            rgb = self._decode(frame)
            box = checked_init_box(request.box, rgb.shape[1], rgb.shape[0])
        except (BadImageError, InitBoxError) as exc:
            return self._refuse_init(request, f"init:{exc.kind}", str(exc))
        target_id = request.target_id
        replacing = False
        if target_id not in self._targets:  # a new target (always so without an id)
            if self._params.max_targets == 1:  # one target: a new one replaces it
                replacing = bool(self._targets)
                self._tracker.clear()  # the node's record of the old one goes once the new one stands
            elif len(self._targets) >= self._params.max_targets:
                return self._refuse_init(
                    request,
                    "init_full",
                    f"already tracking {len(self._targets)} targets ({', '.join(self._targets.ids)}; "
                    f"max_targets {self._params.max_targets}): drop one first (an init with its id and "
                    "an empty box)",
                )
        target_id = target_id or self._targets.new_id()
        if self._targets and not replacing and rgb.shape[:2] != self._frame_size:  # others: another size
            self._stop("a target was marked on a frame of another size", "resized")
        newest_ns = self._frames.newest_stamp()
        # The target may have moved far since an old mark: find it in the whole current view first.
        relocate = newest_ns is not None and newest_ns - frame.stamp_ns > RELOCATE_AFTER_S * 1e9
        try:
            self._tracker.initialize(target_id, rgb, box, relocate=relocate)
        except ValueError as exc:  # TrackingError: the tracker refused; a re-initialised target is gone
            for gone in [target_id] + (self._targets.ids if replacing else []):
                if gone in self._targets:
                    self._end(gone, f"initialisation of target {target_id} failed", "error")
            return self._refuse_init(request, "init_box", str(exc))
        self._frame_size = rgb.shape[:2]
        if replacing:
            target, replaced = self._targets.replace_all(target_id)
            for old in replaced:
                self._farewell(old, f"replaced by target {target_id} (max_targets 1)", "removed", request)
        else:
            target = self._targets.add(target_id)
        target.box, target.score = box, float("nan")
        target.machine.start(searching=relocate)
        text = (
            f"tracking target {target_id} from {request.source}: box ({box[0]:.0f}, {box[1]:.0f}, "
            f"{box[2]:.0f}, {box[3]:.0f}) on frame {frame.stamp_ns / 1e9:.3f}"
        )
        if relocate:
            text += f" ({(newest_ns - frame.stamp_ns) / 1e9:.1f} s old: searching the whole view)"
        if request.quiet:
            self.get_logger().debug(text)
        else:
            self.get_logger().info(text)
        searching = (
            f"; marked {(newest_ns - frame.stamp_ns) / 1e9:.1f} s ago, searching the current view"
            if relocate
            else ""
        )
        self._report(
            "init_accepted",
            f"{request.source} accepted: box ({box[0]:.0f}, {box[1]:.0f}, "
            f"{box[2]:.0f}, {box[3]:.0f}){searching}",
            frame.stamp_ns,
            request,
            target,
        )
        return frame.stamp_ns, target_id

    def _remove(self, request: InitRequest) -> None:
        """An init with an id and an empty box: drop that target."""
        if request.target_id not in self._targets:
            return self._refuse_init(request, "init_remove", f"no target '{request.target_id}' to remove")
        self._end(request.target_id, f"{request.source} with an empty box", "removed", request)
        return None

    def _refuse_init(self, request: InitRequest, key: str, why: str) -> None:
        self._warn(key, f"{request.source} ignored: {why}")
        self._report("init_refused", f"{request.source} refused: {why}", request=request)

    def _end(self, target_id: str, reason: str, event: str, request: Optional[InitRequest] = None) -> None:
        """End one target: gone from the tracker and the node, the reason on ~/state and in the log."""
        self._tracker.remove(target_id)
        target = self._targets.pop(target_id)
        if target is None:
            return
        self._farewell(target, reason, event, request)
        if not self._targets:
            self._frame_size = None

    def _farewell(
        self, target: NodeTarget, reason: str, event: str, request: Optional[InitRequest] = None
    ) -> None:
        """Say that ``target`` (already out of the node's targets) stopped: log, IDLE, ~/state."""
        self.get_logger().info(f"tracking of target {target.id} stopped: {reason}")
        target.machine.stop()
        self._report(event, reason, request=request, target=target)

    def _stop(self, reason: str, event: str = "reset") -> None:
        """End every target (if any): IDLE, no track id, the reason on ~/state and in the log."""
        self._tracker.clear()
        gone = self._targets.clear()
        if gone:
            ids = ", ".join(t.id for t in gone)
            self.get_logger().info(
                f"tracking of target{'s' if len(gone) > 1 else ''} {ids} stopped: {reason}"
            )
            for target in gone:
                target.machine.stop()
            self._report(event, reason)
        self._frame_size = None

    def _report(
        self,
        event: str,
        reason: str,
        stamp_ns: Optional[int] = None,
        request: Optional[InitRequest] = None,
        target: Optional[NodeTarget] = None,
    ) -> None:
        """Publish the state after ``event`` on the latched ~/state: the state, id and score of the
        ``target`` it concerns (default: the primary one) and every target's state; ``stamp_ns``
        defaults to the frame the ``request`` named (not possible any more once rclpy is shut down,
        e.g. a managed node taken down by Ctrl-C)."""
        if not self.context.ok():
            return
        if stamp_ns is None:
            stamp_ns = (request.stamp_ns or 0) if request else 0
        target = target or self._targets.primary
        report = StateReport(
            target.state if target else TrackState.IDLE,
            target.id if target else "",
            target.score if target else float("nan"),
            event,
            reason,
            stamp_ns,
            request.request_stamp_ns if request else 0,
            request.source if request else "",
            self._targets.summary(),
        )
        self._state_pub.publish(state_status(report, self.get_fully_qualified_name(), self.get_name()))

    def _resized(self, rgb: np.ndarray, stamp_ns: int) -> None:
        """The image size changed mid-track: re-initialise every target from its last box scaled to the
        new size when width and height scale alike (same aspect ratio), else end the tracks saying why."""
        (old_h, old_w), (new_h, new_w) = self._frame_size, rgb.shape[:2]
        sx, sy = new_w / old_w, new_h / old_h
        change = f"image size changed from {old_w}x{old_h} to {new_w}x{new_h}"
        if abs(sx - sy) > ASPECT_TOLERANCE * max(sx, sy):
            self._warn(
                "size_change:reset",
                f"{change}, aspect ratio {old_w / old_h:.3f} -> "
                f"{new_w / new_h:.3f}: the box cannot be carried over, tracking reset",
            )
            self._stop(f"{change} (aspect ratio changed)", "resized")
            return
        self._frame_size = rgb.shape[:2]
        for target in self._targets:
            x, y, w, h = target.box
            try:
                box = checked_init_box((x * sx, y * sy, w * sx, h * sy), new_w, new_h)
                self._tracker.initialize(target.id, rgb, box)
            except ValueError as exc:  # InitBoxError / TrackingError: nothing sensible to carry over
                self._warn("size_change:reset", f"{change}: cannot re-initialise ({exc}), tracking reset")
                self._end(target.id, f"{change} (re-initialisation failed)", "resized")
                continue
            target.box = box
            self._warn(
                "size_change:rescaled",
                f"{change}: target {target.id} re-initialised from its last box scaled by {sx:.3g}",
            )
            self._report("resized", f"{change}: re-initialised from the scaled box", stamp_ns, target=target)

    def _process(self, frame: Frame, generation: int, fresh: Sequence[str] = ()) -> None:
        """Track every target on ``frame`` and publish; targets in ``fresh`` were initialised on this
        frame, so they are not tracked on it and their marked box is the answer (every frame that
        reaches the worker gets its detections)."""
        try:
            rgb = self._decode(frame)
        except BadImageError as exc:
            self._reject(exc)
            return
        p = self._params
        results = {}
        model_s = None
        if self._targets and rgb.shape[:2] != self._frame_size:
            self._resized(rgb, frame.stamp_ns)
        wants_debug = self._wants_debug()
        if self._targets:
            self._tracker.configure(
                redetect=p.redetect,
                max_crops_per_frame=p.redetect_crops_per_frame,
                confirm_frames=p.redetect_confirm_frames,
                colour_match=p.redetect_colour_match,
                lost_threshold=p.lost_score_threshold,
                lost_frames=p.lost_frames,
                reacquire_threshold=p.reacquire_score_threshold,
            )
            started = time.monotonic()
            results = self._tracker.track(
                rgb, with_kept_mask=wants_debug and p.debug_draw_kept_tokens, skip=fresh
            )
            model_s = time.monotonic() - started
            for target_id, result in results.items():
                self._follow(self._targets.get(target_id), result, frame.stamp_ns)
            if fresh:
                from ..tracking.result import TrackResult  # torch-bound package: imported once needed

                for target_id in fresh:
                    if target_id in self._targets:
                        results[target_id] = TrackResult.marked(self._targets.get(target_id).box)
        header = frame.msg.header
        tracked = [(t, results[t.id]) for t in self._targets if t.machine.publishing and t.id in results]
        detections = [make_detection(header, r.box, r.score, p.class_id, t.id) for t, r in tracked]
        primary = self._targets.primary
        primary_published = bool(tracked) and tracked[0][0] is primary
        debug = self._debug.messages(self._debug_image(rgb, results, p), header, p) if wants_debug else []
        spatial = self._spatial.messages(
            header, frame.stamp_ns, rgb.shape[:2], [(t.id, r.box) for t, r in tracked], p
        )
        with self._mailbox.current(generation) as current:
            if not current:  # a reset arrived during inference: this result is stale
                return
            if primary_published:
                self._detection_pub.publish(detections[0])
            self._detections_pub.publish(make_detection_array(header, detections))
            for publisher, message in debug + spatial:
                publisher.publish(message)
        latency = None
        if frame.stamp_ns:
            latency = (self.get_clock().now().nanoseconds - frame.stamp_ns) / 1e9
        self._stats.on_processed(
            latency if latency is not None and latency >= 0 else None,
            self._monotonic() - frame.received,
            model_s,
        )

    def _follow(self, target: NodeTarget, result, stamp_ns: int) -> None:
        """One target's new box and score; a TRACKING <-> LOST change is logged and reported."""
        p = self._params
        target.box, target.score = tuple(result.box), float(result.score)
        change = target.machine.update(
            result.score if result.claimed else math.nan,
            lost_threshold=p.lost_score_threshold,
            lost_frames=p.lost_frames,
            reacquire_threshold=p.reacquire_score_threshold,
        )
        if change == (TrackState.TRACKING, TrackState.LOST):
            why = f"score {result.score:.2f} below {p.lost_score_threshold:g} for {p.lost_frames} frames"
            self.get_logger().warning(f"target {target.id} lost ({why})")
            self._report("lost", why, stamp_ns, target=target)
        elif change == (TrackState.LOST, TrackState.TRACKING):
            self.get_logger().info(
                f"target {target.id} re-acquired (score {result.score:.2f}) at "
                "({:.0f}, {:.0f}, {:.0f}, {:.0f})".format(*result.box)
            )
            self._report(
                "reacquired",
                f"score {result.score:.2f} >= {p.reacquire_score_threshold:g}",
                stamp_ns,
                target=target,
            )

    def _decode(self, frame: Frame) -> np.ndarray:
        if isinstance(frame.msg, CompressedImage):
            return compressed_to_rgb(frame.msg)
        return image_to_rgb(frame.msg)

    def _wants_debug(self) -> bool:
        return self._debug.wanted()

    def _debug_image(self, rgb: np.ndarray, results: dict, p: NodeParams) -> np.ndarray:
        """The overlay: the primary target with its search crop and CE tokens, the others' boxes."""
        options = OverlayOptions(p.debug_image_scale, p.debug_draw_search_region, p.debug_draw_kept_tokens)
        primary = self._targets.primary
        result = results.get(primary.id) if primary is not None else None
        if result is None:
            return draw_overlay(rgb, self.state.value, options=options)
        others = [
            TargetMark(t.id, t.state.value, results[t.id].box, results[t.id].score)
            for t in self._targets
            if t is not primary and t.id in results
        ]
        return draw_overlay(
            rgb,
            primary.state.value,
            result.box,
            result.score,
            result.search_box,
            result.kept_mask,
            options,
            label=primary.id if others else "",
            others=others,
            searched=result.searched,
        )

    def _reject(self, exc: BadImageError) -> None:
        self._stats.on_rejected()
        self._warn(f"image:{exc.kind}", f"image dropped: {exc}")

    def _warn(self, key: str, message: str) -> None:
        self._warnings.warn(key, message)

    # ------------------------------------------------------------------ introspection and shutdown
    @property
    def state(self) -> TrackState:
        """The primary (oldest) target's state; IDLE without targets."""
        primary = self._targets.primary
        return primary.state if primary is not None else TrackState.IDLE

    @property
    def track_id(self) -> str:
        """The primary (oldest) target's id; empty without targets."""
        primary = self._targets.primary
        return primary.id if primary is not None else ""

    @property
    def targets(self) -> Targets:
        return self._targets

    @property
    def params(self) -> NodeParams:
        return self._params

    @property
    def stats(self):
        return self._stats.snapshot()


class TrackerNode(TrackerCore, Node):
    """Tracks one user-marked target in an image stream with OSTrack; configured and active from
    construction to destruction (``lifecycle_node.LifecycleTrackerNode`` is the managed variant)."""

    def __init__(
        self,
        tracker: Any = None,
        node_name: str = NODE_NAME,
        monotonic: Callable[[], float] = time.monotonic,
        **node_kwargs: Any,
    ) -> None:
        """Declare parameters, load the model (unless ``tracker`` is given, as tests do) and wire I/O.
        ``monotonic`` is the clock of receipt times, staleness and warning throttling (tests inject one).

        Raises StartupError with a one-line reason when parameters, files or the device are unusable.
        """
        super().__init__(node_name, **node_kwargs)
        refused = self._setup_core(monotonic)
        if refused:
            raise StartupError(refused)
        self._configure_core(tracker)
        self._activate_core("started", "node started: mark a target to begin")

    def destroy_node(self) -> None:
        self._stop_worker()
        super().destroy_node()


def _descriptor(spec: ParamSpec, read_only: bool) -> ParameterDescriptor:
    # Float parameters take integers too (`lost_score_threshold: 1` in YAML, `ros2 param set ... 1`):
    # rclpy would refuse an INTEGER for a DOUBLE, so they are dynamically typed and NodeParams
    # coerces int -> float and refuses anything else with a reason.
    descriptor = ParameterDescriptor(
        description=spec.description, read_only=read_only, dynamic_typing=isinstance(spec.default, float)
    )
    if spec.value_range is not None:
        low, high = spec.value_range
        if isinstance(spec.default, float):
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(low), to_value=float(high))
            ]
        else:
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high))]
    if spec.choices is not None:
        descriptor.additional_constraints = "one of: " + ", ".join(spec.choices)
    return descriptor


def _stamp_ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``ros2 run ostrack_ros tracker_node``; returns the process exit status."""
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
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
    spin_until_stopped(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
