"""Wiring of one entry: tracked chats, subscriptions, and routing changes to entities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback

from .api import WahaClient
from .const import (
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    CONF_DELIVERY,
    DOMAIN,
    LOGGER,
    SUBENTRY_CHAT,
)
from .exceptions import (
    WahaConnectionError,
    WahaError,
    WahaResponseError,
    WahaSessionNotReadyError,
)
from .fades import FadeTimers
from .models import (
    ChatPresences,
    PresenceEvent,
    PresenceStatus,
    SessionInfo,
    SessionStatus,
    StatusEvent,
    WahaEvent,
)
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


@dataclass(frozen=True, slots=True)
class ChatUpdate:
    """The changes one WAHA event (or cache read, or fade) made to one chat."""

    changes: tuple[PresenceChange, ...]
    # One context per event: every state it changes shares it.
    context: Context


type ChatListener = Callable[[ChatUpdate | None], None]
type ChatAdder = Callable[[ChatState], None]


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
        self.monitor = SessionMonitor(
            hass,
            entry,
            client,
            session_name,
            webhook_id=entry.data[CONF_WEBHOOK_ID],
            webhook=webhook,
            on_change=self._session_changed,
            on_available=lambda: self.async_schedule_sync(read_state=True),
        )
        self.subscriptions = SubscriptionKeeper(
            hass,
            entry,
            client,
            self.tracker,
            self.monitor,
            on_read=lambda report: self._apply(report, None),
        )
        self._chat_listeners: dict[str, list[ChatListener]] = {}
        self._session_listeners: list[CALLBACK_TYPE] = []
        self._chat_adders: list[ChatAdder] = []
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
    def reachable(self) -> bool:
        """Return True while WAHA answers."""
        return self.monitor.reachable

    @property
    def session(self) -> SessionInfo | None:
        """Return WAHA's last answer about the session."""
        return self.monitor.session

    @property
    def session_status(self) -> SessionStatus:
        """Return the session's status."""
        return self.monitor.status

    @property
    def raw_status(self) -> str | None:
        """Return the session's status exactly as WAHA gave it."""
        return self.monitor.raw_status

    @property
    def engine(self) -> str | None:
        """Return the session's engine, when known."""
        return self.monitor.engine

    @property
    def delivery(self) -> str:
        """Return how events come: `webhook` or `websocket`."""
        return str(self.entry.data[CONF_DELIVERY])

    @property
    def account_presence(self) -> PresenceStatus | None:
        """Return the account's own last-set presence."""
        return self.monitor.account_presence

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
        if subscribe:
            self.async_schedule_sync(read_state=True)

    @callback
    def async_shutdown(self) -> None:
        """Stop timers and drop our repairs; background tasks end with the entry."""
        self.subscriptions.async_stop()
        self.fades.cancel()
        self.monitor.async_shutdown()

    async def async_refresh_session(self) -> None:
        """Re-read the session now (after an action)."""
        await self.monitor.async_poll()

    async def async_resync(self) -> None:
        """Catch up after a (re)connect: read the session, then subscribe once."""
        await self.monitor.async_poll(reconnected=True)
        self.async_schedule_sync(read_state=True)

    @callback
    def async_set_events_flowing(self, flowing: bool) -> None:
        """Record whether the event stream (WebSocket) is connected."""
        self.monitor.set_events_flowing(flowing)

    # Listeners -----------------------------------------------------------------------

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
        self._chat_adders.append(adder)
        for chat in self.chats.values():
            adder(chat)

    @callback
    def _session_changed(self, availability_flipped: bool) -> None:
        """Write the account's entities, and every chat's when availability flipped."""
        for listener in list(self._session_listeners):
            listener()
        if availability_flipped:
            for listeners in list(self._chat_listeners.values()):
                for chat_listener in list(listeners):
                    chat_listener(None)

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
            self.tracker.untrack(chat_id)
            self._chat_listeners.pop(chat_id, None)
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
        for chat in added:
            for adder in self._chat_adders:
                adder(chat)
        return added

    @callback
    def async_entry_updated(self) -> None:
        """React to subentries added or removed at runtime."""
        if added := self.async_sync_chats():
            self.async_schedule_sync(read_state=True, only=added)

    @callback
    def async_schedule_sync(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        """Subscribe (and optionally read) chats in the background."""
        self.subscriptions.async_schedule(read_state=read_state, only=only)

    # Events --------------------------------------------------------------------------

    @callback
    def async_handle_event(self, event: WahaEvent) -> None:
        """Apply one parsed event from the webhook or the WebSocket."""
        if event.session != self.session_name:
            LOGGER.debug("Ignoring event for session %s", event.session)
            return
        # WAHA's retries too: any event proves that delivery works.
        self.monitor.delivery.event()
        if self.tracker.is_duplicate(event.id):
            return
        match event:
            case PresenceEvent():
                self._apply(event.chat, event.timestamp)
            case StatusEvent():
                self.monitor.handle_status_event(event)

    @callback
    def _apply(self, report: ChatPresences, timestamp: int | None) -> None:
        applied = self.tracker.apply(report, timestamp)
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
        for listener in list(self._chat_listeners.get(chat_id, ())):
            listener(update)

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
            if (faded := self.tracker.fade(chat_id, participant, stamp, self.engine))
        ]
        if changes:
            self._dispatch(chat_id, tuple(changes))
