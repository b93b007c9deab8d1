"""Profile pictures of tracked chats: read in the background, refreshed rarely."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from yarl import URL

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import WahaClient
from .const import DOMAIN, LOGGER
from .exceptions import WahaConnectionError, WahaError, WahaSessionNotReadyError
from .presence import ChatState

# WAHA caches a link for 24 h; reading it more often would bring nothing new.
PICTURE_REFRESH = timedelta(hours=24)
PICTURE_CHECK_INTERVAL = timedelta(hours=1)
# A link WhatsApp lets expire within this margin is replaced before it breaks.
EXPIRY_MARGIN = timedelta(hours=2)
PICTURE_CONCURRENCY = 2
# Chats asked of the chats overview at once. WAHA looks a page's pictures up in
# parallel, so a cold cache sends WhatsApp this many lookups together: WAHA's own
# default page size keeps that burst modest (and the GET URL short).
OVERVIEW_PAGE = 20


def link_expiry(url: str) -> datetime | None:
    """Return when a WhatsApp CDN link stops loading (its hex `oe`), if it says."""
    try:
        return datetime.fromtimestamp(int(URL(url).query["oe"], 16), tz=UTC)
    except KeyError, ValueError, OverflowError, OSError:
        return None


class PictureKeeper:
    """Keeps each tracked chat's picture link fresh, and tells its entities."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: WahaClient,
        session_name: str,
        chats: dict[str, ChatState],
        *,
        enabled: bool,
    ) -> None:
        """Start with no links read; `chats` is the tracker's live mapping."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.session_name = session_name
        self.chats = chats
        self.enabled = enabled
        self._due: dict[str, datetime] = {}
        self._reading: set[str] = set()
        # Chats whose read failed while WAHA or the session was down.
        self._failed: set[str] = set()
        self._listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._unsub_timer: CALLBACK_TYPE | None = None

    @callback
    def async_add_listener(
        self, chat_id: str, listener: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call `listener` when the chat's picture changes."""
        listeners = self._listeners.setdefault(chat_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_start(self) -> None:
        """Read the pictures in the background, then check hourly what is due."""
        if not self.enabled or self._unsub_timer is not None:
            return
        self._unsub_timer = async_track_time_interval(
            self.hass,
            self._async_timer,
            PICTURE_CHECK_INTERVAL,
            name=f"{DOMAIN} pictures",
            cancel_on_shutdown=True,
        )
        self.async_check()

    @callback
    def _async_timer(self, _now: datetime) -> None:
        self.async_check()

    @callback
    def async_stop(self) -> None:
        """Stop the hourly check."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def async_set_enabled(self, enabled: bool) -> None:
        """Turn pictures on, or off: then every picture is dropped at once."""
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if enabled:
            self.async_start()
            return
        self.async_stop()
        self._due.clear()
        for chat in self.chats.values():
            self._show(chat, None)

    @callback
    def async_check(self) -> None:
        """Read, in the background, every picture that is due (new chats at once)."""
        if not self.enabled:
            return
        for chat_id in set(self._due) - set(self.chats):
            del self._due[chat_id]
        now = dt_util.utcnow()
        due = [
            chat_id
            for chat_id in self.chats
            if chat_id not in self._reading and self._due.get(chat_id, now) <= now
        ]
        if not due:
            return
        self._reading.update(due)
        self.entry.async_create_background_task(
            self.hass, self._async_read_all(due), f"{DOMAIN} read pictures"
        )

    @callback
    def async_retry_failed(self) -> None:
        """Read now what failed while WAHA or the session was down."""
        for chat_id in self._failed:
            self._due.pop(chat_id, None)
        self._failed.clear()
        self.async_check()

    async def _async_read_all(self, chat_ids: list[str]) -> None:
        """Read due pictures a page at a time from the overview, the rest singly."""
        try:
            for start in range(0, len(chat_ids), OVERVIEW_PAGE):
                page = chat_ids[start : start + OVERVIEW_PAGE]
                await self._async_read_page(page)
                self._reading.difference_update(page)
        finally:
            self._reading.difference_update(chat_ids)

    async def _async_read_page(self, chat_ids: list[str]) -> None:
        """Read a page of links in one request; ask singly for what it lacks."""
        now = dt_util.utcnow()
        try:
            found = await self.client.chat_pictures(self.session_name, chat_ids)
        except (WahaConnectionError, WahaSessionNotReadyError) as err:
            LOGGER.debug("Cannot read pictures yet: %s", err)
            self._failed.update(chat_ids)
            for chat_id in chat_ids:
                self._after_failure(chat_id, now, PICTURE_CHECK_INTERVAL)
            return
        except WahaError as err:
            LOGGER.debug("Chats overview gives no pictures, reading singly: %s", err)
            found = {}
        singles: list[tuple[str, bool]] = []
        for chat_id in chat_ids:
            if chat_id not in found:
                # No chat with them yet: the overview does not list it.
                singles.append((chat_id, False))
            elif (url := found[chat_id]) is not None and _expires_by(
                url, now + EXPIRY_MARGIN
            ):
                singles.append((chat_id, True))
            else:
                self._apply(chat_id, now, url)
        # WhatsApp rate-limits lookups: a few at a time.
        limit = asyncio.Semaphore(PICTURE_CONCURRENCY)

        async def read(chat_id: str, expiring: bool) -> None:
            async with limit:
                await self._async_read(chat_id, expiring=expiring)

        await asyncio.gather(*(read(chat_id, exp) for chat_id, exp in singles))

    async def _async_read(self, chat_id: str, *, expiring: bool) -> None:
        """Read one chat's link; a link about to expire is asked of WhatsApp anew."""
        now = dt_util.utcnow()
        try:
            if not expiring:
                url = await self.client.profile_picture(self.session_name, chat_id)
                expiring = url is not None and _expires_by(url, now + EXPIRY_MARGIN)
            if expiring:
                url = await self.client.profile_picture(
                    self.session_name, chat_id, refresh=True
                )
        except (WahaConnectionError, WahaSessionNotReadyError) as err:
            LOGGER.debug("Cannot read the picture of %s yet: %s", chat_id, err)
            self._failed.add(chat_id)
            self._after_failure(chat_id, now, PICTURE_CHECK_INTERVAL)
            return
        except WahaError as err:
            # WAHA refused: asking again every hour would not change its mind.
            LOGGER.debug("WAHA gives no picture of %s: %s", chat_id, err)
            self._after_failure(chat_id, now, PICTURE_REFRESH)
            return
        self._apply(chat_id, now, url)

    @callback
    def _apply(self, chat_id: str, now: datetime, url: str | None) -> None:
        """Show a link read at `now`, and set when to read it again."""
        self._failed.discard(chat_id)
        if not self.enabled or (chat := self.chats.get(chat_id)) is None:
            return
        due = now + PICTURE_REFRESH
        if url is not None and (expiry := link_expiry(url)) is not None:
            # Even a link that expires early is not asked for more than hourly.
            due = max(min(due, expiry - EXPIRY_MARGIN), now + PICTURE_CHECK_INTERVAL)
        self._due[chat_id] = due
        self._show(chat, url)

    @callback
    def _after_failure(self, chat_id: str, now: datetime, retry: timedelta) -> None:
        """Try again later; a link that expires by then is dropped, not shown broken."""
        if not self.enabled or (chat := self.chats.get(chat_id)) is None:
            return
        self._due[chat_id] = now + retry
        if chat.picture is not None and _expires_by(chat.picture, now + retry):
            self._show(chat, None)

    @callback
    def _show(self, chat: ChatState, url: str | None) -> None:
        """Keep the link on the chat and tell its entities, if it changed."""
        if chat.picture == url:
            return
        chat.picture = url
        for listener in list(self._listeners.get(chat.chat_id, ())):
            listener()


def _expires_by(url: str, moment: datetime) -> bool:
    """Return True when the link says it stops loading before `moment`."""
    expiry = link_expiry(url)
    return expiry is not None and expiry <= moment
