"""
The scale benchmark's floor: Home Assistant's own entities, and none of our code.

`bench_floor`, a bare integration put into the loader as tests do, has a config entry
that gives each chat what ours gives a contact: a config subentry, a device (linked to
an account device) and four entities of Home Assistant's own classes with unique ids
on it: an enum sensor with our five presences, a binary sensor, a timestamp sensor
that restores its state (ours is a `RestoreSensor` too) and an event entity with our
five event types, disabled by default as ours is. Each enabled entity writes its state
once, when added; the event entity gets its registry entry and no state, as ours.
They are added as ours are, a task per platform and `ADD_BATCH` chats per turn of the
loop, and unloaded as ours are, through our own batch removal: the one piece of our
code it runs, a way of driving Home Assistant's platforms and no part of ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from custom_components.waha_presence.listeners import (
    ADD_BATCH,
    async_remove_entities_in_batches,
)
from custom_components.waha_presence.models import PresenceStatus
from homeassistant import config_entries
from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.config_entries import ConfigEntry, ConfigSubentryData
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_platform
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

DOMAIN = "bench_floor"
PLATFORMS = [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT]
PRESENCES = [presence.value for presence in PresenceStatus]
# Entities with a state per chat: the event entity is disabled, as ours.
STATES_PER_CHAT = 3

PRESENCE = SensorEntityDescription(
    key="presence",
    name="Presence",
    device_class=SensorDeviceClass.ENUM,
    options=PRESENCES,
)
LAST_SEEN = SensorEntityDescription(
    key="last_seen", name="Last seen", device_class=SensorDeviceClass.TIMESTAMP
)
ONLINE = BinarySensorEntityDescription(key="online", name="Online")
ACTIVITY = EventEntityDescription(
    key="activity",
    name="Activity",
    event_types=PRESENCES,
    entity_registry_enabled_default=False,
)

type Kind = tuple[Callable[[], Entity], EntityDescription]
KINDS: dict[Platform, list[Kind]] = {
    Platform.SENSOR: [(SensorEntity, PRESENCE), (RestoreSensor, LAST_SEEN)],
    Platform.BINARY_SENSOR: [(BinarySensorEntity, ONLINE)],
    Platform.EVENT: [(EventEntity, ACTIVITY)],
}


def chat_entities(
    platform: Platform, entry: ConfigEntry[Any], chat: str, name: str
) -> list[Entity]:
    """Return the platform's entities of one chat, on the chat's device."""
    account = entry.data["account"]
    number = chat.split("@", 1)[0]
    device = DeviceInfo(
        identifiers={(DOMAIN, f"{account}_{chat}")},
        name=name,
        manufacturer="WhatsApp",
        model="Contact",
        via_device_id=entry.runtime_data,
        serial_number=f"+{number}",
        configuration_url=f"https://wa.me/{number}",
    )
    entities = []
    for make, description in KINDS[platform]:
        entity = make()
        entity.entity_description = description
        entity._attr_has_entity_name = True  # noqa: SLF001
        entity._attr_should_poll = False  # noqa: SLF001
        entity._attr_unique_id = f"{account}_{chat}_{description.key}"  # noqa: SLF001
        entity._attr_device_info = device  # noqa: SLF001
        entities.append(entity)
    return entities


async def _async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Register the account device, then set up the platforms."""
    # The account first: chat devices name it as their via device, as ours do.
    entry.runtime_data = (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.data["account"])},
            name="WhatsApp account",
            manufacturer="WhatsApp",
        )
        .id
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Take the entities away in batches, with our helper; unload the platforms."""
    # Home Assistant alone removes a platform's entities in one turn: at 2,000 chats
    # a stall of its own, outside the collector, that ours does not have.
    await async_remove_entities_in_batches(hass, DOMAIN, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


def _platform_setup(platform: Platform) -> Any:
    """Return a platform's `async_setup_entry`: add its entities in batches."""

    async def setup(
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async def add_in_batches() -> None:
            chats = list(entry.subentries.values())
            for start in range(0, len(chats), ADD_BATCH):
                if start:
                    await asyncio.sleep(0)
                for chat in chats[start : start + ADD_BATCH]:
                    entities = chat_entities(
                        platform, entry, chat.data["chat_id"], chat.title
                    )
                    async_add_entities(entities, config_subentry_id=chat.subentry_id)

        entry.async_create_task(hass, add_in_batches(), f"{DOMAIN} add entities")

    return setup


class FloorFlow(config_entries.ConfigFlow):
    """The bare integration's config flow: only its version is read."""

    VERSION = 1


def install(hass: HomeAssistant) -> None:
    """Put the bare integration and its platforms into the loader."""
    # Imported after Home Assistant, which puts its voluptuous in place first.
    from pytest_homeassistant_custom_component.common import (
        MockModule,
        MockPlatform,
        mock_integration,
        mock_platform,
    )

    mock_integration(
        hass,
        MockModule(
            DOMAIN,
            async_setup_entry=_async_setup_entry,
            async_unload_entry=_async_unload_entry,
        ),
    )
    # Home Assistant imports the config flow and asks its version before setup.
    mock_platform(hass, f"{DOMAIN}.config_flow")
    config_entries.HANDLERS[DOMAIN] = FloorFlow
    for platform in PLATFORMS:
        mock_platform(
            hass,
            f"{DOMAIN}.{platform}",
            MockPlatform(async_setup_entry=_platform_setup(platform)),
        )


def add_chat_entry(
    hass: HomeAssistant,
    *,
    domain: str,
    title: str,
    unique_id: str,
    data: dict[str, Any],
    chats: list[str],
    subentry_type: str,
    chat_data: Callable[[int, str], dict[str, Any]],
) -> ConfigEntry[Any]:
    """Add (not set up) an entry with a subentry per chat, `chat_data(n, chat)` each."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    entry = MockConfigEntry(
        domain=domain,
        title=title,
        unique_id=unique_id,
        data=data,
        subentries_data=[
            ConfigSubentryData(
                data=chat_data(n, chat),
                subentry_type=subentry_type,
                title=f"Chat {n}",
                unique_id=chat,
            )
            for n, chat in enumerate(chats)
        ],
    )
    entry.add_to_hass(hass)
    added: ConfigEntry[Any] = entry
    return added


def add_entry(hass: HomeAssistant, account: str, chats: list[str]) -> ConfigEntry[Any]:
    """Add (not set up) the floor's entry with a subentry per chat, as ours has."""
    return add_chat_entry(
        hass,
        domain=DOMAIN,
        title=account,
        unique_id=account,
        data={"account": account},
        chats=chats,
        subentry_type="chat",
        chat_data=lambda _n, chat: {"chat_id": chat},
    )


def shown(hass: HomeAssistant) -> int:
    """Return how many of the floor's entities are in Home Assistant now."""
    return sum(
        len(platform.entities)
        for platform in entity_platform.async_get_platforms(hass, DOMAIN)
    )
