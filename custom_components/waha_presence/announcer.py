"""The bus event: one per presence change, for the logbook and device triggers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, ATTR_NAME
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .activity import activity_of
from .api import WahaClient
from .const import (
    ATTR_ACTIVITY,
    ATTR_CHAT_ID,
    ATTR_GROUP,
    ATTR_PARTICIPANT,
    ATTR_PRESENCE,
    ATTR_PREVIOUS,
    DOMAIN,
    EVENT_PRESENCE_CHANGED,
    LOGGER,
)
from .entity import chat_device_identifier
from .exceptions import WahaError
from .presence import ChatState, PresenceChange, PresenceTracker

type Pending = tuple[ChatState, PresenceChange, Context]

NAME_KEYS = ("name", "pushname", "shortName", "verifiedName")


async def async_contact_name(
    client: WahaClient, session: str, participant: str
) -> str | None:
    """Return WAHA's name for a person, or None when it has none to give."""
    try:
        contact = await client.get_contact(session, participant)
    except WahaError as err:
        LOGGER.debug("No name for %s: %s", participant, err)
        return None
    for key in NAME_KEYS:
        if contact and isinstance(value := contact.get(key), str) and value:
            return value
    return None


class PresenceAnnouncer:
    """Fires `waha_presence_presence_changed` for each change a person would notice."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        account_id: str,
        tracker: PresenceTracker,
        look_up_name: Callable[[str], Awaitable[str | None]],
        on_named: Callable[[str], None],
    ) -> None:
        """Announce the changes of one account's chats."""
        self.hass = hass
        self.entry = entry
        self.account_id = account_id
        self.tracker = tracker
        self._look_up_name = look_up_name
        self._on_named = on_named
        self._device_ids: dict[str, str] = {}
        # Group members whose name WAHA was asked for, and what waits for it.
        self._asked: set[str] = set()
        self._waiting: dict[str, list[Pending]] = {}

    @callback
    def announce(
        self, chat: ChatState, changes: tuple[PresenceChange, ...], context: Context
    ) -> None:
        """Fire one event per live change, under the context of its WAHA event."""
        for change in changes:
            # The same changes the activity entity fires on: not cache reads, not
            # a repeated typing that only refreshes the indicator.
            if not (change.live and change.presence_changed):
                continue
            participant = change.participant
            if participant in self._waiting:
                self._waiting[participant].append((chat, change, context))
            elif chat.is_group and not self._named(participant):
                # Said once with a name beats said at once with a number.
                self._waiting[participant] = [(chat, change, context)]
                self._asked.add(participant)
                self.entry.async_create_background_task(
                    self.hass,
                    self._async_name_then_fire(participant),
                    f"{DOMAIN} name of {participant}",
                )
            else:
                self._fire(chat, change, context)

    @callback
    def forget(self, chat_id: str) -> None:
        """Drop what is known of a chat no longer tracked."""
        self._device_ids.pop(chat_id, None)

    def _named(self, participant: str) -> bool:
        return self.tracker.knows_name(participant) or participant in self._asked

    async def _async_name_then_fire(self, participant: str) -> None:
        """Ask WAHA for a group member's name, then fire what waited for it."""
        try:
            if name := await self._look_up_name(participant):
                self.tracker.contact_names[participant] = name
        finally:
            waiting = self._waiting.pop(participant, [])
        groups = {chat.chat_id for chat, _, _ in waiting}
        for chat_id in sorted(groups & set(self.tracker.chats)):
            if participant in self.tracker.contact_names:
                # Their group's entities name them from now on: show it at once.
                self._on_named(chat_id)
        for chat, change, context in waiting:
            if chat.chat_id in self.tracker.chats:
                self._fire(chat, change, context)

    @callback
    def _fire(self, chat: ChatState, change: PresenceChange, context: Context) -> None:
        self.hass.bus.async_fire(
            EVENT_PRESENCE_CHANGED, self._data(chat, change), context=context
        )

    def _data(self, chat: ChatState, change: PresenceChange) -> dict[str, Any]:
        participant = change.participant
        data: dict[str, Any] = {
            ATTR_DEVICE_ID: self._device_id(chat.chat_id),
            ATTR_CHAT_ID: chat.chat_id,
            ATTR_PARTICIPANT: participant,
            ATTR_NAME: (
                self.tracker.display_name(participant) if chat.is_group else chat.name
            ),
            # str() of a StrEnum is its plain value, without `.value`'s slow descriptor.
            ATTR_PRESENCE: str(change.presence),
            ATTR_PREVIOUS: str(change.previous) if change.previous else None,
            ATTR_ACTIVITY: str(activity_of(change.previous, change.presence)),
        }
        if chat.is_group:
            data[ATTR_GROUP] = chat.name
        return data

    def _device_id(self, chat_id: str) -> str | None:
        """Return the chat's device id; None before its entities made the device."""
        if (known := self._device_ids.get(chat_id)) is not None:
            return known
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            chat_device_identifier(self.account_id, chat_id), self.entry.entry_id
        )
        if device is None:
            return None
        self._device_ids[chat_id] = device.id
        return device.id
