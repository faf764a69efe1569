"""The managed tracker node through every transition: configure loads the model (or FAILS on bad
weights and stays alive, ready for another try), activate subscribes and tracks, deactivate frees the
camera subscription and keeps the model, cleanup releases the model, shutdown finalises; the lifecycle
services (what `ros2 lifecycle set` calls) drive the same transitions."""

from __future__ import annotations

import gc
import weakref

import pytest

from conftest import require_ros

require_ros()

from lifecycle_msgs.msg import State, Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState, GetState  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402

from ostrack_ros.ros.lifecycle_node import LifecycleTrackerNode  # noqa: E402
from ostrack_ros.ros.target_state import TrackState  # noqa: E402
from ros_harness import KEEP_PUBLISHING, MS, TINY_DIR, Harness, tiny_sequence  # noqa: E402

pytestmark = pytest.mark.ros
TINY_FILES = {
    "weights": str(TINY_DIR / "checkpoint.pth.tar"),
    "config": str(TINY_DIR / "config.yaml"),
    "device": "cpu",
}


@pytest.fixture(scope="module")
def seq():
    return tiny_sequence()


@pytest.fixture
def managed(ros, request):
    params = dict(KEEP_PUBLISHING, **TINY_FILES)
    params.update(getattr(request, "param", {}))
    harness = Harness(
        None, params, name="managed_tracker", node_class=LifecycleTrackerNode, executor_threads=1
    )
    yield harness
    harness.close()


TRANSITIONS = {
    "configure": Transition.TRANSITION_CONFIGURE,
    "activate": Transition.TRANSITION_ACTIVATE,
    "deactivate": Transition.TRANSITION_DEACTIVATE,
    "cleanup": Transition.TRANSITION_CLEANUP,
    "shutdown": Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
}


def call(harness: Harness, client, request):
    future = client.call_async(request)
    harness.wait_for(future.done, 60.0, what="a lifecycle service answer")
    return future.result()


def transition(harness: Harness, name: str) -> bool:
    """Run a transition the way ``ros2 lifecycle set`` does: through the node's change_state service,
    so it runs on the executor's thread. (Called from the test's thread instead, a transition that
    destroys subscriptions raced the executor building its wait set: rclpy's spin thread died with
    InvalidHandle in one CI run.)"""
    client = getattr(harness, "change_state", None)
    if client is None:  # one client per harness, never destroyed while the executor spins
        node = harness.node.get_fully_qualified_name()
        client = harness.change_state = harness.probe.create_client(ChangeState, f"{node}/change_state")
        assert client.wait_for_service(timeout_sec=10.0)
    request = ChangeState.Request(transition=Transition(id=TRANSITIONS[name]))
    return call(harness, client, request).success


def lifecycle_state(harness: Harness) -> str:
    return harness.node._state_machine.current_state[1]


def image_subscribers(harness: Harness) -> int:
    return harness.image_pub.get_subscription_count()


def track_until_detection(harness: Harness, seq, first_ns: int) -> None:
    """Send a frame, init on it, and send frames until a Detection2D of the new target arrives."""
    frames, init_box = seq["frames"], tuple(float(v) for v in seq["init_box"])
    harness.track_frame(frames[0], first_ns)
    track_id = harness.init_and_wait(lambda: harness.send_init(init_box, first_ns))
    harness.track_frame(frames[1], first_ns + 33 * MS)
    harness.wait_for(lambda: any(d.id == track_id for d in harness.detections), what="a detection")


def test_every_transition_loads_tracks_frees_and_releases(managed, seq):
    node = managed.node
    assert lifecycle_state(managed) == "unconfigured" and node._tracker is None
    assert node.count_publishers("detections") == 0 and image_subscribers(managed) == 0

    assert transition(managed, "configure") and lifecycle_state(managed) == "inactive"
    model = weakref.ref(node._tracker)  # the model the parameters name, loaded by configure
    assert model() is not None and node.params.weights == TINY_FILES["weights"]
    managed.wait_for(lambda: node.count_publishers("detections") == 1, what="publishers")
    assert image_subscribers(managed) == 0  # inactive: no camera subscription yet

    assert transition(managed, "activate") and lifecycle_state(managed) == "active"
    managed.wait_for(lambda: image_subscribers(managed) == 1, what="the camera subscription")
    track_until_detection(managed, seq, 1_000 * MS)
    assert managed.wait_for_event("activated")["state"] == "IDLE"

    assert transition(managed, "deactivate") and lifecycle_state(managed) == "inactive"
    managed.wait_for(lambda: image_subscribers(managed) == 0, what="the camera subscription to go")
    assert node.state is TrackState.IDLE and node.track_id == ""
    assert managed.wait_for_event("deactivated")["reason"] == "node deactivated"
    assert node._tracker is model()  # the model stays loaded while inactive

    assert transition(managed, "activate")  # again, with the same model
    managed.wait_for(lambda: image_subscribers(managed) == 1, what="the camera subscription")
    track_until_detection(managed, seq, 2_000 * MS)
    assert transition(managed, "deactivate")

    assert transition(managed, "cleanup") and lifecycle_state(managed) == "unconfigured"
    gc.collect()
    assert model() is None, "cleanup must release the model"
    managed.wait_for(lambda: node.count_publishers("detections") == 0, what="publishers to go")

    assert transition(managed, "shutdown") and lifecycle_state(managed) == "finalized"


def test_configure_fails_on_corrupt_weights_and_succeeds_after_fixing_them(managed, tmp_path):
    node = managed.node
    corrupt = tmp_path / "corrupt.pth.tar"
    corrupt.write_bytes(b"not a checkpoint" * 64)
    assert all(r.successful for r in node.set_parameters([Parameter("weights", value=str(corrupt))]))
    assert not transition(managed, "configure")  # returned, not raised: the process lives on
    assert lifecycle_state(managed) == "unconfigured" and node._tracker is None
    assert node.count_publishers("detections") == 0

    # while unconfigured, the parameters fixed in the plain node may change; then configure works
    assert node.set_parameters([Parameter("weights", value=TINY_FILES["weights"])])[0].successful
    assert transition(managed, "configure") and node._tracker is not None
    refused = node.set_parameters([Parameter("weights", value=str(corrupt))])[0]
    assert not refused.successful and "only while the node is unconfigured" in refused.reason
    assert node.set_parameters([Parameter("lost_frames", value=7)])[0].successful  # dynamic: any time


@pytest.mark.parametrize("managed", [{"weights": "/nonexistent/OSTrack_ep0300.pth.tar"}], indirect=True)
def test_missing_weights_fail_configure_with_the_reason(managed):
    assert not transition(managed, "configure")
    assert lifecycle_state(managed) == "unconfigured"


@pytest.mark.parametrize("managed", [{"lost_frames": 0}], indirect=True)
def test_a_bad_parameter_override_fails_configure_once_then_the_default_holds(managed):
    node = managed.node
    assert not transition(managed, "configure")  # lost_frames 0 is outside [1, 10000]
    assert node.get_parameter("lost_frames").value == 5
    assert transition(managed, "configure")


def test_the_lifecycle_services_drive_the_node_like_ros2_lifecycle_set(managed):
    name = managed.node.get_fully_qualified_name()
    change = managed.probe.create_client(ChangeState, f"{name}/change_state")
    get = managed.probe.create_client(GetState, f"{name}/get_state")
    assert change.wait_for_service(timeout_sec=10.0) and get.wait_for_service(timeout_sec=10.0)

    for step in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE):
        assert call(managed, change, ChangeState.Request(transition=Transition(id=step))).success
    assert call(managed, get, GetState.Request()).current_state.id == State.PRIMARY_STATE_ACTIVE
    managed.wait_for(lambda: image_subscribers(managed) == 1, what="the camera subscription")
    shutdown = Transition(id=Transition.TRANSITION_ACTIVE_SHUTDOWN)
    assert call(managed, change, ChangeState.Request(transition=shutdown)).success
    assert call(managed, get, GetState.Request()).current_state.id == State.PRIMARY_STATE_FINALIZED
    assert managed.node._tracker is None and image_subscribers(managed) == 0
