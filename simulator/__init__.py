"""A WAHA (WhatsApp HTTP API) stand-in server for tests, the demo and benchmarks."""

from __future__ import annotations

from .core import WahaSimulator
from .runtime import SimRuntime
from .state import Delivery, RecordedRequest, SimContact, SimGroup, SimSession
from .world import SimWorld

__all__ = [
    "Delivery",
    "RecordedRequest",
    "SimContact",
    "SimGroup",
    "SimRuntime",
    "SimSession",
    "SimWorld",
    "WahaSimulator",
]
