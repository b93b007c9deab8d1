"""The LID directory: contacts' other ids learned from WAHA in bulk, asked again rarely."""

from __future__ import annotations

from collections.abc import Callable
import time

from .api import WahaClient
from .const import LOGGER
from .exceptions import WahaConnectionError, WahaError, WahaResponseError
from .models import WahaParseError, normalize_chat_id
from .presence import ChatState, PresenceTracker

LID_PAGE = 1000
# A contact may have no LID for a while (WhatsApp maps it later): while some
# contact has none, the list is read again this rarely, not on every renewal.
RECHECK_SECONDS = 6 * 3600


class LidDirectory:
    """Reads WAHA's LID list and teaches the tracker each contact's other id."""

    def __init__(
        self,
        client: WahaClient,
        session_name: str,
        tracker: PresenceTracker,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start with nothing read."""
        self.client = client
        self.session_name = session_name
        self.tracker = tracker
        self._clock = clock
        self._read_at: float | None = None

    def forget(self) -> None:
        """Read the list on the next pass again (new chats are tracked)."""
        self._read_at = None

    async def async_learn(self, chats: list[ChatState]) -> list[ChatState]:
        """Learn contacts' other ids, unless read lately; return LID ones numbered."""
        if not any(chat.alias is None and not chat.is_group for chat in chats):
            return []
        if self._read_at is not None and (
            self._clock() - self._read_at < RECHECK_SECONDS
        ):
            return []
        try:
            pairs = await self._async_read()
        except (WahaConnectionError, WahaResponseError) as err:
            # No answer, or a 5xx: another pass may do better.
            LOGGER.debug("No LID list from WAHA now: %s", err)
            return []
        except WahaError as err:
            # Refused (NOWEB without its store, say): as refused next time.
            LOGGER.debug("WAHA keeps its LID list to itself: %s", err)
            self._read_at = self._clock()
            return []
        self._read_at = self._clock()
        numbered: list[ChatState] = []
        for lid, phone in pairs:
            # Whichever of the two ids a contact is tracked under learns the other.
            if self.tracker.tracked_chat_id(phone) == phone:
                self.tracker.learn_alias(phone, lid)
            elif self.tracker.tracked_chat_id(lid) == lid and self.tracker.learn_alias(
                lid, phone
            ):
                numbered.append(self.tracker.chats[lid])
        return numbered

    async def _async_read(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        offset = 0
        while True:
            page = await self.client.lid_pairs(
                self.session_name, limit=LID_PAGE, offset=offset
            )
            for lid, phone in page:
                if phone is None:
                    continue
                try:
                    pairs.append((normalize_chat_id(lid), normalize_chat_id(phone)))
                except WahaParseError:
                    continue
            if len(page) < LID_PAGE:
                return pairs
            offset += LID_PAGE
