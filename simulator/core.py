"""WahaSimulator: the in-process WAHA stand-in tests, demo and benchmarks drive."""

from __future__ import annotations

from aiohttp import web

from .ids import now_ms
from .server import build_app
from .world import DEFAULT_ME, SimWorld

__all__ = ["DEFAULT_ME", "WahaSimulator"]


class WahaSimulator(SimWorld):
    """A WAHA server (2026.7.1 PLUS unless told) on loopback with scriptable sessions."""

    # Set by start(): the HTTP host's state, beside the world's.
    _runner: web.AppRunner | None = None
    _url: str | None = None

    @property
    def url(self) -> str:
        """Return the base URL, e.g. `http://127.0.0.1:41234`."""
        if self._url is None:
            raise RuntimeError("the simulator has not been started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        self._closing.clear()
        self.started_at = now_ms()
        runner = web.AppRunner(
            build_app(self),
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Close WebSocket clients, cancel deliveries and timers, stop listening."""
        await self._halt()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self._cancel_tasks()
        await self._close_http()
