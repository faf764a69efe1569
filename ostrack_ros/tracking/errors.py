"""The one exception type of the tracking core."""

from __future__ import annotations


class TrackingError(ValueError):
    """Input the tracker cannot work with: a degenerate box, a malformed image, or misuse of the API."""
