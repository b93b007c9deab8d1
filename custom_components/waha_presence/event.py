"""Event entity: a tracked chat's presence changes, as they happen."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import WahaConfigEntry
from .entity import WahaChatEntity
from .listeners import ChatUpdate
from .models import PresenceStatus
from .presence import ChatState

PARALLEL_UPDATES = 0

# Disabled by default: device triggers and the logbook's sentences cover what they
# tell, and Home Assistant has no other way to keep an event entity out of the logbook.
ACTIVITY = EventEntityDescription(
    key="activity",
    translation_key="activity",
    event_types=[presence.value for presence in PresenceStatus],
    entity_registry_enabled_default=False,
)
GROUP_ACTIVITY = EventEntityDescription(
    key="activity",
    translation_key="group_activity",
    event_types=[presence.value for presence in PresenceStatus],
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WahaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an activity event entity for every tracked chat."""
    coordinator = entry.runtime_data.coordinator

    @callback
    def add_chat(chat: ChatState) -> None:
        description = GROUP_ACTIVITY if chat.is_group else ACTIVITY
        async_add_entities(
            [WahaActivityEvent(coordinator, chat, description)],
            config_subentry_id=chat.subentry_id,
        )

    coordinator.listeners.async_add_chat_adder(add_chat)


class WahaActivityEvent(WahaChatEntity, EventEntity):
    """Fires online, offline, typing, recording or paused when it changes."""

    @callback
    def _async_handle_change(self, update: ChatUpdate | None) -> None:
        if update is None:
            self._async_write_availability()
            return
        for change in update.changes:
            if not (change.live and change.presence_changed):
                continue
            data: dict[str, str | None] = {
                "previous": str(change.previous) if change.previous else None
            }
            if self.chat.is_group:
                data["participant"] = change.participant
                data["name"] = self.coordinator.display_name(change.participant)
            # One write per fired event: each must reach the state machine.
            self._trigger_event(str(change.presence), data)
            self._async_write_change(update)
