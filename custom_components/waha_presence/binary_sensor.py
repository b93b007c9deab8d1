"""Binary sensor: is a tracked contact online."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import WahaConfigEntry
from .entity import WahaChatEntity
from .presence import ChatState, PresenceChange

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class WahaBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor of a tracked chat."""

    value_fn: Callable[[ChatState], bool | None]


ONLINE = WahaBinarySensorDescription(
    key="online",
    translation_key="online",
    value_fn=lambda chat: (
        chat.contact.presence.is_active if chat.contact.presence else None
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WahaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an online sensor for every tracked contact."""
    coordinator = entry.runtime_data.coordinator

    @callback
    def add_chat(chat: ChatState) -> None:
        if not chat.is_group:
            async_add_entities(
                [WahaBinarySensor(coordinator, chat, ONLINE)],
                config_subentry_id=chat.subentry_id,
            )

    coordinator.listeners.async_add_chat_adder(add_chat)


class WahaBinarySensor(WahaChatEntity, BinarySensorEntity):
    """A binary sensor of a tracked chat."""

    entity_description: WahaBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Return True while the contact is in WhatsApp."""
        return self.entity_description.value_fn(self.chat)

    def _wants(self, change: PresenceChange) -> bool:
        return change.activity_changed
