"""A WAHA (WhatsApp HTTP API) stand-in server for tests, the demo and benchmarks."""

from __future__ import annotations

from .core import WahaSimulator
from .state import Delivery, RecordedRequest, SimContact, SimGroup, SimSession

__all__ = [
    "Delivery",
    "RecordedRequest",
    "SimContact",
    "SimGroup",
    "SimSession",
    "WahaSimulator",
]
