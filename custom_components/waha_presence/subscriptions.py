"""Subscription upkeep: ask WhatsApp for tracked chats' presence, and read it once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import WahaClient
from .const import DOMAIN, INITIAL_READ_CONCURRENCY, LOGGER
from .engines import lists_all_presences
from .exceptions import (
    WahaConnectionError,
    WahaError,
    WahaNotSupportedError,
    WahaResponseError,
    WahaSessionNotReadyError,
)
from .lids import LidDirectory
from .models import ChatPresences
from .presence import ChatState, PresenceTracker
from .session import SessionMonitor

# A failed subscribe is tried again after 5 s, 10 s, 20 s … and then every 2
# minutes, well within the default renewal interval (10 min). No jitter: one
# client asks one WAHA about a few ids, each id keeps its own schedule, and
# fixed times keep the schedule testable.
RETRY_FIRST_SECONDS = 5.0
RETRY_MAX_SECONDS = 120.0
# What another try may cure: no answer in time, a 5xx, a session not WORKING
# yet. A 400, 404 or 501 would be refused the same way again.
RETRYABLE = (WahaConnectionError, WahaResponseError, WahaSessionNotReadyError)


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
        on_learned: Callable[[list[ChatState]], None],
    ) -> None:
        """Keep what upkeep needs; `on_read` gets each presence WAHA had cached."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.session_name = monitor.session_name
        self.tracker = tracker
        self.monitor = monitor
        self._on_read = on_read
        # Told which contacts tracked by LID learned their number from WAHA's list.
        self._on_learned = on_learned
        self.lids = LidDirectory(
            client,
            self.session_name,
            tracker,
            clock=lambda: dt_util.utcnow().timestamp(),
        )
        self._lock = asyncio.Lock()
        self._synced_epoch: int | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None
        # Ids whose subscribe failed: tries so far, and the timer of the next.
        self._tries: dict[str, int] = {}
        self._retries: dict[str, CALLBACK_TYPE] = {}

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
        """Stop renewing and retrying."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        for chat_id in list(self._retries):
            self._drop_retry(chat_id)

    @callback
    def async_forget(self, chat: ChatState) -> None:
        """Stop retrying a chat that is no longer tracked."""
        for chat_id in filter(None, (chat.chat_id, chat.alias)):
            self._drop_retry(chat_id)

    @callback
    def async_schedule(
        self,
        *,
        read_state: bool,
        only: list[ChatState] | None = None,
        again: bool = False,
    ) -> None:
        """
        Subscribe (and optionally read) chats in the background.

        A full pass with a read runs once per availability epoch, unless `again`.
        """
        if again:
            self._synced_epoch = None
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
        if only is None:
            chats = list(self.tracker.chats.values())
        else:
            # Chats just tracked: their LIDs may be in the list already.
            chats = only
            self.lids.forget()
        async with self._lock:
            epoch = self.monitor.epoch
            if only is None and read_state:
                if epoch == self._synced_epoch:
                    # Setup and WAHA's WORKING both ask: once per epoch is enough.
                    return
                self._synced_epoch = epoch
            await self._async_learn_lids(chats)
            await self._bounded(self._async_subscribe, chats)
            if not read_state:
                return
            try:
                await self._async_read_state(chats)
            except WahaError as err:
                LOGGER.debug("Presence read for %s stopped: %s", self.session_name, err)

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

    async def _async_subscribe(self, chat: ChatState) -> None:
        # Each id on its own: the phone id timing out must not cost the LID.
        for chat_id in filter(None, (chat.chat_id, chat.alias)):
            await self._async_subscribe_id(chat_id)

    async def _async_subscribe_id(self, chat_id: str) -> None:
        try:
            await self.client.subscribe_presence(self.session_name, chat_id)
        except RETRYABLE as err:
            LOGGER.debug("Subscribing to %s failed, trying again: %s", chat_id, err)
            self._schedule_retry(chat_id)
        except WahaError as err:
            LOGGER.debug("Subscribing to %s failed: %s", chat_id, err)
            self._drop_retry(chat_id)
        else:
            self._drop_retry(chat_id)

    # Retries -------------------------------------------------------------------------

    @callback
    def _schedule_retry(self, chat_id: str) -> None:
        """Try one id again later, each time after twice the wait."""
        if chat_id in self._retries or self.tracker.tracked_chat_id(chat_id) is None:
            return
        tries = self._tries.get(chat_id, 0)
        self._tries[chat_id] = tries + 1
        job = HassJob(
            partial(self._async_retry_due, chat_id),
            f"{DOMAIN} subscribe retry",
            cancel_on_shutdown=True,
        )
        # Home Assistant's stop cancels a timer whose first argument is such a job,
        # which async_call_later's timers never have.
        self._retries[chat_id] = self.hass.loop.call_later(
            min(RETRY_FIRST_SECONDS * 2**tries, RETRY_MAX_SECONDS),
            self.hass.async_run_hass_job,
            job,
        ).cancel

    @callback
    def _drop_retry(self, chat_id: str) -> None:
        self._tries.pop(chat_id, None)
        if cancel := self._retries.pop(chat_id, None):
            cancel()

    @callback
    def _async_retry_due(self, chat_id: str) -> None:
        self._retries.pop(chat_id, None)
        if not self.monitor.available or self.tracker.tracked_chat_id(chat_id) is None:
            # Back to WORKING subscribes every chat; an untracked one needs none.
            self._tries.pop(chat_id, None)
            return
        self.entry.async_create_background_task(
            self.hass,
            self._async_retry(chat_id),
            f"{DOMAIN} subscribe retry {self.session_name}",
        )

    async def _async_retry(self, chat_id: str) -> None:
        chat = self.tracker.chats.get(chat_id)
        if chat is None or chat.alias or chat.is_group:
            await self._async_subscribe_id(chat_id)
            return
        # The pass that failed may not have learned the contact's LID either.
        await self._async_learn_lids([chat])
        await self._async_subscribe(chat)

    async def _async_learn_lids(self, chats: list[ChatState]) -> None:
        if numbered := await self.lids.async_learn(chats):
            self._on_learned(numbered)

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
