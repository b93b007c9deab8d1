"""Entity listeners: each change goes to the entities of its own chat, and no others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.helpers import entity_platform

from .const import DOMAIN
from .presence import ChatState, PresenceChange

# Chats whose entities are created in one turn of the event loop.
ADD_BATCH = 5
# Entities removed in one turn of the event loop when the entry unloads.
UNLOAD_BATCH = 100


@dataclass(slots=True)
class ChatUpdate:
    """The changes one WAHA event (or cache read, or fade) made to one chat."""

    changes: tuple[PresenceChange, ...]
    # One context per event: every state it changes shares it.
    context: Context


type ChatListener = Callable[[ChatUpdate | None], None]
type ChatAdder = Callable[[ChatState], None]


class EntityListeners:
    """The account's and each chat's entities, and the platforms that add them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        chats: dict[str, ChatState],
    ) -> None:
        """Start with no listener; `chats` is the tracker's live mapping."""
        self.hass = hass
        self.entry = entry
        self._chats = chats
        self._chat_listeners: dict[str, list[ChatListener]] = {}
        self._session_listeners: list[CALLBACK_TYPE] = []
        self._adders: list[ChatAdder] = []

    @callback
    def async_add_chat_listener(
        self, chat_id: str, listener: ChatListener
    ) -> CALLBACK_TYPE:
        """Call `listener` when the chat's presence or availability changes."""
        listeners = self._chat_listeners.setdefault(chat_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_session_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` when the session's status or presence changes."""
        self._session_listeners.append(listener)
        return lambda: self._session_listeners.remove(listener)

    @callback
    def async_add_chat_adder(self, adder: ChatAdder) -> None:
        """Register a platform callback that creates a chat's entities."""
        self._adders.append(adder)
        self.entry.async_create_task(
            self.hass,
            self._async_add_in_batches(adder, list(self._chats.values())),
            f"{DOMAIN} add entities",
        )

    async def _async_add_in_batches(
        self, adder: ChatAdder, chats: list[ChatState]
    ) -> None:
        """Add chats' entities a few at a time: Home Assistant keeps answering."""
        # Each add becomes a task, and tasks made together run in one turn of the
        # loop: a thousand chats at once would stall it for seconds.
        for start in range(0, len(chats), ADD_BATCH):
            if start:
                await asyncio.sleep(0)
            for chat in chats[start : start + ADD_BATCH]:
                if self._chats.get(chat.chat_id) is chat:
                    adder(chat)

    @callback
    def added(self, chats: list[ChatState]) -> None:
        """Create the entities of chats tracked at runtime."""
        for chat in chats:
            for adder in self._adders:
                adder(chat)

    @callback
    def removed(self, chat_id: str) -> None:
        """Forget the listeners of a chat no longer tracked."""
        self._chat_listeners.pop(chat_id, None)

    @callback
    def session_changed(self, availability_flipped: bool) -> None:
        """Write the account's entities, and every chat's when availability flipped."""
        for listener in list(self._session_listeners):
            listener()
        if availability_flipped:
            for chat_id in list(self._chat_listeners):
                self.refresh(chat_id)

    @callback
    def refresh(self, chat_id: str) -> None:
        """Rewrite a chat's entities under a context of their own."""
        for listener in list(self._chat_listeners.get(chat_id, ())):
            listener(None)

    @callback
    def send(self, chat_id: str, update: ChatUpdate) -> None:
        """Hand one update to the entities of its chat."""
        for listener in list(self._chat_listeners.get(chat_id, ())):
            listener(update)


async def async_remove_entities_in_batches(
    hass: HomeAssistant, domain: str, entry: ConfigEntry[Any]
) -> None:
    """Remove an entry's entities `UNLOAD_BATCH` a turn of the event loop."""
    # Home Assistant removes a platform's entities in one turn of the event loop when
    # it unloads the platform: thousands would stall it.
    removed = 0
    for platform in entity_platform.async_get_platforms(hass, domain):
        if platform.config_entry is not entry:
            continue
        for entity_id in list(platform.entities):
            if removed and removed % UNLOAD_BATCH == 0:
                await asyncio.sleep(0)
            await platform.async_remove_entity(entity_id)
            removed += 1
