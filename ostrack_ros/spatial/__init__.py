"""Where a tracked pixel box is in 3-D: bearing rays from camera intrinsics, range from a depth image.

ROS-free (numpy only); the ROS adapter turns ``sensor_msgs/CameraInfo`` and depth images into the
arrays these functions take. Coordinates are the camera's optical frame (REP-103: x right, y down,
z forward, metres).
"""

from .target_3d import CameraIntrinsics, DepthEstimate, bearing, box_depth, target_point

__all__ = ["CameraIntrinsics", "DepthEstimate", "bearing", "box_depth", "target_point"]
