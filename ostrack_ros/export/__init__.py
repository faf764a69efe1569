"""Deployment: static-shape per-frame graphs, ONNX / TensorRT export, and inference backends that
stand in for the ``OSTrack`` module inside the tracker."""
from __future__ import annotations

from .backends import BACKENDS, BackendError, create_backend
from .frame_graph import FrameNetwork, TemplateNetwork
from .onnx_export import ExportedOnnx, export_onnx

__all__ = ["BACKENDS", "BackendError", "ExportedOnnx", "FrameNetwork", "TemplateNetwork", "create_backend",
           "export_onnx"]
