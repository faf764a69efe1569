"""The error of export and runtime backends: a graph, engine or runtime that cannot be made or used here."""

from __future__ import annotations


class BackendError(RuntimeError):
    """A backend that cannot be created or used here (missing runtime, wrong device, foreign graph)."""
