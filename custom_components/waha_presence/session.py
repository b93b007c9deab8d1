"""The session monitor: WAHA's session status, reachability and our config in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .api import WahaClient
from .const import DOMAIN, LOGGER
from .delivery_watch import DeliveryWatch
from .exceptions import (
    WahaAuthError,
    WahaBadRequestError,
    WahaConfigRejectedError,
    WahaError,
)
from .models import PresenceStatus, SessionInfo, SessionStatus, StatusEvent
from .repairs import SessionRepairs
from .session_config import config_satisfied, desired_config, store_missing

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
            hass, entry.entry_id, session_name, client.public_url
        )
        self._webhook_id = webhook_id
        self._webhook = webhook
        self._on_change = on_change
        self._on_available = on_available
        self.session: SessionInfo | None = None
        self.status = SessionStatus.UNKNOWN
        self.raw_status: str | None = None
        self.reachable = True
        # False while the WebSocket that brings our events is down.
        self.events_flowing = True
        self._was_available: bool | None = None
        self._status_ts = 0
        self._status_events = 0
        self._config_put = False
        self._config_warned = False
        self._unsub_watchdog: CALLBACK_TYPE | None = None
        self._held = 0
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
        return self.session.engine if self.session else None

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
        before = (self.status, self.raw_status, self.reachable, self.events_flowing)
        if session is not None:
            # WAHA answered: it is reachable, and this is the status it gave.
            self.session = session
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
        if session is None and before == (
            self.status,
            self.raw_status,
            self.reachable,
            self.events_flowing,
        ):
            return False
        available = self.available
        flipped = available != self._was_available
        if flipped:
            self._log_edge(available)
        rose = available and self._was_available is False
        self._was_available = available
        self._on_change(flipped)
        return rose

    def _log_edge(self, available: bool) -> None:
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

    # Reading the session -----------------------------------------------------------

    async def async_initialize(self) -> None:
        """Read the session once; errors propagate to setup."""
        self._set(session=await self._async_fetch())

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

    async def async_poll(self, *, reconnected: bool = False) -> None:
        """Read the session now; after a reconnect the caller subscribes itself."""
        try:
            session = await self._async_fetch()
        except WahaAuthError:
            self._set(reachable=False, flowing=True if reconnected else None)
            self.entry.async_start_reauth(self.hass)
            return
        except WahaError as err:
            LOGGER.debug("Session poll failed: %s", err)
            self._set(reachable=False, flowing=True if reconnected else None)
            return
        status_changed = session.raw_status != self.raw_status
        # A new event stream counts from WAHA's answer on, not before: the
        # status from before the outage must not make entities available.
        rose = self._set(session=session, flowing=True if reconnected else None)
        if not self._held:
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
        return config_satisfied(
            self.session.config,
            webhook_id=self._webhook_id,
            webhook=self._webhook,
            engine=self.engine,
        )

    async def async_ensure_config(self) -> None:
        """PUT our delivery into the session config when missing (WAHA restarts it)."""
        assert self.session is not None
        if self._config_ok():
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
        # Owed from before the PUT: WAHA may send the restart's events before it answers.
        self.delivery.owe()
        try:
            await self.client.update_session_config(
                self.session_name,
                desired_config(
                    self.session.config,
                    webhook_id=self._webhook_id,
                    webhook=self._webhook,
                    engine=self.engine,
                ),
            )
        except WahaError as err:
            self.delivery.forgive()
            if isinstance(err, WahaBadRequestError):
                raise WahaConfigRejectedError(err.detail) from err
            raise
        # Only a PUT WAHA accepted counts: a failed one is tried again next poll.
        self._config_put = True
        self._set(session=await self._async_fetch())
        if self.status is SessionStatus.STOPPED:
            # WAHA starts no stopped session for a config change: no event is owed.
            self.delivery.forgive()
        if self._config_ok():
            self._config_put = False

    # Events --------------------------------------------------------------------------

    @callback
    def handle_status_event(self, event: StatusEvent) -> None:
        """Take a `session.status` event, unless a newer one came first."""
        if event.timestamp < self._status_ts:
            LOGGER.debug("Ignoring a late %s status event", event.status.raw_status)
            return
        self._status_ts = event.timestamp
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

    # Delivery checks -----------------------------------------------------------------

    @callback
    def async_hold_config(self) -> CALLBACK_TYPE:
        """Leave the session config (and delivery) alone while a check changes it."""
        self._held += 1

        @callback
        def release() -> None:
            self._held -= 1

        return release
