"""Helpers shared by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from typing import Any

from aiohttp.test_utils import TestClient

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import HMAC_KEY, SESSION, WEBHOOK_ID


async def wait_for(
    hass: HomeAssistant | None, predicate: Callable[[], bool], limit: float = 5.0
) -> None:
    """Let the loop (and HA's work, given `hass`) run until `predicate` holds."""
    async with asyncio.timeout(limit):
        while True:
            if hass is not None:
                await hass.async_block_till_done()
            if predicate():
                return
            await asyncio.sleep(0.01)


def record_writes(hass: HomeAssistant, *entity_ids: str) -> dict[str, list[str]]:
    """Record each state written for the entities, changed or not."""
    writes: dict[str, list[str]] = {entity_id: [] for entity_id in entity_ids}

    @callback
    def wanted(data: Any) -> bool:
        return data["entity_id"] in writes

    @callback
    def record(event: Event[Any]) -> None:
        writes[event.data["entity_id"]].append(event.data["new_state"].state)

    for event_type in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
        hass.bus.async_listen(event_type, record, event_filter=wanted)
    return writes


def minute_ago_ms() -> int:
    """Return the start of the last whole minute before now, in ms (a fresh time)."""
    return (int(dt_util.utcnow().timestamp()) // 60 - 1) * 60_000


async def settle(hass: HomeAssistant) -> None:
    """Wait for HA's work, background upkeep included (not with a WebSocket open)."""
    await hass.async_block_till_done(wait_background_tasks=True)


async def post_event(
    client: TestClient,
    waha: WahaSimulator,
    event: str,
    payload: dict[str, Any],
    *,
    timestamp: int | None = None,
    event_id: str | None = None,
    session: str = SESSION,
    key: str = HMAC_KEY,
) -> int:
    """Sign and POST one WAHA envelope to our webhook; return the HTTP status."""
    envelope = waha.build_envelope(
        session, event, payload, timestamp=timestamp, event_id=event_id
    )
    body = json.dumps(envelope).encode()
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Webhook-Hmac": waha.sign(body, key),
            "X-Webhook-Hmac-Algorithm": "sha512",
        },
    )
    return int(response.status)


def presence_payload(
    chat_id: str,
    presence: str,
    *,
    participant: str | None = None,
    last_seen: int | None = None,
) -> dict[str, Any]:
    """Return a `presence.update` payload for one participant."""
    return {
        "id": chat_id,
        "presences": [
            {
                "participant": participant or chat_id,
                "lastKnownPresence": presence,
                "lastSeen": last_seen,
            }
        ],
    }
