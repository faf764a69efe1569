"""One demo run: prepare the video, launch the graph, supervise it, stop it, summarise it.

The LaunchService owns the main thread (it installs the signal handlers, so Ctrl-C stops every
process cleanly); the supervisor node spins in a second thread, and a watchdog thread ends the
launch once the camera has played its last frame and the tracker has answered it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from launch import LaunchService
from launch.actions import EmitEvent
from launch.events import Shutdown

from .inputs import DEMO_SEED, DemoInput, synthetic_input, user_input
from .launch_graph import GraphSpec, demo_launch_description
from .summary import DemoSummary, save_still, summarize_run
from .supervisor import SupervisorThread

#: after the camera's last frame, how long to wait for the tracker to answer it
DRAIN_S = 5.0
CAMERA_FINISHED = "the camera played every frame"


@dataclass(frozen=True)
class DemoOptions:
    """How ``make demo`` runs (``python -m ostrack_ros.demo --help`` documents each)."""

    out_dir: Path = Path("demo_output")
    frames: int = 150
    fps: float = 15.0
    seed: int = DEMO_SEED
    sequence_index: int = 1
    video: Optional[Path] = None
    init: Optional[str] = None
    weights: Optional[str] = None
    config: Optional[str] = None
    device: str = "auto"
    timeout_s: float = 110.0


@dataclass
class DemoResult:
    """The summary plus how the processes ended (executable name -> exit code)."""

    source: DemoInput
    summary: DemoSummary
    exit_codes: Dict[str, int]
    stop_reason: str
    still_written: bool


def prepare_input(options: DemoOptions) -> DemoInput:
    """The user's VIDEO/INIT, or the seeded synthetic sequence written under ``out_dir/sequence``."""
    if options.video is not None:
        return user_input(options.video, options.init)
    return synthetic_input(options.out_dir / "sequence", options.frames, options.seed, options.sequence_index)


class _Watchdog:
    """Decides when the run is over and stops the LaunchService from outside its loop."""

    def __init__(self, service: LaunchService, supervisor: SupervisorThread, deadline: float) -> None:
        self.service, self.supervisor, self.deadline = service, supervisor, deadline
        self.camera_done = threading.Event()
        self.stopped = threading.Event()
        self.reason = "launch ended"
        self._thread = threading.Thread(target=self._watch, name="demo_watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        while not self.stopped.is_set():
            if time.monotonic() > self.deadline:
                return self._stop("time limit reached")
            if self.camera_done.is_set():
                node = self.supervisor.node
                drain_until = time.monotonic() + DRAIN_S
                while time.monotonic() < drain_until and not node.last_frame_answered():
                    time.sleep(0.05)
                answered = time.monotonic()  # then the tracker's final counters (one diagnostics period)
                while time.monotonic() < drain_until and not node.counts_since(answered):
                    time.sleep(0.05)
                return self._stop(CAMERA_FINISHED)
            time.sleep(0.1)

    def _stop(self, reason: str) -> None:
        self.reason = reason
        self.stopped.set()
        self.service.shutdown()


def run_demo(options: DemoOptions) -> DemoResult:
    """Run the whole demo and return its figures (raises on unusable input or installation)."""
    started = time.monotonic()
    options.out_dir.mkdir(parents=True, exist_ok=True)
    source = prepare_input(options)
    overlay = options.out_dir / "overlay.mp4"
    for stale in (overlay, options.out_dir / "detections.csv", options.out_dir / "still.png"):
        stale.unlink(missing_ok=True)
    spec = GraphSpec(
        source.path.resolve(),
        options.fps,
        overlay.resolve(),
        (options.out_dir / "detections.csv").resolve(),
        options.weights,
        options.config,
        options.device,
    )

    gt = source.ground_truth

    def box_for_frame(index: int):
        if index == 0:
            return source.init_box
        if gt is not None and index < len(gt) and (source.visible is None or source.visible[index]):
            return tuple(float(v) for v in gt[index])
        return None

    supervisor = SupervisorThread(box_for_frame, spec.topics)
    service = LaunchService()
    watchdog = _Watchdog(service, supervisor, started + options.timeout_s)
    exit_codes: Dict[str, int] = {}

    def on_process_exit(event, context):
        name = Path(event.cmd[0]).name if event.cmd else event.action.name
        exit_codes[name] = event.returncode
        if name == "video_publisher" and event.returncode == 0:
            watchdog.camera_done.set()
            return None
        if not watchdog.stopped.is_set():  # something died early: end the run, say who
            watchdog.reason = f"{name} exited with code {event.returncode}"
            watchdog.stopped.set()
            return [EmitEvent(event=Shutdown(reason=watchdog.reason))]
        return None

    service.include_launch_description(demo_launch_description(spec, on_process_exit))
    supervisor.start()
    watchdog.start()
    try:
        service.run()
    finally:
        watchdog.stopped.set()
        supervisor.stop()
    seen = supervisor.node.snapshot()
    summary = summarize_run(seen, source)
    still = save_still(overlay, options.out_dir / "still.png") if overlay.is_file() else False
    return DemoResult(source, summary, exit_codes, watchdog.reason, still)
