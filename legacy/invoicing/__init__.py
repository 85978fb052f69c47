"""The legacy invoice service: Money-System events in, legal invoice documents out.

The one entry point for callers (the Swift harness included) is :func:`render_event`.
"""

from .controller import render_event
from .errors import InvalidEvent

__all__ = ["render_event", "InvalidEvent"]
