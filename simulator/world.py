"""SimWorld: sessions, contacts, groups, presence, status transitions and events."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import engines
from .const import (
    CHAT_STATES,
    EVENT_PRESENCE_UPDATE,
    EVENT_SESSION_STATUS,
    OFFLINE,
    ONLINE,
    PICTURE_CACHE_SECONDS,
    PICTURE_LINK_SECONDS,
    PLATFORM,
    PRESENCES,
    SCAN_QR_CODE,
    STARTING,
    STOPPED,
    TIER,
    VERSION,
    WEBJS,
    WEBJS_BROWSER,
    WORKING,
)
from .delivery import wired_webhooks
from .ids import event_id as new_event_id, normalize_chat_id, normalize_lid, now_ms
from .outage import SimOutage
from .state import SimContact, SimGroup, SimSession

DEFAULT_ME: Mapping[str, Any] = MappingProxyType(
    {"id": "31600000000@c.us", "pushName": "Home", "lid": "99000000000@lid"}
)


class SimWorld(SimOutage):
    """The simulated WAHA server's state and rules, without an HTTP listener."""

    def __init__(
        self,
        api_key: str = "test-api-key",
        *,
        restart_delay: float = 0.0,
        auto_online_seconds: float = 25.0,
        retry_delay_scale: float = 1.0,
        engine: str = "NOWEB",
        version: str = VERSION,
        tier: str = TIER,
    ) -> None:
        """Create an empty world."""
        super().__init__(
            api_key, retry_delay_scale=retry_delay_scale, version=version, tier=tier
        )
        self.restart_delay = restart_delay
        self.auto_online_seconds = auto_online_seconds
        self.default_engine = engine
        self.presence_read_delay = 0.0
        self.sessions: dict[str, SimSession] = {}
        self.started_at = now_ms()
        # Profile pictures: WAHA's cache time, the CDN links' lifetime, link → name.
        self.picture_cache_s = float(PICTURE_CACHE_SECONDS)
        self.picture_link_s = float(PICTURE_LINK_SECONDS)
        self.picture_files: dict[str, str] = {}

    async def _halt(self) -> None:
        """Begin stopping: tasks cancelled, offline timers dropped, `/ws` closed."""
        self._closing.set()
        await self._cancel_tasks()
        for session in self.sessions.values():
            self._cancel_offline(session)
        await self._close_ws_clients()

    # -- sessions, contacts, groups -----------------------------------------

    def add_session(
        self,
        name: str = "default",
        *,
        engine: str = "NOWEB",
        status: str = WORKING,
        me: Mapping[str, Any] | None = DEFAULT_ME,
        config: dict[str, Any] | None = None,
    ) -> SimSession:
        """Add (or replace) a session; a running one has its webhooks wired."""
        session = SimSession(
            name=name,
            engine=engine,
            status=status,
            config=config if config is not None else {},
            me=dict(me) if me is not None else None,
            statuses=[{"status": status, "timestamp": now_ms()}],
        )
        if session.running:
            session.webhooks = wired_webhooks(session.config)
        self.sessions[name] = session
        return session

    def session(self, name: str) -> SimSession:
        """Return a session by name (KeyError if there is none)."""
        try:
            return self.sessions[name]
        except KeyError:
            raise KeyError(f"no simulated session {name!r}") from None

    def add_contact(
        self,
        session: str,
        chat_id: str,
        *,
        name: str | None = None,
        pushname: str | None = None,
        lid: str | None = None,
        on_whatsapp: bool = True,
        reports_as_lid: bool = False,
        picture: str | None = None,
    ) -> SimContact:
        """Add a contact; with `reports_as_lid` its events carry its LID."""
        contact = SimContact(
            id=normalize_chat_id(chat_id),
            name=name,
            pushname=pushname,
            lid=normalize_lid(lid) if lid else None,
            on_whatsapp=on_whatsapp,
            reports_as_lid=reports_as_lid,
            picture=picture,
        )
        self.session(session).contacts[contact.id] = contact
        return contact

    def add_group(
        self,
        session: str,
        group_id: str,
        *,
        name: str,
        participants: list[str],
        picture: str | None = None,
    ) -> SimGroup:
        """Add a group whose members are `@c.us` or `@lid` ids."""
        group = SimGroup(
            id=normalize_chat_id(group_id),
            name=name,
            participants=[normalize_chat_id(p) for p in participants],
            picture=picture,
        )
        self.session(session).groups[group.id] = group
        return group

    # -- presence ----------------------------------------------------------

    async def set_contact_presence(
        self,
        session: str,
        chat_id: str,
        presence: str,
        *,
        last_seen: int | None = None,
    ) -> dict[str, Any] | None:
        """Play a contact's presence/chat state; return the event sent, if any."""
        sim_session = self.session(session)
        _check_presence(presence)
        if sim_session.status != WORKING:
            return None
        chat = normalize_chat_id(chat_id)
        contact = sim_session.find_contact(chat)
        reported = contact.reported_id if contact else chat
        entry = self._presence_entry(sim_session, reported, presence, last_seen)
        sim_session.presences[reported] = {reported: entry}
        aliases = contact.ids if contact else frozenset({chat})
        return await self._emit_presence(
            sim_session, reported, entry, presence, aliases, group=False
        )

    async def set_group_presence(
        self,
        session: str,
        group_id: str,
        participant: str,
        presence: str,
        *,
        last_seen: int | None = None,
    ) -> dict[str, Any] | None:
        """Play a group member's presence/chat state; return the event sent, if any."""
        sim_session = self.session(session)
        _check_presence(presence)
        if sim_session.status != WORKING:
            return None
        group = normalize_chat_id(group_id)
        member = normalize_chat_id(participant)
        contact = sim_session.find_contact(member)
        reported = contact.reported_id if contact and member == contact.id else member
        entry = self._presence_entry(sim_session, reported, presence, last_seen)
        sim_session.presences.setdefault(group, {})[reported] = entry
        aliases = frozenset({group, member, *(contact.ids if contact else ())})
        return await self._emit_presence(
            sim_session, group, entry, presence, aliases, group=True
        )

    @staticmethod
    def _presence_entry(
        session: SimSession, participant: str, presence: str, last_seen: int | None
    ) -> dict[str, Any]:
        """Return WAHAPresenceData as the session's engine reports it."""
        value = engines.engine_presence(session.engine, presence)
        return {
            "participant": participant,
            "lastKnownPresence": value,
            "lastSeen": last_seen if value == OFFLINE else None,
        }

    async def _emit_presence(
        self,
        session: SimSession,
        chat_id: str,
        entry: dict[str, Any],
        presence: str,
        aliases: frozenset[str],
        *,
        group: bool,
    ) -> dict[str, Any] | None:
        """Emit `presence.update` if WhatsApp would send it and the engine passes it on."""
        chat_state = presence in CHAT_STATES
        # Online/offline only reach a session that subscribed; chat states always do.
        if not chat_state and not aliases & session.subscriptions:
            return None
        if not engines.emits_presence(
            session.engine, session.config, group=group, chat_state=chat_state
        ):
            return None
        payload = {"id": chat_id, "presences": [dict(entry)]}
        return await self.emit(session.name, EVENT_PRESENCE_UPDATE, payload)

    def mark_activity(self, session: SimSession) -> None:
        """Apply WAHA's auto-online: online now, offline after a quiet period."""
        session.activity_ts = now_ms()
        if self.auto_online_seconds <= 0 or self.closing:
            return
        self._cancel_offline(session)
        session.presence = ONLINE
        session.offline_timer = asyncio.get_running_loop().call_later(
            self.auto_online_seconds, self._auto_offline, session
        )

    @staticmethod
    def set_own_presence(session: SimSession, presence: str) -> None:
        """Set the account's own global presence (explicit online/offline)."""
        # WAHA leaves a pending auto-offline in place: it undoes an explicit online.
        session.presence = presence

    @staticmethod
    def _auto_offline(session: SimSession) -> None:
        """Drop back to offline when the auto-online window ends, if still online."""
        session.offline_timer = None
        if session.status == WORKING and session.presence == ONLINE:
            session.presence = OFFLINE

    @staticmethod
    def _cancel_offline(session: SimSession) -> None:
        """Cancel a pending auto-offline."""
        if session.offline_timer is not None:
            session.offline_timer.cancel()
            session.offline_timer = None

    # -- session lifecycle ---------------------------------------------------

    async def set_status(
        self, session: str, status: str, *, data: Any = None
    ) -> dict[str, Any] | None:
        """Move a session to any status and emit `session.status`."""
        return await self.transition(self.session(session), status, data)

    async def transition(
        self, session: SimSession, status: str, data: Any = None
    ) -> dict[str, Any] | None:
        """Set a status and emit it; a repeated WORKING is suppressed like WAHA does."""
        if status == WORKING and session.status == WORKING:
            return None
        timestamp = now_ms()
        session.status = status
        session.statuses = [
            *session.statuses,
            {"status": status, "timestamp": timestamp},
        ][-3:]
        payload = {
            "name": session.name,
            "status": status,
            "statuses": [dict(point) for point in session.statuses],
            "data": data,
        }
        return await self.emit(
            session.name, EVENT_SESSION_STATUS, payload, timestamp=timestamp
        )

    async def stop_session(self, session: SimSession) -> None:
        """Stop the engine: STOPPED goes to the old webhooks, caches are dropped."""
        self.end_outage(session)
        if session.running:
            await self.transition(session, STOPPED)
        session.webhooks = []
        session.subscriptions.clear()
        session.presences.clear()
        self._cancel_offline(session)
        session.presence = None

    async def start_session(self, session: SimSession, *, wait: bool = True) -> None:
        """Start the engine: wire webhooks, STARTING, then WORKING (or SCAN_QR_CODE)."""
        session.webhooks = wired_webhooks(session.config)
        await self.transition(session, STARTING)
        if wait or self.restart_delay <= 0:
            await self._finish_start(session)
        else:
            self.spawn(self._finish_start(session))

    async def _finish_start(self, session: SimSession) -> None:
        """Reach the session's final start status after `restart_delay`."""
        await self.pause(self.restart_delay)
        if session.status == STARTING:
            await self.transition(session, WORKING if session.me else SCAN_QR_CODE)

    async def restart_session(self, session: str) -> None:
        """Restart a session: STOPPED → STARTING → WORKING, subscriptions cleared."""
        sim_session = self.session(session)
        await self.stop_session(sim_session)
        await self.pause(self.restart_delay)
        await self.start_session(sim_session, wait=True)

    # -- events --------------------------------------------------------------

    def environment(self) -> dict[str, Any]:
        """Return WAHA's VERSION object (its engine is the server default)."""
        environment: dict[str, Any] = {
            "version": self.version,
            "engine": self.default_engine,
            "tier": self.tier,
            "browser": WEBJS_BROWSER if self.default_engine == WEBJS else None,
            "platform": PLATFORM,
        }
        if not self.legacy:  # `worker` came in 2026.1.4
            environment["worker"] = {"id": None}
        return environment

    def build_envelope(
        self,
        session: str,
        event: str,
        payload: Any,
        *,
        timestamp: int | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """Return the event envelope WAHA wraps every webhook/WebSocket event in."""
        sim_session = self.session(session)
        ts = now_ms() if timestamp is None else timestamp
        envelope: dict[str, Any] = (
            {} if self.legacy else {"id": event_id or new_event_id(ts), "timestamp": ts}
        )
        envelope["event"] = event
        envelope["session"] = sim_session.name
        metadata = sim_session.config.get("metadata")
        if metadata is not None:
            envelope["metadata"] = metadata
        envelope["me"] = sim_session.me
        envelope["payload"] = payload
        envelope["engine"] = sim_session.engine
        envelope["environment"] = self.environment()
        return envelope

    async def emit(
        self,
        session: str,
        event: str,
        payload: Any,
        *,
        timestamp: int | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """Send an event to the session's webhooks and WebSocket clients."""
        envelope = self.build_envelope(
            session, event, payload, timestamp=timestamp, event_id=event_id
        )
        await self.publish(self.sessions[session].webhooks, envelope)
        return envelope


def _check_presence(presence: str) -> None:
    """Reject a presence WhatsApp cannot report."""
    if presence not in PRESENCES:
        raise ValueError(
            f"unknown presence {presence!r}; use one of {sorted(PRESENCES)}"
        )
