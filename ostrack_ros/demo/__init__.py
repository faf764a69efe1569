"""The embedded end-to-end demo (``make demo``): a synthetic or user video played as a camera
through the real ``tracker.launch.py``, auto-initialised, recorded and scored.

Unlike the ROS-free core, this package is a ROS 2 application: it imports rclpy and launch.
"""
