"""Packaging for ostrack_ros: one setup.py for pip (a wheel into a venv) and colcon (ament_python)."""

from __future__ import annotations

from glob import glob

from setuptools import find_namespace_packages, setup

PACKAGE = "ostrack_ros"
ROS_EXECUTABLES = ["tracker_node", "tracker_lifecycle_node", "select_target", "video_publisher", "recorder"]

setup(
    name=PACKAGE,
    version="0.1.0",
    description="OSTrack one-stream tracker (ViT + candidate elimination) as a ROS 2 perception package",
    license="Apache-2.0",
    python_requires=">=3.8",  # Humble on JetPack 5 containers runs Python 3.8
    # Every folder of the package, also one without __init__.py (an implicit namespace package).
    packages=find_namespace_packages(include=[PACKAGE, PACKAGE + ".*"], exclude=["*.__pycache__"]),
    package_data={PACKAGE: ["configs/presets/*.yaml", "assets/*"]},
    # Data files land under the install prefix (the venv, or colcon's install/ostrack_ros).
    # ROS executables go to lib/<package>, where `ros2 run` and launch_ros Node look; the wheel
    # keeps their executable bit.
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
        ("share/" + PACKAGE, ["package.xml"]),
        ("share/" + PACKAGE + "/launch", sorted(glob("launch/*.launch.py"))),
        (
            "share/" + PACKAGE + "/config",
            sorted(glob("config/*.yaml") + glob("config/*.rviz") + glob("config/*.xml")),
        ),
        ("lib/" + PACKAGE, ["scripts/" + name for name in ROS_EXECUTABLES]),
    ],
    # Dependencies come from rosdep (package.xml) and requirements/*.txt, not from here: pip must not
    # replace a ROS distribution's numpy/OpenCV or NVIDIA's Jetson torch.
    # Optional: OpenCV's CSRT/KCF anchors for ostrack-eval --anchors (MIL is in the main cv2). It shares
    # the cv2 folder with opencv-python-headless: install the same version (docs/demo_and_evaluation.md).
    extras_require={"anchors": ["opencv-contrib-python-headless"]},
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "ostrack-track = ostrack_ros.tracking.cli:main",
            "ostrack-convert = ostrack_ros.model.convert:main",
            "ostrack-train = ostrack_ros.training.cli:main",
            "ostrack-eval = ostrack_ros.evaluation.cli:main",
            "ostrack-export = ostrack_ros.export.cli:main",
        ],
    },
)
