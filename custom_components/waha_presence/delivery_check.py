"""Delivery verified end to end: apply the session config, await WAHA's first event."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import (
    ClientError,
    ClientWebSocketResponse,
    WSMsgType,
    WSServerHandshakeError,
)

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.json import json_loads

from .api import WahaClient
from .const import DELIVERY_WEBHOOK, DOMAIN, LOGGER
from .exceptions import WahaAuthError, WahaBadRequestError, WahaError
from .models import SessionStatus, StatusEvent, WahaEvent, WahaParseError, parse_event
from .session_config import build_webhook, desired_config, masked_webhook_url
from .webhook import WahaWebhook
from .websocket import WS_UNAUTHORIZED, ws_url

if TYPE_CHECKING:
    from .coordinator import WahaConfigEntry

# WAHA sends STARTING as soon as it restarts the session; the rest covers a slow host
# and WAHA's own pause before a restart (about 3 s).
CHECK_TIMEOUT = 30.0
WS_OPEN_TIMEOUT = 10.0
MAX_DETAIL = 300

WEBHOOK_UNREACHABLE = "webhook_unreachable"
WEBSOCKET_BLOCKED = "websocket_blocked"
WEBSOCKET_SILENT = "websocket_silent"
CONFIG_REJECTED = "config_rejected"
SESSION_NOT_RESTARTED = "session_not_restarted"
CANNOT_CONNECT = "cannot_connect"
INVALID_AUTH = "invalid_auth"
ERRORS = (
    WEBHOOK_UNREACHABLE,
    WEBSOCKET_BLOCKED,
    WEBSOCKET_SILENT,
    CONFIG_REJECTED,
    SESSION_NOT_RESTARTED,
    CANNOT_CONNECT,
    INVALID_AUTH,
)


def delivery_issue_id(entry_id: str) -> str:
    """Return the id of the entry's "WAHA cannot reach Home Assistant" issue."""
    return f"delivery_broken_{entry_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryTarget:
    """What a check applies: a WAHA session and the delivery chosen for it."""

    url: str
    api_key: str
    session: str
    webhook_id: str
    hmac_key: str
    delivery: str
    webhook_url: str = ""

    @property
    def webhook(self) -> dict[str, Any] | None:
        """Return our webhook entry, or None with WebSocket delivery."""
        if self.delivery != DELIVERY_WEBHOOK:
            return None
        return build_webhook(self.webhook_url, self.hmac_key)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What a check found: no error, or an error key with what the text names."""

    error: str | None
    placeholders: dict[str, str] = field(default_factory=dict)


def _outcome(target: DeliveryTarget, key: str | None, **found: str) -> DeliveryOutcome:
    """Return an outcome whose placeholders fill every error text."""
    return DeliveryOutcome(
        key,
        {
            "url": masked_webhook_url(target.webhook_url, target.webhook_id),
            "session": target.session,
            "seconds": f"{CHECK_TIMEOUT:g}",
            "status": "",
            "error": "",
            **found,
        },
    )


class _FirstEvent:
    """Resolves with the first status event of WAHA's restart, or why none came."""

    def __init__(self, session: str) -> None:
        """Wait for events of `session`."""
        self._session = session
        self._result: asyncio.Future[str | None] = (
            asyncio.get_running_loop().create_future()
        )

    @callback
    def event(self, event: WahaEvent) -> None:
        """Take a verified event; a status after the restart began proves the path."""
        # STOPPED goes to the webhooks the session had before our PUT: it proves
        # nothing about the new one.
        if (
            isinstance(event, StatusEvent)
            and event.session == self._session
            and event.status.status is not SessionStatus.STOPPED
        ):
            self.resolve(None)

    @callback
    def resolve(self, error: str | None) -> None:
        """End the wait with `error` (None: delivered), unless it ended already."""
        if not self._result.done():
            self._result.set_result(error)

    async def wait(self, silent: str) -> str | None:
        """Return None once delivered, an error key, or `silent` after the bound."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                return await self._result
        except TimeoutError:
            return silent


async def async_check_delivery(
    hass: HomeAssistant, target: DeliveryTarget, entry: WahaConfigEntry | None = None
) -> DeliveryOutcome:
    """Apply the target's session config and wait for WAHA's first event through it."""
    client = WahaClient(async_get_clientsession(hass), target.url, target.api_key)
    first = _FirstEvent(target.session)
    try:
        with _config_held(entry):
            if target.delivery == DELIVERY_WEBHOOK:
                with _webhook_events(hass, target, entry, first.event):
                    outcome = await _async_apply(
                        hass, client, target, first, WEBHOOK_UNREACHABLE
                    )
            else:
                outcome = await _async_check_websocket(hass, client, target, first)
    except WahaAuthError:
        return _outcome(target, INVALID_AUTH)
    except WahaError as err:
        LOGGER.debug("Delivery check of session %s: %s", target.session, err)
        return _outcome(target, CANNOT_CONNECT)
    if outcome.error is None and entry is not None:
        # Proof that events arrive: the entry's "cannot reach" issue is over.
        ir.async_delete_issue(hass, DOMAIN, delivery_issue_id(entry.entry_id))
    return outcome


async def _async_apply(
    hass: HomeAssistant,
    client: WahaClient,
    target: DeliveryTarget,
    first: _FirstEvent,
    silent: str,
) -> DeliveryOutcome:
    """PUT the config (WAHA restarts the session) and wait; put it back on failure."""
    session = await client.get_session(target.session)
    found = session.config
    desired = desired_config(
        found,
        webhook_id=target.webhook_id,
        webhook=target.webhook,
        engine=session.engine,
    )
    try:
        try:
            answer = await client.update_session_config(target.session, desired)
        except WahaBadRequestError as err:
            return _outcome(target, CONFIG_REJECTED, error=err.detail[:MAX_DETAIL])
        if answer.status is SessionStatus.STOPPED:
            # WAHA does not start a stopped session for a config change: no event.
            error: str | None = SESSION_NOT_RESTARTED
        else:
            error = await first.wait(silent)
    except asyncio.CancelledError:
        # The dialog was closed, perhaps while WAHA took our PUT: leave no webhook
        # behind that nobody receives.
        if desired != found and not hass.is_stopping:
            hass.async_create_background_task(
                _async_put_back(client, target.session, found),
                f"{DOMAIN} restore session config",
            )
        raise
    LOGGER.debug("Delivery check of session %s: %s", target.session, error or "ok")
    if error is not None and desired != found:
        await _async_put_back(client, target.session, found)
    return _outcome(target, error)


async def _async_put_back(
    client: WahaClient, session: str, config: dict[str, Any]
) -> None:
    """Restore the config a failed check found (WAHA restarts the session again)."""
    try:
        await client.update_session_config(session, config)
    except WahaError as err:
        LOGGER.warning(
            "Could not restore the config of WAHA session %s: %s", session, err
        )


async def _async_check_websocket(
    hass: HomeAssistant, client: WahaClient, target: DeliveryTarget, first: _FirstEvent
) -> DeliveryOutcome:
    """Open the WebSocket first, then apply the config and wait for a status frame."""
    url = ws_url(target.url, target.api_key, target.session)
    try:
        async with asyncio.timeout(WS_OPEN_TIMEOUT):
            ws = await async_get_clientsession(hass).ws_connect(url)
    except WSServerHandshakeError as err:
        # Not WAHA: it accepts every upgrade (a wrong key is a close frame after it).
        return _outcome(target, WEBSOCKET_BLOCKED, status=str(err.status))
    except (ClientError, OSError, TimeoutError) as err:
        # The error's text carries the URL, and the URL the API key.
        LOGGER.debug("Delivery check: the WebSocket failed: %s", type(err).__name__)
        return _outcome(target, CANNOT_CONNECT)
    reader = hass.async_create_background_task(
        _async_read(ws, first), f"{DOMAIN} delivery check websocket"
    )
    try:
        return await _async_apply(hass, client, target, first, WEBSOCKET_SILENT)
    finally:
        reader.cancel()
        await ws.close()


async def _async_read(ws: ClientWebSocketResponse, first: _FirstEvent) -> None:
    """Hand the frames to `first`; a close ends the wait."""
    async for message in ws:
        if message.type is WSMsgType.TEXT:
            with suppress(ValueError, WahaParseError):
                first.event(parse_event(json_loads(message.data)))
    first.resolve(
        INVALID_AUTH if ws.close_code == WS_UNAUTHORIZED else WEBSOCKET_SILENT
    )


@contextmanager
def _config_held(entry: WahaConfigEntry | None) -> Iterator[None]:
    """Keep a loaded entry from restoring its own config while the check runs."""
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        yield
        return
    release = entry.runtime_data.coordinator.monitor.config.hold()
    try:
        yield
    finally:
        release()


@contextmanager
def _webhook_events(
    hass: HomeAssistant,
    target: DeliveryTarget,
    entry: WahaConfigEntry | None,
    on_event: Callable[[WahaEvent], None],
) -> Iterator[None]:
    """Hand the check every verified event that reaches the target's webhook id."""
    loaded = (
        entry.runtime_data.webhook
        if entry is not None and entry.state is ConfigEntryState.LOADED
        else None
    )
    if loaded is not None:
        # The entry's own handler owns the id; it verifies with the same key.
        unwatch = loaded.async_watch(on_event)
        try:
            yield
        finally:
            unwatch()
        return

    def take(event: WahaEvent) -> bool:
        on_event(event)
        return True

    hook = WahaWebhook(
        hass, target.webhook_id, target.hmac_key, "delivery check", on_event=take
    )
    hook.async_register()
    try:
        yield
    finally:
        hook.async_unregister()
