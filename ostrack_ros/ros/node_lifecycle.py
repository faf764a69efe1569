"""Small rclpy helpers shared by this package's executables: read-only parameters and shutdown."""
from __future__ import annotations

from typing import Optional

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node


def declare_read_only(node: Node, name: str, default, description: str, **descriptor_fields):
    """Declare a read-only parameter with its description (and ranges) and return its value."""
    descriptor = ParameterDescriptor(description=description, read_only=True, **descriptor_fields)
    return node.declare_parameter(name, default, descriptor).value


def shutdown(node: Optional[Node] = None) -> None:
    """Destroy ``node`` if given and shut rclpy down unless something else already did."""
    if node is not None:
        node.destroy_node()
    if rclpy.ok():
        rclpy.shutdown()
