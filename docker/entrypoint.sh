#!/usr/bin/env bash
# Source ROS 2 (apt layout /opt/ros/<distro>/setup.bash or jetson-containers' source build
# /opt/ros/<distro>/install/setup.bash) and the ostrack_ros workspace, then run the command.
set -e
for setup in "/opt/ros/${ROS_DISTRO}/setup.bash" "/opt/ros/${ROS_DISTRO}/install/setup.bash"; do
    if [ -f "$setup" ]; then source "$setup"; break; fi
done
source /ros2_ws/install/setup.bash
exec "$@"
