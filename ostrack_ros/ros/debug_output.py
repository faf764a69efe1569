"""The debug overlay outputs: ``debug_image`` (rgb8) and ``debug_image/compressed`` (JPEG), each
encoded only while it has a subscriber, the overlay drawn only while either has one."""

from __future__ import annotations

from typing import Any, List, Tuple

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from .conversions import rgb_to_image

#: what image_transport's compressed plugin writes for a JPEG of an rgb8 image (rqt_image_view reads it)
JPEG_FORMAT = "rgb8; jpeg compressed bgr8"


def rgb_to_jpeg(rgb: np.ndarray, header: Header, quality: int) -> CompressedImage:
    """An (H, W, 3) uint8 RGB array as a JPEG sensor_msgs/CompressedImage carrying ``header``."""
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)]
    )
    if not ok:
        raise ValueError(f"OpenCV could not JPEG-encode a {rgb.shape} image")
    msg = CompressedImage(header=header, format=JPEG_FORMAT)
    msg.data.frombytes(encoded.tobytes())
    return msg


class DebugImageOutput:
    """The two debug publishers of a node and what to send on them for one overlay canvas."""

    def __init__(self, node: Any) -> None:
        self._raw = node.create_publisher(Image, "debug_image", 2)
        self._jpeg = node.create_publisher(CompressedImage, "debug_image/compressed", 2)
        self.publishers = [self._raw, self._jpeg]

    def wanted(self) -> bool:
        """Whether anyone subscribes to either debug topic (else the overlay is not drawn at all)."""
        return any(publisher.get_subscription_count() > 0 for publisher in self.publishers)

    def messages(self, canvas: np.ndarray, header: Header, params: Any) -> List[Tuple[Any, Any]]:
        """(publisher, message) for each debug topic that has a subscriber now."""
        out: List[Tuple[Any, Any]] = []
        if self._raw.get_subscription_count() > 0:
            out.append((self._raw, rgb_to_image(canvas, header)))
        if self._jpeg.get_subscription_count() > 0:
            out.append((self._jpeg, rgb_to_jpeg(canvas, header, params.debug_jpeg_quality)))
        return out


__all__ = ["DebugImageOutput", "rgb_to_jpeg", "JPEG_FORMAT"]
