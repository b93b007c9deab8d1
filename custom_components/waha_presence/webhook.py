"""Receive WAHA events on a Home Assistant webhook, HMAC-verified."""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import hmac
from http import HTTPStatus

from aiohttp import hdrs, web

from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util.json import json_loads

from .const import DOMAIN, LOGGER
from .models import WahaEvent, WahaParseError, WahaPayloadError, parse_event

HMAC_HEADER = "X-Webhook-Hmac"
MAX_BODY_BYTES = 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024


def _encoded(request: web.Request) -> bool:
    """Return True for a body sent compressed (or otherwise encoded)."""
    if (encoding := request.headers.get(hdrs.CONTENT_ENCODING)) is None:
        return False
    return encoding.strip().lower() not in ("", "identity")


async def _read_body(request: web.Request) -> bytes | None:
    """Return the body, or None when it is larger than any WAHA event."""
    if (length := request.content_length) is not None:
        if length > MAX_BODY_BYTES:
            return None
        return await request.read()
    # Chunked: no length up front, so count while reading, before any signature check.
    body = bytearray()
    async for chunk in request.content.iter_chunked(READ_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


class Signer:
    """WAHA's webhook signature, hex HMAC-SHA512, keyed once rather than per event."""

    def __init__(self, key: str | bytes) -> None:
        """Key the HMAC."""
        if isinstance(key, str):
            key = key.encode()
        self._keyed = hmac.new(key, digestmod=hashlib.sha512)

    def sign(self, body: bytes) -> str:
        """Return the signature of `body`."""
        mac = self._keyed.copy()
        mac.update(body)
        return mac.hexdigest()


class WahaWebhook:
    """The webhook that one config entry registers."""

    def __init__(
        self,
        hass: HomeAssistant,
        webhook_id: str,
        hmac_key: str,
        title: str,
        on_event: Callable[[WahaEvent], bool],
    ) -> None:
        """Keep what the handler needs; `on_event` gets every verified event."""
        self.hass = hass
        self.webhook_id = webhook_id
        self._signer = Signer(hmac_key)
        self._title = title
        self._warned = False
        self._on_event = on_event
        self._watchers: list[Callable[[WahaEvent], None]] = []

    @callback
    def async_register(self) -> None:
        """Start accepting POSTs on the webhook."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"WAHA Presence {self._title}",
            self.webhook_id,
            self._async_handle,
            allowed_methods=["POST"],
        )

    @callback
    def async_unregister(self) -> None:
        """Stop accepting POSTs on the webhook."""
        webhook.async_unregister(self.hass, self.webhook_id)

    @callback
    def async_watch(self, watcher: Callable[[WahaEvent], None]) -> CALLBACK_TYPE:
        """Also hand verified events to `watcher` (a delivery check) until undone."""
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    def _reject(self, reason: str, remote: str | None) -> web.Response:
        if not self._warned:
            LOGGER.warning(
                "Rejected a WAHA webhook call from %s for %s: %s",
                remote,
                self._title,
                reason,
            )
            self._warned = True
        else:
            LOGGER.debug("Rejected a WAHA webhook call: %s", reason)
        return web.Response(status=HTTPStatus.UNAUTHORIZED)

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        # aiohttp inflates while reading, past what Content-Length said: refuse
        # unread, as WAHA never compresses what it sends.
        if _encoded(request):
            LOGGER.debug("Refused a compressed WAHA webhook body")
            return web.Response(status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        if (body := await _read_body(request)) is None:
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        given = request.headers.get(HMAC_HEADER)
        if not given:
            return self._reject("no signature", request.remote)
        expected = self._signer.sign(body).encode()
        if not hmac.compare_digest(given.lower().encode(errors="replace"), expected):
            return self._reject("wrong signature", request.remote)
        self._warned = False
        try:
            event = parse_event(json_loads(body))
        except WahaPayloadError as err:
            # WAHA signed it and would send it again unchanged: take it and drop it.
            LOGGER.debug("Ignoring a malformed WAHA event: %s", err)
            return web.Response(status=HTTPStatus.OK)
        except (ValueError, WahaParseError) as err:
            LOGGER.debug("Malformed WAHA webhook body: %s", err)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        try:
            accepted = self._on_event(event)
            for watcher in self._watchers:
                watcher(event)
        except Exception:  # noqa: BLE001 - logged with its traceback
            # A bug of ours must not reach HA's handler, which logs the webhook id.
            LOGGER.exception("Error applying WAHA event %s", event.event)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        if not accepted:
            # Dated outside what WAHA's retries and clock skew allow: a replay.
            return web.Response(status=HTTPStatus.UNPROCESSABLE_ENTITY)
        return web.Response(status=HTTPStatus.OK)
