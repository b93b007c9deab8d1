"""The bus event: one per presence change, named, under the change's context."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.waha_presence.const import DOMAIN, EVENT_PRESENCE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from simulator import WahaSimulator

from .const import (
    ACCOUNT_ID,
    BOB,
    BOB_PRESENCE,
    CAROL,
    FAMILY,
    FAMILY_ACTIVE,
    SESSION,
)
from .helpers import settle, wait_for


def device_id(hass: HomeAssistant, entry: MockConfigEntry, chat_id: str) -> str:
    """Return the device id of a tracked chat."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{chat_id}"), entry.entry_id
    )
    assert device is not None
    return device.id


async def test_contact_change(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A contact's change is one event, sharing the context of the states it set."""
    events = async_capture_events(hass, EVENT_PRESENCE_CHANGED)
    await waha.set_contact_presence(SESSION, BOB, "online")
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "online")
    assert [event.data for event in events] == [
        {
            "device_id": device_id(hass, ready, BOB),
            "chat_id": BOB,
            "participant": BOB,
            "name": "Bob",
            "presence": "online",
            "previous": None,
            "activity": "came_online",
        }
    ]
    assert events[0].context.id == hass.states.get(BOB_PRESENCE).context.id
    await waha.set_contact_presence(SESSION, BOB, "typing")
    await waha.set_contact_presence(SESSION, BOB, "typing")
    await wait_for(hass, lambda: len(events) == 2)
    await settle(hass)
    assert len(events) == 2, "a typing that only refreshes the indicator is no change"
    assert (events[1].data["previous"], events[1].data["activity"]) == (
        "online",
        "started_typing",
    )


async def test_cache_read_is_no_change(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """What a presence read shows after a reconnect did not just happen: no event."""
    events = async_capture_events(hass, EVENT_PRESENCE_CHANGED)
    waha.session(SESSION).presences[BOB] = {
        BOB: {"participant": BOB, "lastKnownPresence": "online", "lastSeen": None}
    }
    await ready.runtime_data.coordinator.async_resync()
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "online")
    await settle(hass)
    assert events == []


async def test_group_member_named_by_waha(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """An untracked member is named as WAHA knows them, asked for once."""
    events = async_capture_events(hass, EVENT_PRESENCE_CHANGED)
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "typing")
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "paused")
    await wait_for(hass, lambda: len(events) == 2)
    assert [(e.data["name"], e.data["activity"]) for e in events] == [
        ("Carol", "started_typing"),
        ("Carol", "stopped_typing"),
    ]
    assert events[0].data["group"] == "Family"
    assert events[0].data["participant"] == CAROL
    assert events[0].data["device_id"] == device_id(hass, ready, FAMILY)
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "recording")
    await wait_for(hass, lambda: len(events) == 3)
    asked = [r for r in waha.requests if r.path == "/api/contacts"]
    assert [r.query["contactId"] for r in asked] == [CAROL]
    assert hass.states.get(FAMILY_ACTIVE).attributes["recording"] == ["Carol"]
