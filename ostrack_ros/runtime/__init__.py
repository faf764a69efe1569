"""Inference runtimes for the tracker: the network behind the ``TrackingNetwork`` protocol on eager
torch, a CUDA graph, torch.compile, onnxruntime or TensorRT (graph files come from ``export``)."""

from __future__ import annotations

from ..export.errors import BackendError
from .factory import BACKENDS, create_backend
from .frame_backend import FrameBackend

__all__ = ["BACKENDS", "BackendError", "FrameBackend", "create_backend"]
