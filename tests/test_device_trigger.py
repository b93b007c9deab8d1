"""Device triggers: listed under the device, translated, fired by what WAHA plays."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.waha_presence import device_trigger
from custom_components.waha_presence.const import DOMAIN
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from simulator import WahaSimulator

from .const import ACCOUNT_ID, BOB, BOB_PRESENCE, CAROL, FAMILY, SESSION
from .helpers import settle, wait_for

CONTACT_TYPES = {
    "came_online",
    "went_offline",
    "started_typing",
    "started_recording",
    "stopped_typing",
    "stopped_recording",
}
GROUP_TYPES = {"member_started_typing", "member_started_recording"}


def device_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Return the device id of a chat, or of the account for `key` ACCOUNT_ID."""
    identifier = key if key == ACCOUNT_ID else f"{ACCOUNT_ID}_{key}"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, identifier), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """Record calls of `test.record`, the action of the automations below."""
    recorded: list[ServiceCall] = []

    @callback
    def record(call: ServiceCall) -> None:
        recorded.append(call)

    hass.services.async_register("test", "record", record)
    return recorded


async def _automate(hass: HomeAssistant, *automations: dict[str, Any]) -> None:
    """Set up automations that record what fired them."""
    assert await async_setup_component(
        hass, "automation", {"automation": list(automations)}
    )
    await hass.async_block_till_done()


def _on(device: str, trigger_type: str) -> dict[str, Any]:
    """Return an automation with one device trigger of ours."""
    return {
        "alias": trigger_type,
        "triggers": [
            {
                "trigger": "device",
                "domain": DOMAIN,
                "device_id": device,
                "type": trigger_type,
            }
        ],
        "actions": [
            {
                "action": "test.record",
                "data": {
                    "type": trigger_type,
                    "name": "{{ trigger.event.data.name }}",
                    "description": "{{ trigger.description }}",
                    "presence": "{{ states('" + BOB_PRESENCE + "') }}",
                },
            }
        ],
    }


async def test_triggers_listed_and_translated(
    hass: HomeAssistant, ready: MockConfigEntry
) -> None:
    """A contact offers its six triggers, a group two, the account none."""
    listed = {
        key: await async_get_device_automations(
            hass, DeviceAutomationType.TRIGGER, device_id(hass, ready, key)
        )
        for key in (BOB, FAMILY, ACCOUNT_ID)
    }
    ours = {
        key: {t["type"] for t in triggers if t["domain"] == DOMAIN}
        for key, triggers in listed.items()
    }
    assert ours == {BOB: CONTACT_TYPES, FAMILY: GROUP_TYPES, ACCOUNT_ID: set()}
    assert all(
        t["device_id"] == device_id(hass, ready, BOB) and t["platform"] == "device"
        for t in listed[BOB]
        if t["domain"] == DOMAIN
    )
    strings = await async_get_translations(hass, "en", "device_automation", [DOMAIN])
    prefix = f"component.{DOMAIN}.device_automation.trigger_type"
    for trigger_type in CONTACT_TYPES | GROUP_TYPES:
        assert strings[f"{prefix}.{trigger_type}"]


async def test_group_trigger_refused_on_a_contact(
    hass: HomeAssistant, ready: MockConfigEntry
) -> None:
    """A trigger the device does not offer is refused with a translated error."""
    config = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device_id(hass, ready, BOB),
        "type": "member_started_typing",
    }
    with pytest.raises(InvalidDeviceAutomationConfig) as err:
        await device_trigger.async_validate_trigger_config(hass, config)
    assert err.value.translation_key == "invalid_trigger"


async def test_contact_triggers_fire(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    calls: list[ServiceCall],
) -> None:
    """Bob's triggers fire on his changes, after his entities show them."""
    bob = device_id(hass, ready, BOB)
    await _automate(hass, *(_on(bob, kind) for kind in sorted(CONTACT_TYPES)))
    sequence = (
        "online",
        "typing",
        "typing",
        "paused",
        "recording",
        "paused",
        "offline",
    )
    for presence in sequence:
        await waha.set_contact_presence(SESSION, BOB, presence)
        await settle(hass)
    await wait_for(hass, lambda: len(calls) == 6)
    # NOWEB reports a pause as online: still "stopped typing".
    assert [
        (c.data["type"], c.data["description"], c.data["presence"]) for c in calls
    ] == [
        ("came_online", "Bob came online", "online"),
        ("started_typing", "Bob started typing", "typing"),
        ("stopped_typing", "Bob stopped typing", "online"),
        ("started_recording", "Bob started recording", "recording"),
        ("stopped_recording", "Bob stopped recording", "online"),
        ("went_offline", "Bob went offline", "offline"),
    ]


async def test_group_trigger_names_the_member(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    calls: list[ServiceCall],
) -> None:
    """A member typing in Family fires the group's trigger, with their name."""
    family = device_id(hass, ready, FAMILY)
    await _automate(
        hass,
        _on(family, "member_started_typing"),
        _on(family, "member_started_recording"),
    )
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "typing")
    await wait_for(hass, lambda: len(calls) == 1)
    await waha.set_group_presence(SESSION, FAMILY, BOB, "recording")
    await wait_for(hass, lambda: len(calls) == 2)
    assert [(c.data["type"], c.data["name"], c.data["description"]) for c in calls] == [
        ("member_started_typing", "Carol", "Carol started typing in Family"),
        ("member_started_recording", "Bob", "Bob started recording in Family"),
    ]
