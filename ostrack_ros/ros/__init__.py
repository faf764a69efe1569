"""ROS 2 adapter: the tracker node, the target selection tool and their message conversions.

The only place in the package that imports rclpy, message packages or cv_bridge.
"""
