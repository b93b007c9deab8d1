"""The ordering events reached survives a restart; the store goes with the entry."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.waha_presence.const import DOMAIN
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from simulator import WahaSimulator

from .const import ALICE, ALICE_ACTIVITY, ALICE_PRESENCE, SESSION
from .helpers import minute_ago_ms, post_event, presence_payload, wait_for

STATUS = "sensor.home_session_status"


def _status(status: str) -> dict[str, Any]:
    return {"name": SESSION, "status": status, "statuses": []}


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Reload the entry, as a Home Assistant restart would set it up anew."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: entry.runtime_data.coordinator.available)


async def test_replays_refused_after_restart(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """After a restart, older events and the last one sent again change nothing."""
    ts = minute_ago_ms()
    typing = presence_payload(ALICE, "typing")
    online = presence_payload(ALICE, "online")
    post = ha_client, waha, "presence.update"
    assert await post_event(*post, typing, timestamp=ts, event_id="evt_b") == 200
    assert (
        await post_event(
            ha_client, waha, "session.status", _status("WORKING"), timestamp=ts
        )
        == 200
    )
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"

    await _restart(hass, ready)
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNKNOWN
    fired: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda e: e.data["entity_id"] == ALICE_ACTIVITY and fired.append("x"),
    )
    # Inside the freshness window, so only the ordering can refuse them.
    assert await post_event(*post, online, timestamp=ts - 5000) == 200
    assert await post_event(*post, typing, timestamp=ts, event_id="evt_b") == 200
    starting = _status("STARTING")
    assert (
        await post_event(
            ha_client, waha, "session.status", starting, timestamp=ts - 5000
        )
        == 200
    )
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNKNOWN
    assert hass.states.get(STATUS).state == "working"
    assert fired == []
    # Newer events apply as ever.
    assert await post_event(*post, online, timestamp=ts + 1000) == 200
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "online"


async def test_stamps_from_a_clock_that_ran_ahead_are_dropped(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Stored stamps beyond the clock skew, or malformed, do not block events."""
    far = 253_402_300_799_999
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {
            "chats": {ALICE: {ALICE: [far, "evt_x"]}, "junk": [1, 2]},
            "status": [far, "evt_y"],
        },
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: config_entry.runtime_data.coordinator.available)
    typing = presence_payload(ALICE, "typing")
    assert await post_event(ha_client, waha, "presence.update", typing) == 200
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"
    qr = _status("SCAN_QR_CODE")
    assert await post_event(ha_client, waha, "session.status", qr) == 200
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "scan_qr_code"


async def test_store_saved_and_removed_with_the_entry(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading writes what is pending; removing the entry removes its store."""
    key = f"{DOMAIN}.{ready.entry_id}"
    ts = minute_ago_ms()
    typing = presence_payload(ALICE, "typing")
    await post_event(
        ha_client, waha, "presence.update", typing, timestamp=ts, event_id="evt_b"
    )
    assert await hass.config_entries.async_unload(ready.entry_id)
    assert hass_storage[key]["data"]["chats"][ALICE] == {ALICE: [ts, "evt_b"]}
    assert await hass.config_entries.async_remove(ready.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
