"""Receive WAHA events over its WebSocket, for setups where WAHA cannot reach HA."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientError, ClientSession, WSMsgType

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util.json import json_loads

from .const import (
    LOGGER,
    MIN_WAHA_VERSION,
    WEBHOOK_EVENTS,
    WS_RECONNECT_MAX,
    WS_RECONNECT_MIN,
)
from .models import WahaEvent, WahaParseError, parse_event

WS_UNAUTHORIZED = 1008
# WAHA older than MIN_WAHA_VERSION closes a `/ws` that asks for one session.
WS_UNSUPPORTED = 4001
STABLE_CONNECTION = 30.0


def ws_url(base_url: str, api_key: str, session: str) -> str:
    """Return the `/ws` URL with WAHA's query-string filters."""
    scheme_url = base_url.rstrip("/").replace("http", "ws", 1)
    query = urlencode(
        [("x-api-key", api_key), ("session", session)]
        + [("events", event) for event in WEBHOOK_EVENTS]
    )
    return f"{scheme_url}/ws?{query}"


class WahaWebSocket:
    """Keeps one WebSocket to WAHA open and hands its events on."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        session: ClientSession,
        url: str,
        *,
        on_event: Callable[[WahaEvent], object],
        on_connected: Callable[[], Awaitable[None]],
        on_disconnected: CALLBACK_TYPE,
        on_auth_refused: Callable[[], Awaitable[bool]],
        on_unsupported: CALLBACK_TYPE,
    ) -> None:
        """Store the connection settings and where events go."""
        self.hass = hass
        self._entry = entry
        self._session = session
        self._url = url
        self._on_event = on_event
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        # Asked after a close for auth: True when WAHA refuses the key for real.
        self._on_auth_refused = on_auth_refused
        self._refused = False
        self._on_unsupported = on_unsupported
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    @callback
    def async_start(self) -> None:
        """Run the receive loop in the background."""
        self._task = self._entry.async_create_background_task(
            self.hass, self._async_run(), "waha_presence websocket"
        )

    async def async_stop(self) -> None:
        """Close the connection and end the loop."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _async_run(self) -> None:
        delay = WS_RECONNECT_MIN.total_seconds()
        while True:
            began = self.hass.loop.time()
            close_code: int | None = None
            try:
                close_code = await self._async_listen()
            except (ClientError, OSError, TimeoutError) as err:
                # The error's text carries the URL, and the URL the API key.
                LOGGER.debug("WAHA WebSocket failed: %s", type(err).__name__)
            except Exception:  # noqa: BLE001 - logged with its traceback
                LOGGER.exception("Unexpected error on the WAHA WebSocket")
            self.connected.clear()
            self._on_disconnected()
            if close_code == WS_UNSUPPORTED:
                # Not a network fault: this WAHA will refuse every reconnect too.
                LOGGER.warning(
                    "WAHA closed the WebSocket with code 4001: it cannot stream the "
                    "events of one session, which WAHA %s and newer can. Not "
                    "reconnecting; update WAHA, then reload the integration",
                    MIN_WAHA_VERSION,
                )
                self._on_unsupported()
                return
            refused = close_code == WS_UNAUTHORIZED and await self._on_auth_refused()
            if refused and not self._refused:
                LOGGER.warning("WAHA refused the WebSocket: the API key is wrong")
            self._refused = refused
            if refused:
                # Keep trying, slowly: a key that works again withdraws the reauth.
                delay = WS_RECONNECT_MAX.total_seconds()
            # Only a connection that lasted resets the back-off: a WAHA that
            # accepts and drops at once must not trigger a subscribe storm.
            elif self.hass.loop.time() - began >= STABLE_CONNECTION:
                delay = WS_RECONNECT_MIN.total_seconds()
            await asyncio.sleep(delay)
            delay = min(delay * 2, WS_RECONNECT_MAX.total_seconds())

    async def _async_listen(self) -> int | None:
        """Read frames until the socket closes; return WAHA's close code."""
        async with self._session.ws_connect(self._url, heartbeat=30) as ws:
            self.connected.set()
            LOGGER.debug("WAHA WebSocket connected")
            # No replay after a reconnect: catch up on the session and subscriptions.
            await self._on_connected()
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                try:
                    event = parse_event(json_loads(message.data))
                except (ValueError, WahaParseError) as err:
                    LOGGER.debug("Malformed WAHA WebSocket frame: %s", err)
                    continue
                self._on_event(event)
            return ws.close_code
