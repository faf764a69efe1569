"""ostrack_ros: the OSTrack one-stream tracker (ViT with candidate elimination) for ROS 2.

The core (``configs``, ``model``, ``tracking``, ``training``) imports no ROS package; the ROS
adapter lives in ``ostrack_ros.ros``.
"""

__version__ = "0.1.0"
