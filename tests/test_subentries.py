"""Tracked chats added and removed at runtime, without a restart."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.waha_presence.const import DOMAIN, SUBENTRY_CHAT
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from simulator import WahaSimulator

from .const import ACCOUNT_ID, ALICE, CAROL, SESSION
from .helpers import wait_for


async def test_add_and_remove_chat_live(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new chat gets entities and a subscription; removing it cleans up."""
    entry = init_integration
    await wait_for(hass, lambda: entry.runtime_data.coordinator.available)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CHAT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": CAROL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await wait_for(hass, lambda: hass.states.get("sensor.carol_presence") is not None)
    await wait_for(hass, lambda: CAROL in waha.session(SESSION).subscriptions)
    await waha.set_contact_presence(SESSION, CAROL, "online")
    await wait_for(
        hass, lambda: hass.states.get("sensor.carol_presence").state == "online"
    )
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{CAROL}"), entry.entry_id
    )
    assert device is not None

    subentry_id = next(
        sid for sid, sub in entry.subentries.items() if sub.unique_id == CAROL
    )
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.carol_presence") is None
    assert entity_registry.async_get("sensor.carol_presence") is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{ACCOUNT_ID}_{CAROL}"), entry.entry_id
        )
        is None
    )
    assert CAROL not in entry.runtime_data.coordinator.chats
    # Alice is untouched.
    assert hass.states.get("sensor.alice_presence") is not None
    assert ALICE in entry.runtime_data.coordinator.chats
