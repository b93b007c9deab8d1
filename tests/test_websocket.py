"""WebSocket delivery: events, reconnects with catch-up, a refused key."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import (
    CONF_DELIVERY,
    DELIVERY_WEBSOCKET,
    DOMAIN,
    WS_RECONNECT_MIN,
)
from custom_components.waha_presence.websocket import ws_url
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator
from simulator.const import OLD_VERSION

from .const import ALICE, ALICE_PRESENCE, API_KEY, SESSION
from .helpers import wait_for


@pytest.fixture
def entry_data(entry_data: dict[str, Any]) -> dict[str, Any]:
    """Deliver over the WebSocket."""
    return {**entry_data, CONF_DELIVERY: DELIVERY_WEBSOCKET}


def test_ws_url() -> None:
    """The URL carries WAHA's query filters."""
    assert ws_url("https://waha.local:3000/", "k&y", "default") == (
        "wss://waha.local:3000/ws?x-api-key=k%26y&session=default"
        "&events=presence.update&events=session.status"
    )


async def test_events_over_websocket(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No webhook in WAHA, events still arrive; a reconnect re-subscribes."""
    runtime = init_integration.runtime_data
    assert runtime.webhook is None
    assert "webhooks" not in waha.session(SESSION).config
    await wait_for(hass, runtime.websocket.connected.is_set)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    await waha.set_contact_presence(SESSION, ALICE, "typing")
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "typing"
    )

    caplog.set_level(logging.DEBUG, logger="custom_components.waha_presence")
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    await wait_for(hass, lambda: not runtime.websocket.connected.is_set())
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "unavailable"
    )
    assert "Lost the WebSocket to WAHA" in caplog.text
    await asyncio.sleep(1.5)  # one failed reconnect, logged
    waha.session(SESSION).subscriptions.clear()
    await waha.start(port=port)
    await wait_for(hass, runtime.websocket.connected.is_set, limit=10)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "typing"
    )
    ours = [
        r.getMessage() for r in caplog.records if r.name.startswith("custom_components")
    ]
    assert any("WAHA WebSocket failed" in message for message in ours)
    assert not any(API_KEY in message for message in ours)


async def test_reconnect_to_logged_out_session(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reconnect to a session that lost its login never shows entities available."""
    caplog.set_level(logging.INFO)
    runtime = init_integration.runtime_data
    await wait_for(hass, lambda: runtime.coordinator.available)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "unavailable"
    )
    waha.session(SESSION).status = "SCAN_QR_CODE"
    written: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            event.data["entity_id"] == "sensor.alice_presence"
            and written.append(event.data["new_state"].state)
        ),
    )
    await waha.start(port=port)
    await wait_for(hass, runtime.websocket.connected.is_set, limit=10)
    await wait_for(
        hass, lambda: runtime.coordinator.monitor.raw_status == "SCAN_QR_CODE"
    )
    await hass.async_block_till_done()
    assert set(written) <= {"unavailable"}
    assert "is available again" not in caplog.text


async def test_reconnect_writes_account_entities_once(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """Coming back after a lost event stream is one change: one write each."""
    runtime = init_integration.runtime_data
    await wait_for(hass, lambda: runtime.coordinator.available)
    # The event stream is up and its catch-up (session read, subscribe) is over.
    await wait_for(hass, runtime.websocket.connected.is_set)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    await wait_for(hass, lambda: not runtime.coordinator.available)
    writes: list[None] = []
    runtime.coordinator.listeners.async_add_session_listener(
        lambda: writes.append(None)
    )
    await waha.start(port=port)
    await wait_for(hass, lambda: runtime.coordinator.available, limit=10)
    # Available and written in the same step, once the session was read.
    assert len(writes) == 1
    await asyncio.sleep(0.2)  # whatever the reconnect still had to do
    await hass.async_block_till_done()
    assert len(writes) == 1


async def test_refused_key_starts_reauth(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WAHA closing the socket with 1008 means the key changed."""
    runtime = init_integration.runtime_data
    await wait_for(hass, runtime.websocket.connected.is_set)
    waha.api_key = "rotated"
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    await waha.start(port=port)
    await wait_for(
        hass,
        lambda: any(
            flow["context"]["source"] == SOURCE_REAUTH
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        ),
        limit=10,
    )
    await wait_for(hass, lambda: "WAHA refused the WebSocket" in caplog.text, limit=10)
    assert not runtime.websocket.connected.is_set()


async def test_one_refused_socket_starts_no_reauth(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A socket closed with 1008 once, with a key WAHA takes again: no reauth."""
    runtime = init_integration.runtime_data
    await wait_for(hass, lambda: runtime.coordinator.available)
    waha.api_key = "rotated"
    path = f"/api/sessions/{SESSION}"
    # Our next session read is held while the key comes back (a WAHA restarting).
    waha.delay_next("GET", path, 0.5)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    waha.requests.clear()
    await waha.start(port=port)
    await wait_for(hass, lambda: path in [r.path for r in waha.requests], limit=10)
    waha.api_key = API_KEY
    await wait_for(hass, lambda: runtime.coordinator.available, limit=10)
    assert [r.path for r in waha.requests].count("/ws") >= 2
    assert not [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert "WAHA refused the WebSocket" not in caplog.text


async def test_old_waha_closing_4001_is_not_a_network_fault(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA replaced by 2024.10.8 closes our `/ws` with 4001: stop, say why, stay down."""
    runtime = init_integration.runtime_data
    await wait_for(hass, lambda: runtime.coordinator.available)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    )
    written: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            event.data["entity_id"] == ALICE_PRESENCE
            and written.append(event.data["new_state"].state)
        ),
    )
    waha.version = OLD_VERSION
    sockets = len([r for r in waha.requests if r.path == "/ws"])
    await waha.start(port=port)
    issue_id = f"websocket_refused_{init_integration.entry_id}"
    await wait_for(
        hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id), limit=10
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_placeholders == {
        "minimum": "2025.8",
        "session": SESSION,
        "url": waha.url,
    }
    # The catch-up after the handshake may show it once before the close is read.
    assert written in ([STATE_UNAVAILABLE], ["unknown", STATE_UNAVAILABLE])
    written.clear()
    # Longer than the first reconnect delay, and a watchdog round on top.
    await asyncio.sleep(WS_RECONNECT_MIN.total_seconds() + 1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1, seconds=1))
    await hass.async_block_till_done()
    assert len([r for r in waha.requests if r.path == "/ws"]) == sockets + 1
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    assert written == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    refused = (
        "WAHA closed the WebSocket with code 4001: it cannot stream the events of "
        "one session, which WAHA 2025.8 and newer can. Not reconnecting; update "
        "WAHA, then reload the integration"
    )
    assert [r.getMessage() for r in warnings if "4001" in r.getMessage()] == [refused]
    assert not any(API_KEY in r.getMessage() for r in caplog.records)

    waha.version = "2026.2.1"
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    runtime = init_integration.runtime_data
    await wait_for(hass, lambda: runtime.coordinator.available)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_malformed_frames_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Binary, non-JSON and non-envelope frames are skipped; the next event applies."""
    runtime = init_integration.runtime_data
    await wait_for(hass, runtime.websocket.connected.is_set)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    frames: list[str | bytes] = [
        b"\x00\x01",
        "{not json",
        '{"event": "presence.update"}',
        json.dumps(
            waha.build_envelope(
                SESSION,
                "presence.update",
                {
                    "id": ALICE,
                    "presences": [
                        {"participant": ALICE, "lastKnownPresence": "recording"}
                    ],
                },
            )
        ),
    ]
    for client in list(waha.ws_clients):
        for frame in frames:
            if isinstance(frame, bytes):
                await client.ws.send_bytes(frame)
            else:
                await client.ws.send_str(frame)
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "recording"
    )
    assert "Traceback" not in caplog.text


async def test_stale_and_future_events_dropped(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Over the WebSocket too, events outside the window change nothing."""
    runtime = init_integration.runtime_data
    await wait_for(hass, runtime.websocket.connected.is_set)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    await wait_for(hass, lambda: runtime.coordinator.available)
    fired: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda e: (
            e.data["entity_id"] == "event.alice_activity"
            and fired.append(e.data["new_state"].attributes.get("event_type"))
        ),
    )
    now = int(dt_util.utcnow().timestamp() * 1000)
    for presence, timestamp in (
        ("typing", now - 6 * 3_600_000),
        ("recording", 253_402_300_799_999),
        ("online", now),
    ):
        payload = {
            "id": ALICE,
            "presences": [{"participant": ALICE, "lastKnownPresence": presence}],
        }
        await waha.emit(SESSION, "presence.update", payload, timestamp=timestamp)
    await wait_for(
        hass, lambda: hass.states.get("sensor.alice_presence").state == "online"
    )
    assert fired == ["online"]
    assert "Traceback" not in caplog.text
