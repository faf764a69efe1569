"""Minimal rclpy node for the launch smoke test: publishes a fixed vision_msgs/Detection2D at 20 Hz."""

from __future__ import annotations

import sys

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from vision_msgs.msg import Detection2D, ObjectHypothesisWithPose


class DetectionTalker(Node):
    """Publishes one known detection on ``detections`` so a test can check it arrives intact."""

    def __init__(self) -> None:
        super().__init__("detection_talker")
        self.publisher = self.create_publisher(Detection2D, "detections", 10)
        self.count = 0
        self.create_timer(0.05, self.publish)

    def publish(self) -> None:
        msg = Detection2D()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = "smoke_camera"
        msg.bbox.center.position.x, msg.bbox.center.position.y = 320.0, 240.0
        msg.bbox.size_x, msg.bbox.size_y = 64.0, 48.0
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id, hypothesis.hypothesis.score = "target", 0.75
        msg.results.append(hypothesis)
        self.publisher.publish(msg)
        if self.count == 0:
            print("detection_talker: publishing", flush=True)
        self.count += 1


def main() -> int:
    rclpy.init()
    node = DetectionTalker()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
