"""Wiring of one entry: tracked chats, subscriptions, and routing changes to entities."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Context, HomeAssistant, callback

from .announcer import PresenceAnnouncer, async_contact_name
from .api import WahaClient
from .const import (
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    CONF_DELIVERY,
    CONF_SHOW_PICTURES,
    DEFAULT_SHOW_PICTURES,
    DOMAIN,
    LOGGER,
    SUBENTRY_CHAT,
)
from .entity import async_show_learned_numbers
from .exceptions import (
    WahaConnectionError,
    WahaError,
    WahaResponseError,
    WahaSessionNotReadyError,
)
from .fades import FadeTimers
from .freshness import FreshnessGate, without_future_last_seen
from .listeners import ChatUpdate, EntityListeners
from .models import (
    ChatPresences,
    PresenceEvent,
    StatusEvent,
    WahaEvent,
)
from .ordering_store import OrderingStore, now_ms
from .pictures import PictureKeeper
from .presence import Applied, ChatState, PresenceChange, PresenceTracker
from .session import SessionMonitor
from .subscriptions import SubscriptionKeeper

if TYPE_CHECKING:
    from .webhook import WahaWebhook
    from .websocket import WahaWebSocket


@dataclass(slots=True)
class WahaRuntimeData:
    """Everything one loaded entry needs at runtime."""

    client: WahaClient
    coordinator: WahaCoordinator
    webhook: WahaWebhook | None
    websocket: WahaWebSocket | None
    # The entry data this setup used: a change to it (reauth, reconfigure) reloads.
    data: dict[str, Any] = field(default_factory=dict)
    typing_stops: dict[str, asyncio.Task[None]] = field(default_factory=dict)


type WahaConfigEntry = ConfigEntry[WahaRuntimeData]


class WahaCoordinator:
    """Connects one WAHA session to the tracker, the monitor and the entities."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: WahaConfigEntry,
        client: WahaClient,
        session_name: str,
        account_id: str,
        resubscribe_interval: timedelta,
        webhook: dict[str, Any] | None,
    ) -> None:
        """Set up empty state; call `async_initialize` next."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.session_name = session_name
        self.account_id = account_id
        self.resubscribe_interval = resubscribe_interval
        self.account_device_id = ""
        self.tracker = PresenceTracker()
        self.listeners = EntityListeners(hass, entry, self.tracker.chats)
        self.monitor = SessionMonitor(
            hass,
            entry,
            client,
            session_name,
            webhook_id=entry.data[CONF_WEBHOOK_ID],
            webhook=webhook,
            on_change=self.listeners.session_changed,
            on_available=self._available_again,
        )
        self.subscriptions = SubscriptionKeeper(
            hass,
            entry,
            client,
            self.tracker,
            self.monitor,
            on_read=lambda report: self._apply(report, None),
            on_learned=lambda chats: async_show_learned_numbers(
                hass, account_id, chats
            ),
        )
        self.announcer = PresenceAnnouncer(
            hass,
            entry,
            account_id,
            self.tracker,
            lambda participant: async_contact_name(client, session_name, participant),
            on_named=self.listeners.refresh,
        )
        self.pictures = PictureKeeper(
            hass,
            entry,
            client,
            session_name,
            self.tracker.chats,
            enabled=entry.options.get(CONF_SHOW_PICTURES, DEFAULT_SHOW_PICTURES),
        )
        self.ordering = OrderingStore(hass, entry.entry_id, self.tracker, self.monitor)
        self._gate = FreshnessGate()
        self.fades = FadeTimers(hass.loop, self._fade)

    # What entities read ------------------------------------------------------------

    @property
    def chats(self) -> dict[str, ChatState]:
        """Return the tracked chats by id."""
        return self.tracker.chats

    @property
    def available(self) -> bool:
        """Return True while WAHA answers and the session is WORKING."""
        return self.monitor.available

    @property
    def delivery(self) -> str:
        """Return how events come: `webhook` or `websocket`."""
        return str(self.entry.data[CONF_DELIVERY])

    def tracked_chat_id(self, chat_id: str) -> str | None:
        """Return the id of the tracked chat that `chat_id` is, under either id."""
        return self.tracker.tracked_chat_id(chat_id)

    def display_name(self, participant: str) -> str:
        """Return a tracked contact's name, or the id's user part."""
        return self.tracker.display_name(participant)

    # Lifecycle -----------------------------------------------------------------------

    async def async_initialize(self) -> None:
        """Read the session once and mirror the subentries; errors go to setup."""
        await self.monitor.async_initialize()
        self.async_sync_chats()

    async def async_ensure_config(self) -> None:
        """Put our delivery into the session config when it is missing."""
        await self.monitor.async_ensure_config()

    @callback
    def async_start(self, *, subscribe: bool) -> None:
        """Start subscription upkeep and the session watchdog."""
        self.subscriptions.async_start(self.resubscribe_interval)
        self.monitor.async_start()
        self.pictures.async_start()
        if subscribe:
            self.async_schedule_sync(read_state=True)

    @callback
    def async_shutdown(self) -> None:
        """Stop timers and drop our repairs; background tasks end with the entry."""
        self.subscriptions.async_stop()
        self.fades.cancel()
        self.pictures.async_stop()
        self.monitor.async_shutdown()

    async def async_refresh_session(self) -> None:
        """Re-read the session now (after an action)."""
        await self.monitor.async_poll()

    async def async_resync(self) -> None:
        """Catch up after a (re)connect: read the session, then subscribe once."""
        await self.monitor.async_poll(reconnected=True)
        self.subscriptions.async_schedule(read_state=True, again=True)

    async def async_key_refused(self) -> bool:
        """Check the API key after WAHA refused the WebSocket; True when it is wrong."""
        await self.monitor.async_poll()
        return self.monitor.key_refused

    @callback
    def async_set_events_flowing(self, flowing: bool) -> None:
        """Record whether the event stream (WebSocket) is connected."""
        self.monitor.set_events_flowing(flowing)

    @callback
    def _available_again(self) -> None:
        """Catch up once the session works again: subscriptions, then pictures."""
        self.async_schedule_sync(read_state=True)
        self.pictures.async_retry_failed()

    # Tracked chats -------------------------------------------------------------------

    @callback
    def async_sync_chats(self) -> list[ChatState]:
        """Mirror the entry's chat subentries; return the chats that are new."""
        wanted = {
            subentry.data[CONF_CHAT_ID]: subentry
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_CHAT
        }
        for chat_id in set(self.chats) - set(wanted):
            self.subscriptions.async_forget(self.chats[chat_id])
            self.tracker.untrack(chat_id)
            self.announcer.forget(chat_id)
            self.listeners.removed(chat_id)
            # A fade still pending would reach the chat's next entities if re-added.
            self.fades.cancel(chat_id)
        added = [
            self.tracker.track(
                chat_id,
                subentry.data.get(CONF_CHAT_NAME) or subentry.title,
                subentry.subentry_id,
            )
            for chat_id, subentry in wanted.items()
            if chat_id not in self.chats
        ]
        self.listeners.added(added)
        return added

    @callback
    def async_entry_updated(self) -> None:
        """React to subentries added or removed at runtime."""
        if added := self.async_sync_chats():
            self.async_schedule_sync(read_state=True, only=added)
            self.pictures.async_check()

    @callback
    def async_schedule_sync(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        """Subscribe (and optionally read) chats in the background."""
        self.subscriptions.async_schedule(read_state=read_state, only=only)

    # Events --------------------------------------------------------------------------

    @callback
    def async_handle_event(self, event: WahaEvent) -> bool:
        """Apply one parsed event from either transport; False when its date is refused."""
        if event.session != self.session_name:
            LOGGER.debug("Ignoring event for session %s", event.session)
            return True
        # WAHA's retries too: any event proves that delivery works.
        self.monitor.delivery.event()
        now = now_ms()
        if not self._gate.admit(event, now):
            return False
        if self.tracker.is_duplicate(event.id):
            return True
        match event:
            case PresenceEvent():
                self._apply(event.chat, event.timestamp, event.id, now)
            case StatusEvent():
                self.monitor.handle_status_event(event)
        self.ordering.async_schedule_save()
        return True

    @callback
    def _apply(
        self,
        report: ChatPresences,
        timestamp: int | None,
        event_id: str = "",
        now: int | None = None,
    ) -> None:
        report = without_future_last_seen(report, now_ms() if now is None else now)
        applied = self.tracker.apply(report, timestamp, event_id)
        if applied.lookup is not None:
            self.entry.async_create_background_task(
                self.hass,
                self._async_look_up_lid(applied.lookup),
                f"{DOMAIN} resolve {applied.lookup}",
            )
        self._route(applied)

    @callback
    def _route(self, applied: Applied) -> None:
        """Restart the fades the changes call for, then tell the chat's entities."""
        if applied.chat is None or not applied.changes:
            return
        self.fades.schedule(applied.changes)
        self._dispatch(applied.chat.chat_id, applied.changes)

    @callback
    def _dispatch(self, chat_id: str, changes: tuple[PresenceChange, ...]) -> None:
        update = ChatUpdate(changes, Context())
        if (chat := self.chats.get(chat_id)) is not None:
            self.announcer.announce(chat, changes, update.context)
        self.listeners.send(chat_id, update)

    async def _async_look_up_lid(self, lid: str) -> None:
        """Ask WAHA whose LID this is, then apply what was held for it."""
        try:
            phone = await self.client.phone_for_lid(self.session_name, lid)
        except (
            WahaConnectionError,
            WahaResponseError,
            WahaSessionNotReadyError,
        ) as err:
            # WAHA could not answer now: ask again when the LID shows up next.
            self.tracker.lid_failed(lid, retry=True)
            LOGGER.debug("Cannot resolve %s yet: %s", lid, err)
            return
        except WahaError as err:
            self.tracker.lid_failed(lid, retry=False)
            LOGGER.debug("Cannot resolve %s: %s", lid, err)
            return
        for applied in self.tracker.lid_resolved(lid, phone):
            self._route(applied)

    @callback
    def _fade(self, chat_id: str, stamp: int, participants: set[str]) -> None:
        """End the typing or recording nobody refreshed: one write for the batch."""
        changes = [
            faded
            for participant in participants
            if (
                faded := self.tracker.fade(
                    chat_id, participant, stamp, self.monitor.engine
                )
            )
        ]
        if changes:
            self._dispatch(chat_id, tuple(changes))
