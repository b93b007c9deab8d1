"""Sensors: session status, and presence, last seen and group activity of chats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import WahaConfigEntry, WahaCoordinator
from .entity import WahaChatEntity, WahaEntity
from .freshness import MAX_AHEAD_MS
from .models import CHAT_STATES, PresenceStatus, SessionStatus
from .presence import ChatState, PresenceChange

PARALLEL_UPDATES = 0

KNOWN_STATUSES = [
    status.value.lower()
    for status in SessionStatus
    if status is not SessionStatus.UNKNOWN
]


@dataclass(frozen=True, kw_only=True)
class WahaSessionSensorDescription(SensorEntityDescription):
    """Describes a sensor of the account device."""

    value_fn: Callable[[WahaCoordinator], str | None]
    attributes_fn: Callable[[WahaCoordinator], dict[str, Any]] = lambda _: {}


@dataclass(frozen=True, kw_only=True)
class WahaChatSensorDescription(SensorEntityDescription):
    """Describes a sensor of a tracked chat."""

    value_fn: Callable[[ChatState], str | int | datetime | None]
    attributes_fn: Callable[[WahaCoordinator, ChatState], dict[str, Any]] = (
        lambda _c, _s: {}
    )
    # The chat's profile picture shows on this entity (one per chat).
    shows_picture: bool = False


def _session_status(coordinator: WahaCoordinator) -> str | None:
    status = coordinator.monitor.status
    return None if status is SessionStatus.UNKNOWN else status.value.lower()


def _session_attributes(coordinator: WahaCoordinator) -> dict[str, Any]:
    """Return WAHA's own status and how events reach us (as of the last write)."""
    watch = coordinator.monitor.delivery
    return {
        "raw_status": coordinator.monitor.raw_status,
        "delivery": coordinator.delivery,
        "last_event": (
            dt_util.utc_from_timestamp(watch.last_event) if watch.last_event else None
        ),
        "delivery_in_doubt": watch.in_doubt,
    }


SESSION_STATUS = WahaSessionSensorDescription(
    key="session_status",
    translation_key="session_status",
    device_class=SensorDeviceClass.ENUM,
    options=KNOWN_STATUSES,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=_session_status,
    attributes_fn=_session_attributes,
)

CONTACT_PRESENCE = WahaChatSensorDescription(
    key="presence",
    translation_key="presence",
    device_class=SensorDeviceClass.ENUM,
    options=[presence.value for presence in PresenceStatus],
    shows_picture=True,
    value_fn=lambda chat: str(chat.contact.presence) if chat.contact.presence else None,
)

LAST_SEEN = WahaChatSensorDescription(
    key="last_seen",
    translation_key="last_seen",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda chat: chat.contact.last_seen,
)


def _group_activity(coordinator: WahaCoordinator, chat: ChatState) -> dict[str, Any]:
    return {
        str(presence): [
            coordinator.display_name(member) for member in chat.members_with(presence)
        ]
        for presence in PresenceStatus
        if presence.is_chat_state
    }


# A unitless count: a graph in the history, and (like any measurement) no logbook lines.
GROUP_ACTIVE = WahaChatSensorDescription(
    key="active_members",
    translation_key="active_members",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda chat: sum(
        len(chat.members_with(presence)) for presence in CHAT_STATES
    ),
    attributes_fn=_group_activity,
    shows_picture=True,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WahaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the session sensor now and chat sensors as chats are tracked."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([WahaSessionSensor(coordinator, SESSION_STATUS)])

    @callback
    def add_chat(chat: ChatState) -> None:
        entities: list[SensorEntity]
        if chat.is_group:
            entities = [WahaGroupSensor(coordinator, chat, GROUP_ACTIVE)]
        else:
            entities = [
                WahaChatSensor(coordinator, chat, CONTACT_PRESENCE),
                WahaLastSeenSensor(coordinator, chat, LAST_SEEN),
            ]
        async_add_entities(entities, config_subentry_id=chat.subentry_id)

    coordinator.listeners.async_add_chat_adder(add_chat)


class WahaSessionSensor(WahaEntity, SensorEntity):
    """A sensor of the account device."""

    entity_description: WahaSessionSensorDescription
    # It moves with every event seen by the minute's check: no history row for that.
    _unrecorded_attributes = frozenset({"last_event"})

    @property
    def native_value(self) -> str | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return extra attributes."""
        return self.entity_description.attributes_fn(self.coordinator)


class WahaChatSensor(WahaChatEntity, SensorEntity):
    """A sensor of a tracked chat."""

    entity_description: WahaChatSensorDescription

    @property
    def native_value(self) -> str | int | datetime | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.chat)

    async def async_added_to_hass(self) -> None:
        """Follow the chat's presence, and its picture when this entity shows it."""
        await super().async_added_to_hass()
        if self.entity_description.shows_picture:
            # The one entity of the chat that shows its picture; an `_attr_`, which
            # HA reads without a call, set whenever the picture changes.
            self._attr_entity_picture = self.chat.picture
            self.async_on_remove(
                self.coordinator.pictures.async_add_listener(
                    self.chat.chat_id, self._async_picture_changed
                )
            )

    @callback
    def _async_picture_changed(self) -> None:
        """Show the chat's new picture."""
        self._attr_entity_picture = self.chat.picture
        self._async_write_availability()


class WahaGroupSensor(WahaChatSensor):
    """A sensor of a tracked group, with who does what as attributes."""

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return extra attributes, if the description has any."""
        return (
            self.entity_description.attributes_fn(self.coordinator, self.chat) or None
        )


class WahaLastSeenSensor(WahaChatSensor, RestoreSensor):
    """Last seen, kept across Home Assistant restarts."""

    def _wants(self, change: PresenceChange) -> bool:
        return change.last_seen_changed

    async def async_added_to_hass(self) -> None:
        """Restore the last known value when nothing newer is known."""
        await super().async_added_to_hass()
        if self.chat.contact.last_seen is not None:
            return
        if (data := await self.async_get_last_sensor_data()) is None:
            return
        ahead = dt_util.utcnow() + timedelta(milliseconds=MAX_AHEAD_MS)
        # A time from the future was never seen: don't restore it.
        if isinstance(data.native_value, datetime) and data.native_value <= ahead:
            self.chat.contact.last_seen = data.native_value
