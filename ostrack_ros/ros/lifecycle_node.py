"""The managed (lifecycle) tracker node: the same parameters, I/O and worker as ``TrackerNode``
(``TrackerCore``), brought up and down by lifecycle transitions instead of construction.

configure: validate the parameters, load the model, create the publishers; activate: subscribe and
start the worker; deactivate: stop the worker, free the subscriptions (the model stays loaded);
cleanup: drop the publishers and the model (and its GPU memory); shutdown: whatever of that is up.
A failing configure (missing or corrupt weights, bad parameter) logs its one-line reason and returns
FAILURE: the node stays unconfigured and alive, ready for another try.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Sequence

import rclpy
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn

from .middleware import use_large_frames_profile
from .node_lifecycle import spin_until_stopped
from .startup import StartupError
from .tracker_node import NODE_NAME, TrackerCore


class LifecycleTrackerNode(TrackerCore, LifecycleNode):
    """Tracks one user-marked target with OSTrack as a managed node (``ros2 lifecycle set``). The
    parameters fixed at start in the plain node (weights, device, ...) may change while unconfigured."""

    RECONFIGURABLE = True

    def __init__(
        self,
        tracker_factory: Optional[Callable[[], Any]] = None,
        node_name: str = NODE_NAME,
        monotonic: Callable[[], float] = time.monotonic,
        **node_kwargs: Any,
    ) -> None:
        """Declare the parameters only; nothing is loaded or subscribed before the transitions.
        ``tracker_factory`` replaces loading the model from the parameters (tests)."""
        super().__init__(node_name, **node_kwargs)
        self._tracker_factory = tracker_factory
        self._refused_parameter = self._setup_core(monotonic)
        self._configured = self._active = False

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self._refused_parameter:  # reported once: the parameter holds its default now
            self.get_logger().error(
                f"configure failed: {self._refused_parameter} (the parameter keeps its "
                "default; set it and configure again)"
            )
            self._refused_parameter = None
            return TransitionCallbackReturn.FAILURE
        try:
            self._configure_core(self._tracker_factory() if self._tracker_factory else None)
        except StartupError as exc:
            self.get_logger().error(f"configure failed: {exc}")
            self._cleanup_core()  # publishers made before the failure
            return TransitionCallbackReturn.FAILURE
        self._configured = True
        self.get_logger().info("configured: model loaded; activate to start tracking")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._activate_core("activated", "node activated: mark a target to begin")
        self._active = True
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._deactivate("node deactivated")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._cleanup()
        self.get_logger().info("cleaned up: model released")
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._deactivate("node shutting down")
        self._cleanup()
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        """An exception escaped a transition: take everything down, back to unconfigured."""
        self.get_logger().error(f"error in a transition from '{state.label}': stopping, releasing the model")
        self._deactivate("transition error")
        self._cleanup()
        return TransitionCallbackReturn.SUCCESS

    def _deactivate(self, reason: str) -> None:
        if self._active:
            self._active = False
            self._deactivate_core(reason)

    def _cleanup(self) -> None:
        if self._configured:
            self._configured = False
            self._cleanup_core()

    def destroy_node(self) -> None:
        self._deactivate("node destroyed")
        self._cleanup()
        super().destroy_node()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``ros2 run ostrack_ros tracker_lifecycle_node``: starts unconfigured."""
    use_large_frames_profile()  # before rclpy.init: Fast DDS reads it once
    rclpy.init(args=args)
    spin_until_stopped(LifecycleTrackerNode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
