"""Subscription upkeep: ask WhatsApp for tracked chats' presence, and read it once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .api import WahaClient
from .const import DOMAIN, INITIAL_READ_CONCURRENCY, LOGGER
from .engines import lists_all_presences
from .exceptions import WahaConnectionError, WahaError, WahaNotSupportedError
from .models import ChatPresences
from .presence import ChatState, PresenceTracker
from .session import SessionMonitor


class SubscriptionKeeper:
    """Keeps WAHA subscribed to every tracked chat, under both of a contact's ids."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: WahaClient,
        tracker: PresenceTracker,
        monitor: SessionMonitor,
        on_read: Callable[[ChatPresences], None],
    ) -> None:
        """Keep what upkeep needs; `on_read` gets each presence WAHA had cached."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.session_name = monitor.session_name
        self.tracker = tracker
        self.monitor = monitor
        self._on_read = on_read
        self._lock = asyncio.Lock()
        self._unsub_timer: CALLBACK_TYPE | None = None

    @callback
    def async_start(self, interval: timedelta) -> None:
        """Renew every subscription each `interval`: WAHA forgets them on restarts."""
        self._unsub_timer = async_track_time_interval(
            self.hass,
            self._async_renew,
            interval,
            name=f"{DOMAIN} resubscribe",
            cancel_on_shutdown=True,
        )

    @callback
    def async_stop(self) -> None:
        """Stop renewing."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def async_schedule(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        """Subscribe (and optionally read) chats in the background."""
        self.entry.async_create_background_task(
            self.hass,
            self._async_sync(read_state=read_state, only=only),
            f"{DOMAIN} subscribe {self.session_name}",
        )

    @callback
    def _async_renew(self, _now: datetime) -> None:
        self.async_schedule(read_state=False)

    async def _async_sync(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        if not self.monitor.available:
            return
        chats = list(self.tracker.chats.values()) if only is None else only
        async with self._lock:
            try:
                await self._async_resolve_aliases(chats)
                await self._bounded(self._async_subscribe, chats)
                if read_state:
                    await self._async_read_state(chats)
            except WahaError as err:
                LOGGER.debug(
                    "Presence upkeep for %s stopped: %s", self.session_name, err
                )

    async def _bounded(
        self,
        func: Callable[[ChatState], Coroutine[Any, Any, None]],
        chats: list[ChatState],
    ) -> None:
        semaphore = asyncio.Semaphore(INITIAL_READ_CONCURRENCY)

        async def run(chat: ChatState) -> None:
            async with semaphore:
                try:
                    await func(chat)
                except WahaError as err:
                    # One chat WAHA refuses must not stop the others.
                    LOGGER.debug("Presence upkeep of %s failed: %s", chat.chat_id, err)

        await asyncio.gather(*(run(chat) for chat in chats))

    async def _async_resolve_aliases(self, chats: list[ChatState]) -> None:
        """Learn each contact's other id: WAHA reports either in events."""
        for chat in chats:
            if chat.alias or chat.is_group:
                continue
            try:
                alias = await self.client.other_id(self.session_name, chat.chat_id)
            except WahaConnectionError:
                raise
            except WahaError as err:
                LOGGER.debug("No other id for %s: %s", chat.chat_id, err)
                continue
            if alias:
                self.tracker.learn_alias(chat.chat_id, alias)

    async def _async_subscribe(self, chat: ChatState) -> None:
        for chat_id in filter(None, (chat.chat_id, chat.alias)):
            try:
                await self.client.subscribe_presence(self.session_name, chat_id)
            except WahaConnectionError:
                raise
            except WahaError as err:
                LOGGER.debug("Subscribing to %s failed: %s", chat_id, err)

    async def _async_read_state(self, chats: list[ChatState]) -> None:
        if lists_all_presences(self.monitor.engine):
            try:
                reports = await self.client.get_all_presences(self.session_name)
            except WahaNotSupportedError:
                reports = None
            if reports is not None:
                for report in reports:
                    self._on_read(report)
                return

        async def read(chat: ChatState) -> None:
            # Engines cache a contact under the id WhatsApp used: try both.
            for chat_id in filter(None, (chat.chat_id, chat.alias)):
                report = await self.client.get_presence(self.session_name, chat_id)
                if any(entry.presence for entry in report.presences):
                    self._on_read(report)
                    return

        await self._bounded(read, chats)
