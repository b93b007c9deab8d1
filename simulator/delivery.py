"""Event delivery: the JSON wire form, webhook POSTs with HMAC and retries, `/ws` filters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
import hashlib
import hmac
import json
import random
from typing import Any

import aiohttp
from aiohttp import web

from .const import VERSION, WILDCARD, expand_events
from .ids import now_s, ulid
from .state import Delivery

DEFAULT_ATTEMPTS = 15
DEFAULT_DELAY_SECONDS = 2.0
HMAC_ALGORITHM = "sha512"

_jitter = random.SystemRandom()


def dumps(data: Any) -> str:
    """Serialise like JSON.stringify: compact, UTF-8 kept as is."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def sign(body: bytes, key: str) -> str:
    """Return the lower-case hex HMAC-SHA512 WAHA puts in `X-Webhook-Hmac`."""
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def wired_webhooks(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the webhooks a session start wires (entries without url/events are skipped)."""
    hooks = config.get("webhooks")
    if not isinstance(hooks, list):
        return []
    return [
        dict(hook)
        for hook in hooks
        if isinstance(hook, dict) and hook.get("url") and hook.get("events")
    ]


def webhook_wants(hook: Mapping[str, Any], event: str) -> bool:
    """Return whether a webhook's `events` select this event."""
    events = hook.get("events")
    return isinstance(events, list) and event in expand_events(map(str, events))


def retry_plan(retries: Any) -> tuple[int, Callable[[int], float]]:
    """Return (total attempts, delay in seconds before retry n) for a retries config."""
    config = retries if isinstance(retries, dict) else {}
    attempts = config.get("attempts")
    delay = config.get("delaySeconds")
    policy = config.get("policy")
    # axios-retry's `retries` counts retries, so the first try comes on top.
    total = 1 + (DEFAULT_ATTEMPTS if attempts is None else max(0, int(attempts)))
    base = DEFAULT_DELAY_SECONDS if delay is None else float(delay)
    if base <= 0:
        return total, lambda _n: 0.0
    if policy == "linear":
        return total, lambda n: n * base
    if policy == "exponential":
        return total, lambda n: 2**n * base * (1 + 0.2 * _jitter.random())
    return total, lambda _n: base


def _retry_after(headers: Mapping[str, str]) -> float:
    """Return a response's Retry-After in seconds (0 if absent or unreadable)."""
    value = headers.get("Retry-After")
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now_s())
    except TypeError, ValueError:
        return 0.0


def webhook_headers(
    hook: Mapping[str, Any], envelope: Mapping[str, Any], body: bytes
) -> dict[str, str]:
    """Return the headers of one webhook POST (each attempt has its own request id)."""
    environment = envelope.get("environment") or {}
    headers = {
        "content-type": "application/json",
        "User-Agent": f"WAHA/{environment.get('version', VERSION)}",
    }
    for header in hook.get("customHeaders") or []:
        if isinstance(header, dict) and "name" in header:
            headers[str(header["name"])] = str(header.get("value", ""))
    # Old WAHA's envelopes carry no id or timestamp, nor do its requests.
    if "id" in envelope:
        headers["X-Webhook-Request-Id"] = ulid().upper()
    if "timestamp" in envelope:
        headers["X-Webhook-Timestamp"] = str(envelope["timestamp"])
    key = (hook.get("hmac") or {}).get("key")
    if key:
        headers["X-Webhook-Hmac"] = sign(body, str(key))
        headers["X-Webhook-Hmac-Algorithm"] = HMAC_ALGORITHM
    return headers


async def deliver(
    http: aiohttp.ClientSession,
    hook: Mapping[str, Any],
    envelope: Mapping[str, Any],
    body: bytes,
    *,
    delay_scale: float,
    record: Callable[[Delivery], None],
    route: Callable[[str], str] = str,
) -> None:
    """POST one event to one webhook via `route(url)`, retrying like axios-retry."""
    url = str(hook["url"])
    total, delay_for = retry_plan(hook.get("retries"))
    for attempt in range(1, total + 1):
        # WAHA 2026.2.1 sends a new X-Webhook-Request-Id with every retry.
        headers = webhook_headers(hook, envelope, body)
        status: int | None = None
        error: str | None = None
        retry_after = 0.0
        try:
            async with http.post(route(url), data=body, headers=headers) as response:
                status = response.status
                await response.read()
                retry_after = _retry_after(response.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            error = f"{type(err).__name__}: {err}"
        record(
            Delivery(
                url=url,
                body=body,
                headers=dict(headers),
                status=status,
                error=error,
                attempt=attempt,
                event=str(envelope["event"]),
                event_id=str(envelope.get("id", "")),
            )
        )
        if status is not None and 200 <= status < 300:
            return
        if attempt < total:
            await asyncio.sleep(max(delay_for(attempt), retry_after) * delay_scale)


@dataclass(eq=False, slots=True)
class WsClient:
    """A connected `/ws` client and its query-string filters."""

    ws: web.WebSocketResponse
    sessions: frozenset[str]
    events: frozenset[str]
    ponged: bool = True

    def wants(self, envelope: Mapping[str, Any]) -> bool:
        """Return whether this client asked for the event."""
        session_ok = WILDCARD in self.sessions or envelope["session"] in self.sessions
        return session_ok and envelope["event"] in self.events


def split_query(values: list[str], default: str) -> list[str]:
    """Return repeated and/or comma-separated query values, or the default."""
    items = [part.strip() for value in values for part in value.split(",")]
    return [item for item in items if item] or [default]
