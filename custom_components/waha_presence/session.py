"""The session monitor: WAHA's session status, reachability and our config in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .api import WahaClient, check_version
from .config_upkeep import ConfigUpkeep
from .const import CONF_ACCOUNT_ID, DOMAIN, LOGGER, MIN_WAHA_VERSION
from .delivery_watch import DeliveryWatch
from .exceptions import (
    WahaAuthError,
    WahaCoreSessionError,
    WahaError,
    WahaNotFoundError,
    WahaResponseError,
    WahaVersionError,
)
from .models import PresenceStatus, SessionInfo, SessionStatus, StatusEvent
from .repairs import SessionRepairs, account_label
from .session_config import store_missing

STATUS_POLL_INTERVAL = timedelta(seconds=60)

_UNSET: Any = object()


class SessionMonitor:
    """Judges availability from status, reachability and the event stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: WahaClient,
        session_name: str,
        *,
        webhook_id: str,
        webhook: dict[str, Any] | None,
        on_change: Callable[[bool], None],
        on_available: CALLBACK_TYPE,
    ) -> None:
        """Start unknown; `on_change(flipped)` runs after every change of state."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.session_name = session_name
        self.repairs = SessionRepairs(
            hass,
            entry.entry_id,
            session_name,
            client.public_url,
            account=account_label(entry.title, entry.data[CONF_ACCOUNT_ID]),
        )
        self.config = ConfigUpkeep(
            client, session_name, webhook_id=webhook_id, webhook=webhook
        )
        self._on_change = on_change
        self._on_available = on_available
        self.session: SessionInfo | None = None
        self.status = SessionStatus.UNKNOWN
        self.raw_status: str | None = None
        self.reachable = True
        # True once WAHA refused the key twice in a row; reauth is under way.
        self.key_refused = False
        # False while the WebSocket that brings our events is down.
        self.events_flowing = True
        self._was_available: bool | None = None
        # Counts the times the session became available: WAHA forgets our
        # subscriptions whenever it was not, so each epoch needs them once.
        self.epoch = 0
        # The session's engine: WAHA names it only while the session runs.
        self._engine: str | None = None
        # Envelope time and id of the last status event applied, kept across restarts.
        self.status_stamp: tuple[int, str] = (0, "")
        self._status_events = 0
        self._unsub_watchdog: CALLBACK_TYPE | None = None
        self.delivery = DeliveryWatch(
            self.repairs,
            session_name,
            webhook_id=webhook_id,
            webhook=webhook,
            on_change=lambda: on_change(False),
        )

    @property
    def available(self) -> bool:
        """Return True while WAHA answers, events flow and the session is WORKING."""
        return (
            self.reachable
            and self.events_flowing
            and self.status is SessionStatus.WORKING
        )

    @property
    def engine(self) -> str | None:
        """Return the session's engine, when known."""
        return self._engine

    @property
    def account_presence(self) -> PresenceStatus | None:
        """Return the account's own last-set presence."""
        return self.session.presence if self.session else None

    # The one setter ----------------------------------------------------------------

    @callback
    def _set(
        self,
        *,
        session: SessionInfo | None = None,
        status: tuple[SessionStatus, str] | None = None,
        reachable: bool | None = None,
        flowing: bool | None = None,
    ) -> bool:
        """Take new inputs, judge availability once; return True when it rose."""
        before = self._shown()
        if session is not None:
            # WAHA answered: it is reachable, and this is the status it gave.
            self.session = session
            self._engine = session.engine or self._engine
            self.reachable = True
            status = (session.status, session.raw_status)
            self.repairs.update_store(store_missing(session.config, engine=self.engine))
        if reachable is not None:
            self.reachable = reachable
        if flowing is not None:
            self.events_flowing = flowing
        if status is not None:
            self.status, raw_status = status
            if raw_status != self.raw_status:
                self.raw_status = raw_status
                self.repairs.update_login(self.status, raw_status)
        if before == self._shown():
            # Nothing entities show changed (NOWEB repeats STARTING every 2 s
            # while WhatsApp is out of reach; the watchdog reads the same session).
            return False
        available = self.available
        flipped = available != self._was_available
        if flipped:
            _log_edge(self, available, first=self._was_available is None)
        rose = available and self._was_available is False
        if available and not self._was_available:
            self.epoch += 1
        self._was_available = available
        self._on_change(flipped)
        return rose

    def _shown(self) -> tuple[object, ...]:
        """Return the inputs that entities show."""
        return (
            self.status,
            self.raw_status,
            self.reachable,
            self.events_flowing,
            self.account_presence,
        )

    # Reading the session -----------------------------------------------------------

    async def async_initialize(self) -> None:
        """Check WAHA's version, then read the session once; errors go to setup."""
        server = await _async_check_server(self.client, self.repairs)
        try:
            session = await self._async_read()
        except WahaCoreSessionError:
            self.repairs.update_core_refusal(True)
            raise
        self.repairs.update_core_refusal(False)
        if session.engine is None:
            # A STOPPED session names no engine (`engine: {}`), yet the config we
            # PUT now must suit it (WEBJS needs tagsEventsOn), or a second PUT and
            # restart follow once it runs. Its config cannot tell: it has no engine
            # field, and may hold any engine's block (WAHA adds `noweb.markOnline`
            # to every config). WAHA runs its sessions on the server's engine.
            engine = server.get("engine")
            self._engine = engine if isinstance(engine, str) and engine else None
        self._set(session=session)

    @callback
    def async_start(self) -> None:
        """Re-read the session every minute: the watchdog for lost events and config."""
        self._unsub_watchdog = async_track_time_interval(
            self.hass,
            self._async_watchdog,
            STATUS_POLL_INTERVAL,
            name=f"{DOMAIN} session watchdog",
            cancel_on_shutdown=True,
        )

    @callback
    def async_shutdown(self) -> None:
        """Stop the watchdog and drop the entry's repairs."""
        if self._unsub_watchdog is not None:
            self._unsub_watchdog()
            self._unsub_watchdog = None
        self.repairs.clear()

    @callback
    def _async_watchdog(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_poll(), f"{DOMAIN} session watchdog"
        )

    async def _async_fetch(self) -> SessionInfo:
        """Read the session; a status event that arrives meanwhile is newer."""
        applied = self._status_events
        session = await self.client.get_session(self.session_name)
        if applied != self._status_events and self.raw_status is not None:
            # WAHA answered a request sent before the event: keep the event's status.
            session = replace(session, status=self.status, raw_status=self.raw_status)
        return session

    async def _async_read(self) -> SessionInfo:
        """Read the session; WAHA refuses the key only when it does so twice."""
        try:
            session = await self._async_fetch()
        except WahaAuthError:
            # One 401 may be WAHA restarting or a proxy hiccup; a changed key is
            # refused every time. Ask again at once, with the request every key
            # that works here may make (a session-scoped key may not read the
            # server), rather than ask the user for a key that may be right.
            session = await self._async_fetch()
        if self.key_refused:
            # Only the reauth we asked for: WAHA takes the key again.
            self.key_refused = False
            _withdraw_reauth(self.hass, self.entry)
        return session

    async def async_poll(self, *, reconnected: bool = False) -> None:
        """Read the session now; after a reconnect the caller subscribes itself."""
        try:
            session = await self._async_read()
        except WahaAuthError:
            self.key_refused = True
            self._set(reachable=False, flowing=True if reconnected else None)
            self.entry.async_start_reauth(self.hass)
            return
        except WahaCoreSessionError:
            # WAHA was replaced by a Core edition: retrying will not bring the session.
            self.repairs.update_core_refusal(True)
            self._set(reachable=False, flowing=True if reconnected else None)
            return
        except WahaError as err:
            # Unconfirmed (a refusal, then no answer) counts as unreachable too.
            LOGGER.debug("Session poll failed: %s", err)
            self._set(reachable=False, flowing=True if reconnected else None)
            return
        self.repairs.update_core_refusal(False)
        status_changed = session.raw_status != self.raw_status
        # A new event stream counts from WAHA's answer on, not before: the
        # status from before the outage must not make entities available.
        rose = self._set(session=session, flowing=True if reconnected else None)
        if not self.config.held:
            if not self._config_ok():
                # WAHA Core forgets session configs when it restarts: put ours back.
                try:
                    await self.async_ensure_config()
                except WahaError as err:
                    LOGGER.warning("Could not restore the WAHA session config: %s", err)
                return
            self.delivery.polled(status_changed=status_changed)
        if rose and not reconnected:
            self._on_available()

    # Our config in the session -----------------------------------------------------

    def _config_ok(self) -> bool:
        assert self.session is not None
        return self.config.satisfied(self.session, self.engine)

    async def async_ensure_config(self) -> None:
        """PUT our delivery into the session config when missing (WAHA restarts it)."""
        assert self.session is not None
        try:
            put = await self.config.async_put(
                self.session, self.engine, before=self.delivery.owe
            )
        except WahaError:
            self.delivery.forgive()
            raise
        if not put:
            return
        events = self._status_events
        session = await self._async_fetch()
        if session.status is SessionStatus.STOPPED:
            # WAHA starts no stopped session for a config change: no event is owed.
            self.delivery.forgive()
        elif events == self._status_events:
            # WAHA restarts the session on a PUT, even if this answer came first:
            # what is subscribed now would be lost, so wait for WORKING.
            starting = SessionStatus.STARTING
            session = replace(session, status=starting, raw_status=starting.value)
        self._set(session=session)
        self.config.kept(self.session, self.engine)

    # Events --------------------------------------------------------------------------

    @callback
    def handle_status_event(self, event: StatusEvent) -> None:
        """Take a `session.status` event, unless a newer one (or itself) came first."""
        if (event.timestamp, event.id) == self.status_stamp or (
            event.timestamp < self.status_stamp[0]
        ):
            LOGGER.debug("Ignoring a late %s status event", event.status.raw_status)
            return
        self.status_stamp = (event.timestamp, event.id)
        self._status_events += 1
        if self._set(
            status=(event.status.status, event.status.raw_status), reachable=True
        ):
            self._on_available()
            # The account's own presence is only in the session object.
            self.entry.async_create_background_task(
                self.hass, self.async_poll(), f"{DOMAIN} refresh session"
            )

    @callback
    def set_events_flowing(self, flowing: bool) -> None:
        """Record whether the event stream (WebSocket) is connected."""
        self._set(flowing=flowing)


async def _async_check_server(
    client: WahaClient, repairs: SessionRepairs
) -> dict[str, Any]:
    """Return WAHA's server answer; a WAHA too old is a setup error with a repair."""
    try:
        server = await client.server_version()
    except WahaNotFoundError as err:
        # Not "no such session": a proxy's answer, or no WAHA we know.
        raise WahaResponseError("WAHA has no /api/server/version") from err
    try:
        check_version(server, MIN_WAHA_VERSION)
    except WahaVersionError as err:
        repairs.update_version(err.version)
        raise
    repairs.update_version(None)
    return server


@callback
def _withdraw_reauth(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Abort the entry's reauth flow: WAHA takes its key again."""
    for flow in list(entry.async_get_active_flows(hass, {SOURCE_REAUTH})):
        LOGGER.info("WAHA accepts the API key again; re-authentication is withdrawn")
        hass.config_entries.flow.async_abort(flow["flow_id"])


def _log_edge(monitor: SessionMonitor, available: bool, *, first: bool) -> None:
    """Log why the session's entities became available or unavailable."""
    if available:
        if not first:
            LOGGER.info("WAHA session %s is available again", monitor.session_name)
    elif not monitor.reachable:
        LOGGER.info("WAHA at %s is unreachable", monitor.client.public_url)
    elif not monitor.events_flowing:
        LOGGER.info(
            "Lost the WebSocket to WAHA at %s; reconnecting", monitor.client.public_url
        )
    else:
        LOGGER.info(
            "WAHA session %s is %s: its entities are unavailable",
            monitor.session_name,
            monitor.raw_status,
        )
