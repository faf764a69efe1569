"""Message <-> array conversions: camera images to RGB uint8 arrays, tracker boxes to vision_msgs.

Checks turn malformed messages into a ``BadImageError`` with a one-line reason instead of a numpy
traceback or silently wrong pixels. The common 8-bit encodings are read straight from the message
buffer: rgb8 with unpadded rows is returned as a read-only view of ``msg.data`` (no copy at all),
bgr8/rgba8/bgra8/mono8 take one OpenCV colour conversion; YUV and Bayer go through cv_bridge.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from cv_bridge import CvBridge, CvBridgeError
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose

Box = Tuple[float, float, float, float]

# 8-bit encodings cv_bridge converts to rgb8, with their bytes per pixel.
BYTES_PER_PIXEL = {
    "rgb8": 3,
    "bgr8": 3,
    "rgba8": 4,
    "bgra8": 4,
    "mono8": 1,
    "yuv422": 2,
    "yuv422_yuy2": 2,
    "bayer_rggb8": 1,
    "bayer_bggr8": 1,
    "bayer_gbrg8": 1,
    "bayer_grbg8": 1,
}
SUPPORTED_ENCODINGS = tuple(BYTES_PER_PIXEL)
# Encodings converted from a view of the message buffer: the OpenCV code to RGB (None: already RGB).
DIRECT_ENCODINGS = {
    "rgb8": None,
    "bgr8": cv2.COLOR_BGR2RGB,
    "rgba8": cv2.COLOR_RGBA2RGB,
    "bgra8": cv2.COLOR_BGRA2RGB,
    "mono8": cv2.COLOR_GRAY2RGB,
}
MAX_IMAGE_SIDE = 16384


class BadImageError(ValueError):
    """An image message that cannot be turned into a frame; str() says why, ``kind`` names the check."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


_bridge: Optional[CvBridge] = None


def bridge() -> CvBridge:
    """One shared CvBridge (its construction builds lookup tables)."""
    global _bridge
    if _bridge is None:
        _bridge = CvBridge()
    return _bridge


def check_image(msg: Image) -> None:
    """Raise BadImageError unless size, encoding, step and data length are consistent."""
    encoding = msg.encoding.lower()
    if encoding not in BYTES_PER_PIXEL:
        raise BadImageError(
            f"unsupported encoding '{msg.encoding}' (supported: {', '.join(SUPPORTED_ENCODINGS)})", "encoding"
        )
    if msg.width == 0 or msg.height == 0:
        raise BadImageError(f"zero-size image ({msg.width}x{msg.height})", "size")
    if msg.width > MAX_IMAGE_SIDE or msg.height > MAX_IMAGE_SIDE:
        raise BadImageError(f"image {msg.width}x{msg.height} exceeds {MAX_IMAGE_SIDE} px per side", "size")
    row_bytes = msg.width * BYTES_PER_PIXEL[encoding]
    if msg.step < row_bytes:
        raise BadImageError(f"step {msg.step} < width*bytes_per_pixel = {row_bytes} ({encoding})", "step")
    if len(msg.data) != msg.step * msg.height:
        raise BadImageError(
            f"data holds {len(msg.data)} bytes, step*height = {msg.step * msg.height}", "data"
        )


def image_to_rgb(msg: Image) -> np.ndarray:
    """A sensor_msgs/Image as a contiguous (H, W, 3) uint8 RGB array (BadImageError if malformed).

    For unpadded rgb8 the result is a read-only view of ``msg.data``, valid while the message lives."""
    check_image(msg)
    encoding = msg.encoding.lower()
    pixel = BYTES_PER_PIXEL[encoding]
    if encoding in DIRECT_ENCODINGS:
        view = pixel_view(msg, pixel)
        code = DIRECT_ENCODINGS[encoding]
        if code is None:
            return np.ascontiguousarray(view)  # a copy only when rows are padded
        return cv2.cvtColor(view[..., 0] if pixel == 1 else view, code)
    if msg.step % pixel:
        msg = _without_row_padding(msg, pixel)
    try:
        rgb = bridge().imgmsg_to_cv2(msg, desired_encoding="rgb8")
    except (CvBridgeError, TypeError, ValueError) as exc:
        raise BadImageError(f"cv_bridge cannot convert {msg.encoding}: {exc}", "convert") from None
    if rgb.shape[:2] != (msg.height, msg.width):
        rgb = rgb[: msg.height, : msg.width]
    return np.ascontiguousarray(rgb)


def pixel_view(msg: Image, pixel: int) -> np.ndarray:
    """(H, W, pixel) read-only uint8 view of a checked message's buffer, row padding sliced off."""
    rows = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)
    view = rows[:, : msg.width * pixel].reshape(msg.height, msg.width, pixel)
    view.flags.writeable = False  # the message's bytes: trackers and overlays only read them
    return view


def compressed_to_rgb(msg: CompressedImage) -> np.ndarray:
    """A sensor_msgs/CompressedImage (JPEG, PNG, ...) as (H, W, 3) uint8 RGB; BadImageError if undecodable."""
    if len(msg.data) == 0:
        raise BadImageError("empty compressed image", "empty")
    decoded = cv2.imdecode(np.frombuffer(msg.data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None or decoded.size == 0:
        raise BadImageError(
            f"compressed image (format '{msg.format}', {len(msg.data)} bytes) does not decode", "decode"
        )
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


def rgb_to_image(rgb: np.ndarray, header: Header) -> Image:
    """An (H, W, 3) uint8 RGB array as an rgb8 sensor_msgs/Image carrying ``header``."""
    return bridge().cv2_to_imgmsg(rgb, encoding="rgb8", header=header)


def _without_row_padding(msg: Image, pixel: int) -> Image:
    """Copy of ``msg`` with rows trimmed to whole pixels (cv_bridge assumes step % pixel == 0)."""
    rows = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)
    tight = np.ascontiguousarray(rows[:, : msg.width * pixel])
    out = Image(
        header=msg.header,
        height=msg.height,
        width=msg.width,
        encoding=msg.encoding,
        is_bigendian=msg.is_bigendian,
        step=msg.width * pixel,
    )
    out.data = tight.tobytes()
    return out


def detection_box(det: Detection2D) -> Box:
    """(x, y, w, h) top-left pixel box of a Detection2D (centre/size in the message)."""
    w, h = det.bbox.size_x, det.bbox.size_y
    return (det.bbox.center.position.x - w / 2.0, det.bbox.center.position.y - h / 2.0, w, h)


def make_detection(
    header: Header, box: Sequence[float], score: float, class_id: str, track_id: str
) -> Detection2D:
    """A Detection2D for an (x, y, w, h) pixel box with one hypothesis (class_id, score)."""
    x, y, w, h = (float(v) for v in box)
    det = Detection2D(header=header, id=track_id)
    det.bbox.center.position.x = x + w / 2.0
    det.bbox.center.position.y = y + h / 2.0
    det.bbox.size_x = w
    det.bbox.size_y = h
    hypothesis = ObjectHypothesisWithPose()
    hypothesis.hypothesis.class_id = class_id
    hypothesis.hypothesis.score = float(score) if math.isfinite(score) else 0.0
    det.results.append(hypothesis)
    return det


def make_detection_array(header: Header, detections: Sequence[Detection2D] = ()) -> Detection2DArray:
    """A Detection2DArray with ``header`` (empty when idle or lost)."""
    return Detection2DArray(header=header, detections=list(detections))


__all__ = [
    "BadImageError",
    "SUPPORTED_ENCODINGS",
    "BYTES_PER_PIXEL",
    "check_image",
    "image_to_rgb",
    "pixel_view",
    "compressed_to_rgb",
    "rgb_to_image",
    "detection_box",
    "make_detection",
    "make_detection_array",
    "bridge",
]
