"""Deployment files: static-shape per-frame graphs, ONNX export and TensorRT engine builds (the
runtimes that run them are in ``ostrack_ros.runtime``)."""

from __future__ import annotations

from .errors import BackendError
from .frame_graph import FrameNetwork, TemplateNetwork
from .graph_files import ExportedOnnx
from .onnx_export import export_onnx

__all__ = ["BackendError", "ExportedOnnx", "FrameNetwork", "TemplateNetwork", "export_onnx"]
