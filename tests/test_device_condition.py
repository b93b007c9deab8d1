"""Device conditions: is a tracked contact online, offline or typing right now."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.waha_presence import device_condition
from custom_components.waha_presence.const import DOMAIN
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from simulator import WahaSimulator

from .const import ACCOUNT_ID, BOB, BOB_PRESENCE, FAMILY, SESSION
from .helpers import wait_for

TYPES = ("is_online", "is_offline", "is_typing")


def device_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Return the device id of a chat, or of the account for `key` ACCOUNT_ID."""
    identifier = key if key == ACCOUNT_ID else f"{ACCOUNT_ID}_{key}"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, identifier), entry.entry_id
    )
    assert device is not None
    return device.id


async def test_conditions_listed_and_translated(
    hass: HomeAssistant, ready: MockConfigEntry
) -> None:
    """A contact offers the three conditions; a group and the account none."""
    listed = {
        key: await async_get_device_automations(
            hass, DeviceAutomationType.CONDITION, device_id(hass, ready, key)
        )
        for key in (BOB, FAMILY, ACCOUNT_ID)
    }
    ours = {
        key: {c["type"] for c in conditions if c["domain"] == DOMAIN}
        for key, conditions in listed.items()
    }
    assert ours == {BOB: set(TYPES), FAMILY: set(), ACCOUNT_ID: set()}
    strings = await async_get_translations(hass, "en", "device_automation", [DOMAIN])
    for condition_type in TYPES:
        assert strings[
            f"component.{DOMAIN}.device_automation.condition_type.{condition_type}"
        ]


@pytest.mark.parametrize(
    ("presence", "passing"),
    [
        (None, set()),
        ("online", {"is_online"}),
        ("typing", {"is_online", "is_typing"}),
        ("offline", {"is_offline"}),
    ],
)
async def test_conditions_follow_presence(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    presence: str | None,
    passing: set[str],
) -> None:
    """Each condition holds exactly while Bob's presence says so; unknown is none."""
    passed: list[str] = []

    @callback
    def record(call: ServiceCall) -> None:
        passed.append(call.data["type"])

    hass.services.async_register("test", "record", record)
    bob = device_id(hass, ready, BOB)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": condition_type,
                    "triggers": [{"trigger": "event", "event_type": "test_check"}],
                    "conditions": [
                        {
                            "condition": "device",
                            "domain": DOMAIN,
                            "device_id": bob,
                            "type": condition_type,
                        }
                    ],
                    "actions": [
                        {"action": "test.record", "data": {"type": condition_type}}
                    ],
                }
                for condition_type in TYPES
            ]
        },
    )
    if presence is not None:
        await waha.set_contact_presence(SESSION, BOB, presence)
        await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == presence)
    hass.bus.async_fire("test_check")
    await hass.async_block_till_done()
    assert set(passed) == passing


async def test_unavailable_is_neither(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """While the session is down the contact is not known to be online."""
    await waha.set_contact_presence(SESSION, BOB, "online")
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "online")
    check = device_condition.async_condition_from_config(
        hass,
        {
            "condition": "device",
            "domain": DOMAIN,
            "device_id": device_id(hass, ready, BOB),
            "type": "is_online",
        },
    )
    assert check(hass, None)
    await waha.set_status(SESSION, "STOPPED")
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "unavailable")
    assert not check(hass, None)
