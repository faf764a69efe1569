"""Image messages to RGB arrays (each supported encoding; malformed ones refused); Detection2D building."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_ros

require_ros()

import cv2  # noqa: E402
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from ostrack_ros.ros import conversions  # noqa: E402
from ostrack_ros.ros.conversions import BadImageError, bridge, image_to_rgb  # noqa: E402

pytestmark = pytest.mark.ros
RGB = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "encoding, array",
    [
        ("rgb8", RGB),
        ("bgr8", RGB[..., ::-1]),
        ("rgba8", np.dstack([RGB, np.full(RGB.shape[:2], 7, np.uint8)])),
        ("bgra8", np.dstack([RGB[..., ::-1], np.full(RGB.shape[:2], 7, np.uint8)])),
    ],
)
def test_colour_encodings_become_the_same_rgb(encoding, array):
    msg = bridge().cv2_to_imgmsg(np.ascontiguousarray(array), encoding=encoding)
    out = image_to_rgb(msg)
    assert out.dtype == np.uint8 and out.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(out, RGB)


def test_rgb8_is_a_read_only_view_of_the_message_and_others_one_conversion():
    msg = bridge().cv2_to_imgmsg(RGB, encoding="rgb8")
    out = image_to_rgb(msg)
    assert np.shares_memory(out, np.frombuffer(msg.data, np.uint8)) and not out.flags.writeable
    with pytest.raises(ValueError):
        out[0, 0, 0] = 1  # the message's bytes are never written through the frame
    bgr = bridge().cv2_to_imgmsg(np.ascontiguousarray(RGB[..., ::-1]), encoding="bgr8")
    converted = image_to_rgb(bgr)
    assert converted.flags.writeable and not np.shares_memory(converted, np.frombuffer(bgr.data, np.uint8))
    # the tracker's own input check accepts the view as it is (contiguous uint8 RGB)
    from ostrack_ros.tracking.inputs import check_image

    assert check_image(out) is out


@pytest.mark.parametrize("encoding, channels", [("bgra8", 4), ("mono8", 1), ("bgr8", 3)])
def test_padded_rows_of_every_direct_encoding(encoding, channels):
    source = np.dstack([RGB[..., ::-1], np.full(RGB.shape[:2], 9, np.uint8)])[..., :channels]
    if encoding == "mono8":
        source = RGB[..., :1]
    padded = np.zeros((6, 8 * channels + 3), np.uint8)
    padded[:, : 8 * channels] = np.ascontiguousarray(source).reshape(6, -1)
    msg = Image(height=6, width=8, encoding=encoding, step=8 * channels + 3)
    msg.data = padded.tobytes()
    expected = np.dstack([RGB[..., 0]] * 3) if encoding == "mono8" else RGB
    out = image_to_rgb(msg)
    assert out.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(out, expected)


def test_mono_and_padded_rows():
    grey = RGB[..., 0].copy()
    out = image_to_rgb(bridge().cv2_to_imgmsg(grey, encoding="mono8"))
    np.testing.assert_array_equal(out, np.dstack([grey] * 3))
    # Rows padded to 26 bytes (not a whole number of rgb8 pixels): still the right picture.
    padded = np.zeros((6, 26), np.uint8)
    padded[:, :24] = RGB.reshape(6, 24)
    msg = Image(height=6, width=8, encoding="rgb8", step=26)
    msg.data = padded.tobytes()
    np.testing.assert_array_equal(image_to_rgb(msg), RGB)


@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"encoding": "32FC1", "step": 32}, "unsupported encoding '32FC1'"),
        ({"width": 0, "height": 0, "step": 0}, "zero-size"),
        ({"step": 20}, "step 20 < width*bytes_per_pixel = 24"),
        ({"data_len": 6 * 24 - 1}, "data holds 143 bytes, step*height = 144"),
        ({"data_len": 6 * 24 + 5}, "data holds 149 bytes"),
    ],
)
def test_malformed_images_are_refused_with_a_reason(fields, fragment):
    data_len = fields.pop("data_len", None)
    values = {"height": 6, "width": 8, "encoding": "rgb8", "step": 24}
    values.update(fields)
    msg = Image(**values)
    msg.data = bytes(values["step"] * values["height"] if data_len is None else data_len)
    with pytest.raises(BadImageError, match=fragment.replace("*", r"\*").replace("(", r"\(")):
        image_to_rgb(msg)


def test_compressed_frames_decode_and_corrupt_ones_are_refused():
    ok, png = cv2.imencode(".png", RGB[..., ::-1])
    msg = CompressedImage(format="png")
    msg.data = png.tobytes()
    np.testing.assert_array_equal(conversions.compressed_to_rgb(msg), RGB)
    msg.data = png.tobytes()[:20]
    with pytest.raises(BadImageError, match="does not decode"):
        conversions.compressed_to_rgb(msg)
    msg.data = b""
    with pytest.raises(BadImageError, match="empty"):
        conversions.compressed_to_rgb(msg)


def test_detection_round_trip_and_arrays():
    head = Header(frame_id="cam")
    head.stamp.sec, head.stamp.nanosec = 12, 345
    det = conversions.make_detection(head, (10.0, 20.0, 30.0, 40.0), 0.75, "cup", "3")
    assert det.header.frame_id == "cam" and det.header.stamp.nanosec == 345 and det.id == "3"
    assert (det.bbox.center.position.x, det.bbox.center.position.y) == (25.0, 40.0)
    assert (det.bbox.size_x, det.bbox.size_y) == (30.0, 40.0)
    assert det.results[0].hypothesis.class_id == "cup" and det.results[0].hypothesis.score == 0.75
    assert conversions.detection_box(det) == (10.0, 20.0, 30.0, 40.0)
    nan_score = conversions.make_detection(head, (0, 0, 1, 1), float("nan"), "x", "1")
    assert nan_score.results[0].hypothesis.score == 0.0
    array = conversions.make_detection_array(head, [det])
    assert array.header.frame_id == "cam" and len(array.detections) == 1
    assert conversions.make_detection_array(head).detections == []
    image = conversions.rgb_to_image(RGB, head)
    assert image.encoding == "rgb8" and image.header.frame_id == "cam"
    np.testing.assert_array_equal(image_to_rgb(image), RGB)
