"""Per-entry state: session status, tracked chats and their presence."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval

from .const import (
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    DOMAIN,
    EVENT_PRESENCE_UPDATE,
    EVENT_SESSION_STATUS,
    INITIAL_READ_CONCURRENCY,
    LOGGER,
    SUBENTRY_CHAT,
)
from .data import ChatState, ParticipantState, PresenceChange
from .exceptions import (
    WahaAuthError,
    WahaBadRequestError,
    WahaConfigRejectedError,
    WahaConnectionError,
    WahaError,
    WahaNotSupportedError,
    WahaResponseError,
    WahaSessionNotReadyError,
)
from .models import (
    ChatPresences,
    PresenceStatus,
    SessionInfo,
    SessionStatus,
    WahaEvent,
    WahaParseError,
    is_group,
    is_lid,
    parse_chat_presences,
    parse_session_status,
)
from .session_config import config_satisfied, desired_config, store_missing

if TYPE_CHECKING:
    from . import WahaConfigEntry
    from .api import WahaClient

type ChatListener = Callable[[PresenceChange | None], None]
type ChatAdder = Callable[[ChatState], None]

STATUS_POLL_INTERVAL = timedelta(seconds=60)
# WhatsApp clients hide a typing indicator that is not refreshed within ~25 s.
CHAT_STATE_TIMEOUT_SECONDS = 30
SEEN_EVENT_IDS = 4096
LID_PENDING_EVENTS = 32
# Engines whose `GET /presence` lists every cached presence in one call.
LIST_ENGINES = frozenset({"NOWEB", "WPP"})


class WahaCoordinator:
    """Owns one WAHA session's state and keeps presence subscriptions alive."""

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
        self._webhook = webhook
        self._config_put = False
        self._config_warned = False
        self._status_ts = 0
        self._status_events = 0
        self.session: SessionInfo | None = None
        self.account_device_id = ""
        self.session_status = SessionStatus.UNKNOWN
        self.raw_status: str | None = None
        self.reachable = True
        # False while the WebSocket that brings our events is down.
        self.events_flowing = True
        self.chats: dict[str, ChatState] = {}
        self._aliases: dict[str, str] = {}
        # LIDs that are no tracked contact, and events waiting on a lookup.
        self._lids_asked: set[str] = set()
        self._lids_pending: dict[str, list[tuple[ChatPresences, int, Context]]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._chat_listeners: dict[str, list[ChatListener]] = {}
        self._session_listeners: list[CALLBACK_TYPE] = []
        self._chat_adders: list[ChatAdder] = []
        self._expiries: dict[tuple[str, str], CALLBACK_TYPE] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._was_available: bool | None = None
        self._sync_lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        """Return True while WAHA answers and the session is WORKING."""
        return (
            self.reachable
            and self.events_flowing
            and self.session_status is SessionStatus.WORKING
        )

    @property
    def engine(self) -> str | None:
        """Return the session's engine, when known."""
        return self.session.engine if self.session else None

    @property
    def account_presence(self) -> PresenceStatus | None:
        """Return the account's own last-set presence."""
        return self.session.presence if self.session else None

    async def async_initialize(self) -> None:
        """Read the session once; errors propagate to setup."""
        self._apply_session(await self._async_fetch_session())
        self.async_sync_chats()

    @callback
    def async_start(self, *, subscribe: bool) -> None:
        """Start subscription upkeep and the session watchdog."""
        self._unsubs.append(
            async_track_time_interval(
                self.hass,
                self._async_resubscribe_timer,
                self.resubscribe_interval,
                name=f"{DOMAIN} resubscribe",
                cancel_on_shutdown=True,
            )
        )
        self._unsubs.append(
            async_track_time_interval(
                self.hass,
                self._async_watchdog,
                STATUS_POLL_INTERVAL,
                name=f"{DOMAIN} session watchdog",
                cancel_on_shutdown=True,
            )
        )
        if subscribe:
            self.async_schedule_sync(read_state=True)

    @callback
    def async_shutdown(self) -> None:
        """Stop timers and drop our repair; pending background tasks end with the entry."""
        while self._unsubs:
            self._unsubs.pop()()
        while self._expiries:
            self._expiries.popitem()[1]()
        ir.async_delete_issue(self.hass, DOMAIN, self.repair_issue_id)
        ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)

    @property
    def repair_issue_id(self) -> str:
        """Return the id of this entry's "session needs you" repair."""
        return f"session_login_{self.entry.entry_id}"

    @property
    def store_issue_id(self) -> str:
        """Return the id of this entry's "NOWEB store is off" repair."""
        return f"noweb_store_{self.entry.entry_id}"

    # Listeners -----------------------------------------------------------------

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
    def _notify_session(self) -> None:
        for listener in list(self._session_listeners):
            listener()

    @callback
    def _notify_all(self) -> None:
        self._notify_session()
        for listeners in list(self._chat_listeners.values()):
            for chat_listener in list(listeners):
                chat_listener(None)

    # Tracked chats -------------------------------------------------------------

    @callback
    def async_sync_chats(self) -> list[ChatState]:
        """Mirror the entry's chat subentries; return the chats that are new."""
        wanted = {
            subentry.data[CONF_CHAT_ID]: subentry
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_CHAT
        }
        for chat_id in set(self.chats) - set(wanted):
            chat = self.chats.pop(chat_id)
            self._aliases = {
                alias: target
                for alias, target in self._aliases.items()
                if target != chat_id
            }
            self._chat_listeners.pop(chat.chat_id, None)
            # A fade still pending would reach the chat's next entities if re-added.
            for key in [key for key in self._expiries if key[0] == chat_id]:
                self._expiries.pop(key)()
        added: list[ChatState] = []
        for chat_id, subentry in wanted.items():
            if chat_id in self.chats:
                continue
            chat = ChatState(
                chat_id=chat_id,
                name=subentry.data.get(CONF_CHAT_NAME) or subentry.title,
                subentry_id=subentry.subentry_id,
            )
            self.chats[chat_id] = chat
            self._aliases[chat_id] = chat_id
            added.append(chat)
            for adder in self._chat_adders:
                adder(chat)
        return added

    @callback
    def async_entry_updated(self) -> None:
        """React to subentries added or removed at runtime."""
        if added := self.async_sync_chats():
            self.async_schedule_sync(read_state=True, only=added)

    # Subscriptions ---------------------------------------------------------------

    @callback
    def async_schedule_sync(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        """Subscribe (and optionally read) chats in the background."""
        self.entry.async_create_background_task(
            self.hass,
            self._async_sync(read_state=read_state, only=only),
            f"{DOMAIN} subscribe {self.session_name}",
        )

    async def _async_sync(
        self, *, read_state: bool, only: list[ChatState] | None = None
    ) -> None:
        if not self.available:
            return
        chats = list(self.chats.values()) if only is None else only
        async with self._sync_lock:
            try:
                await self._async_resolve_lids(chats)
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

    async def _async_resolve_lids(self, chats: list[ChatState]) -> None:
        """Learn each contact's other id: WAHA reports either in events."""
        for chat in chats:
            if chat.alias or is_group(chat.chat_id):
                continue
            try:
                alias = await self.client.other_id(self.session_name, chat.chat_id)
            except WahaConnectionError:
                raise
            except WahaError as err:
                LOGGER.debug("No other id for %s: %s", chat.chat_id, err)
                continue
            # A contact tracked twice, by number and by LID, keeps its devices apart.
            if (
                alias
                and chat.chat_id in self.chats
                and self._aliases.setdefault(alias, chat.chat_id) == chat.chat_id
            ):
                chat.alias = alias

    async def _async_subscribe(self, chat: ChatState) -> None:
        for chat_id in filter(None, (chat.chat_id, chat.alias)):
            try:
                await self.client.subscribe_presence(self.session_name, chat_id)
            except WahaConnectionError:
                raise
            except WahaError as err:
                LOGGER.debug("Subscribing to %s failed: %s", chat_id, err)

    async def _async_read_state(self, chats: list[ChatState]) -> None:
        if self.engine in LIST_ENGINES:
            try:
                results = await self.client.get_all_presences(self.session_name)
            except WahaNotSupportedError:
                results = None
            if results is not None:
                for result in results:
                    self._apply_presences(result, timestamp=None, context=Context())
                return

        # WEBJS cannot list and GOWS lists garbage: read chat by chat, under the
        # other id too, as engines cache a contact under the id WhatsApp used.
        async def read(chat: ChatState) -> None:
            for chat_id in filter(None, (chat.chat_id, chat.alias)):
                result = await self.client.get_presence(self.session_name, chat_id)
                if any(entry.presence for entry in result.presences):
                    self._apply_presences(result, timestamp=None, context=Context())
                    return

        await self._bounded(read, chats)

    @callback
    def _async_resubscribe_timer(self, _now: datetime) -> None:
        self.async_schedule_sync(read_state=False)

    # Session watchdog ------------------------------------------------------------

    @callback
    def _async_watchdog(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self._async_poll_session(), f"{DOMAIN} session watchdog"
        )

    async def _async_fetch_session(self) -> SessionInfo:
        """Read the session; a status event that arrives meanwhile is newer."""
        applied = self._status_events
        session = await self.client.get_session(self.session_name)
        if applied != self._status_events and self.raw_status is not None:
            # WAHA answered a request sent before the event: keep the event's status.
            session = replace(
                session, status=self.session_status, raw_status=self.raw_status
            )
        return session

    async def _async_poll_session(
        self, *, sync: bool = True, reconnected: bool = False
    ) -> None:
        try:
            session = await self._async_fetch_session()
        except WahaAuthError:
            self._set_reachable(False)
            self.entry.async_start_reauth(self.hass)
            return
        except WahaError as err:
            LOGGER.debug("Session poll failed: %s", err)
            self._set_reachable(False)
            return
        finally:
            # A new event stream counts from WAHA's answer on, not before: the
            # status from before the outage must not make entities available.
            if reconnected:
                self.events_flowing = True
        was_available = self.available
        self._apply_session(session)
        if not self._config_satisfied():
            # WAHA Core forgets session configs when it restarts: put ours back.
            try:
                await self.async_ensure_config()
            except WahaError as err:
                LOGGER.warning("Could not restore the WAHA session config: %s", err)
            return
        if sync and self.available and not was_available:
            self.async_schedule_sync(read_state=True)

    def _config_satisfied(self) -> bool:
        assert self.session is not None
        return config_satisfied(
            self.session.config,
            webhook_id=self.entry.data[CONF_WEBHOOK_ID],
            webhook=self._webhook,
            engine=self.engine,
        )

    async def async_ensure_config(self) -> None:
        """PUT our delivery into the session config when missing (WAHA restarts it)."""
        assert self.session is not None
        if self._config_satisfied():
            self._config_put = False
            return
        if self._config_put:
            # WAHA dropped what we sent (an older WAHA without tagsEventsOn,
            # say): restarting the session every minute would not help.
            if not self._config_warned:
                LOGGER.warning(
                    "WAHA session %s does not keep the config Home Assistant needs; "
                    "check its webhooks (and webjs.tagsEventsOn for WEBJS)",
                    self.session_name,
                )
                self._config_warned = True
            return
        LOGGER.info(
            "Updating the config of WAHA session %s; WAHA restarts it",
            self.session_name,
        )
        try:
            await self.client.update_session_config(
                self.session_name,
                desired_config(
                    self.session.config,
                    webhook_id=self.entry.data[CONF_WEBHOOK_ID],
                    webhook=self._webhook,
                    engine=self.engine,
                ),
            )
        except WahaBadRequestError as err:
            raise WahaConfigRejectedError(err.detail) from err
        # Only a PUT WAHA accepted counts: a failed one is tried again next poll.
        self._config_put = True
        self._apply_session(await self._async_fetch_session())
        if self._config_satisfied():
            self._config_put = False

    async def async_refresh_session(self) -> None:
        """Re-read the session now (after an action)."""
        await self._async_poll_session()

    async def async_resync(self) -> None:
        """Catch up after a (re)connect: read the session, then subscribe once."""
        await self._async_poll_session(sync=False, reconnected=True)
        self.async_schedule_sync(read_state=True)

    @callback
    def async_set_events_flowing(self, flowing: bool) -> None:
        """Record whether the event stream (WebSocket) is connected."""
        if flowing != self.events_flowing:
            self.events_flowing = flowing
            self._update_availability()

    @callback
    def _set_reachable(self, reachable: bool) -> None:
        if reachable != self.reachable:
            self.reachable = reachable
            self._session_changed()

    @callback
    def _apply_session(self, session: SessionInfo) -> None:
        """Take a session WAHA answered with: WAHA is reachable, with this status."""
        self.session = session
        # Both before availability is judged: an old status must not count.
        self.reachable = True
        self._set_status(session.status, session.raw_status)
        self._update_store_issue()
        self._session_changed()

    @callback
    def _session_changed(self) -> None:
        """Write every entity when availability flipped, else the account's."""
        # Account entities follow reachability even while chats stay unavailable.
        if not self._update_availability():
            self._notify_session()

    @callback
    def _set_status(self, status: SessionStatus, raw_status: str) -> None:
        changed = raw_status != self.raw_status
        self.session_status = status
        self.raw_status = raw_status
        if changed:
            self._update_repair_issue()

    @callback
    def _update_availability(self) -> bool:
        """Log and write a change of availability; return True if there was one."""
        available = self.available
        if available == self._was_available:
            return False
        if available:
            if self._was_available is not None:
                LOGGER.info("WAHA session %s is available again", self.session_name)
        elif not self.reachable:
            LOGGER.info("WAHA at %s is unreachable", self.client.public_url)
        elif not self.events_flowing:
            LOGGER.info(
                "Lost the WebSocket to WAHA at %s; reconnecting", self.client.public_url
            )
        else:
            LOGGER.info(
                "WAHA session %s is %s: its entities are unavailable",
                self.session_name,
                self.raw_status,
            )
        self._was_available = available
        self._notify_all()
        return True

    @callback
    def _update_store_issue(self) -> None:
        """Ask for NOWEB's store while it is off: without it WAHA maps no LIDs."""
        assert self.session is not None
        if store_missing(self.session.config, engine=self.engine):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.store_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="noweb_store_disabled",
                translation_placeholders={
                    "session": self.session_name,
                    "url": self.client.public_url,
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)

    @callback
    def _update_repair_issue(self) -> None:
        issue_id = self.repair_issue_id
        if self.session_status.needs_login:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="session_needs_login",
                translation_placeholders={
                    "session": self.session_name,
                    "status": self.raw_status or "",
                    "url": self.client.public_url,
                },
            )
        elif self.session_status is SessionStatus.WORKING:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    # Events ----------------------------------------------------------------------

    @callback
    def async_handle_event(self, event: WahaEvent) -> None:
        """Apply one event from the webhook or the WebSocket."""
        if event.session != self.session_name:
            LOGGER.debug("Ignoring event for session %s", event.session)
            return
        if event.id in self._seen:
            return
        self._seen[event.id] = None
        if len(self._seen) > SEEN_EVENT_IDS:
            self._seen.popitem(last=False)
        try:
            if event.event == EVENT_PRESENCE_UPDATE:
                self._apply_presences(
                    parse_chat_presences(event.payload),
                    timestamp=event.timestamp,
                    context=Context(),
                )
            elif event.event == EVENT_SESSION_STATUS:
                self._apply_status_event(event)
        except WahaParseError as err:
            LOGGER.debug("Ignoring malformed %s event: %s", event.event, err)

    @callback
    def _apply_status_event(self, event: WahaEvent) -> None:
        payload = parse_session_status(event.payload)
        if event.timestamp < self._status_ts:
            LOGGER.debug("Ignoring a late %s status event", payload.raw_status)
            return
        self._status_ts = event.timestamp
        self._status_events += 1
        was_available = self.available
        self._set_status(payload.status, payload.raw_status)
        self.reachable = True
        self._session_changed()
        if self.available and not was_available:
            self.async_schedule_sync(read_state=True)
            # The account's own presence is only in the session object.
            self.entry.async_create_background_task(
                self.hass, self.async_refresh_session(), f"{DOMAIN} refresh session"
            )

    @callback
    def _apply_presences(
        self,
        result: ChatPresences,
        *,
        timestamp: int | None,
        context: Context,
    ) -> None:
        chat_id = self._aliases.get(result.chat_id)
        if chat_id is None:
            if is_lid(result.chat_id) and timestamp is not None:
                self._learn_lid(result.chat_id, result, timestamp, context)
            return
        if (chat := self.chats.get(chat_id)) is None:
            return
        changes: list[PresenceChange] = []
        for entry in result.presences:
            if entry.presence is None:
                LOGGER.debug(
                    "Ignoring presence %r of %s", entry.raw_presence, entry.participant
                )
                continue
            participant = chat.chat_id if not chat.is_group else entry.participant
            if participant == chat.chat_id and chat.is_group:
                # NOWEB lists the group's own presence beside its members'.
                continue
            state = chat.participants.get(participant)
            if state is None:
                state = chat.participants[participant] = ParticipantState()
            if timestamp is None:
                # A cache read must not undo anything an event already told us.
                if state.timestamp:
                    continue
            elif timestamp < state.timestamp:
                continue
            else:
                state.timestamp = timestamp
            previous = state.presence
            last_seen = state.last_seen
            state.presence = entry.presence
            if entry.last_seen is not None:
                state.last_seen = entry.last_seen
            elif entry.presence.is_active and timestamp is not None:
                # Minute resolution, as WhatsApp shows it: a chatty contact does
                # not rewrite the sensor on every keystroke.
                state.last_seen = datetime.fromtimestamp(
                    timestamp // 60_000 * 60, tz=UTC
                )
            changes.append(
                PresenceChange(
                    chat_id=chat.chat_id,
                    participant=participant,
                    presence=entry.presence,
                    previous=previous,
                    last_seen_changed=state.last_seen != last_seen,
                    live=timestamp is not None,
                    context=context,
                )
            )
            self._schedule_chat_state_expiry(chat, participant, state)
        if not changes:
            return
        self._dispatch(chat, changes)

    @callback
    def _schedule_chat_state_expiry(
        self, chat: ChatState, participant: str, state: ParticipantState
    ) -> None:
        """Let typing or recording fade like WhatsApp's own indicator does."""
        # A lost `paused` would otherwise leave the contact typing for good.
        key = (chat.chat_id, participant)
        if cancel := self._expiries.pop(key, None):
            cancel()
        if state.presence not in (PresenceStatus.TYPING, PresenceStatus.RECORDING):
            return
        stamp = state.timestamp

        @callback
        def expire() -> None:
            self._expiries.pop(key, None)
            if state.timestamp != stamp or chat.chat_id not in self.chats:
                return
            previous = state.presence
            # NOWEB reports a stop as online; the other engines as paused.
            state.presence = (
                PresenceStatus.ONLINE
                if self.engine == "NOWEB"
                else PresenceStatus.PAUSED
            )
            self._dispatch(
                chat,
                [
                    PresenceChange(
                        chat_id=chat.chat_id,
                        participant=participant,
                        presence=state.presence,
                        previous=previous,
                        last_seen_changed=False,
                        live=True,
                        context=Context(),
                    )
                ],
            )

        # A plain loop timer: this runs on every typing event, HassJob is not needed.
        self._expiries[key] = self.hass.loop.call_later(
            CHAT_STATE_TIMEOUT_SECONDS, expire
        ).cancel

    @callback
    def _dispatch(self, chat: ChatState, changes: list[PresenceChange]) -> None:
        for listener in list(self._chat_listeners.get(chat.chat_id, ())):
            for change in changes:
                listener(change)

    @callback
    def tracked_chat_id(self, chat_id: str) -> str | None:
        """Return the id of the tracked chat that `chat_id` is, under either id."""
        tracked = self._aliases.get(chat_id)
        return tracked if tracked in self.chats else None

    @callback
    def display_name(self, participant: str) -> str:
        """Return a tracked contact's name, or the id's user part."""
        if (chat_id := self.tracked_chat_id(participant)) is not None:
            return self.chats[chat_id].name
        return participant.split("@", 1)[0]

    @callback
    def _learn_lid(
        self,
        lid: str,
        result: ChatPresences,
        timestamp: int,
        context: Context,
    ) -> None:
        if lid in self._lids_asked:
            return
        if (waiting := self._lids_pending.get(lid)) is not None:
            # Kept for when the lookup answers; ordering sorts them out then.
            if len(waiting) < LID_PENDING_EVENTS:
                waiting.append((result, timestamp, context))
            return
        self._lids_pending[lid] = [(result, timestamp, context)]

        async def resolve() -> None:
            try:
                phone = await self.client.phone_for_lid(self.session_name, lid)
            except (
                WahaConnectionError,
                WahaResponseError,
                WahaSessionNotReadyError,
            ) as err:
                # WAHA could not answer now: ask again when the LID shows up next.
                self._lids_pending.pop(lid, None)
                LOGGER.debug("Cannot resolve %s yet: %s", lid, err)
                return
            except WahaError as err:
                self._lids_pending.pop(lid, None)
                self._lids_asked.add(lid)
                LOGGER.debug("Cannot resolve %s: %s", lid, err)
                return
            waiting = self._lids_pending.pop(lid, [])
            if phone is None or phone not in self.chats:
                self._lids_asked.add(lid)
                return
            self.chats[phone].alias = lid
            self._aliases[lid] = phone
            for held, held_at, held_context in waiting:
                self._apply_presences(held, timestamp=held_at, context=held_context)

        self.entry.async_create_background_task(
            self.hass, resolve(), f"{DOMAIN} resolve {lid}"
        )
