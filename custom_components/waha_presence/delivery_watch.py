"""Notice when WAHA stops reaching our webhook, without judging a quiet account."""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback

from .const import LOGGER
from .session_config import masked_webhook_url

if TYPE_CHECKING:
    from .repairs import SessionRepairs

# Webhook delivery is judged only when WAHA owes us an event. WAHA sends
# `session.status` to our webhook on every restart and status change, so after our
# own config PUT (it restarts the session), or after a poll finds a status that no
# event told us about, an event must follow. If none has come by the second poll
# after (60-120 s, WAHA's first retries included), WAHA cannot reach us. A quiet
# account owes nothing: presence can stay silent for days and is never judged.
GRACE_POLLS = 2


class DeliveryWatch:
    """The last event through our delivery, and whether WAHA still reaches us."""

    def __init__(
        self,
        repairs: SessionRepairs,
        session_name: str,
        *,
        webhook_id: str,
        webhook: dict[str, Any] | None,
        on_change: Callable[[], None],
    ) -> None:
        """Watch webhook delivery; WebSocket delivery shows as availability instead."""
        self._repairs = repairs
        self._session_name = session_name
        self._url = masked_webhook_url(webhook["url"], webhook_id) if webhook else None
        self._on_change = on_change
        # When the last event came (seconds since the epoch).
        self.last_event: float | None = None
        # Polls since WAHA owed us an event; None while it owes none.
        self._owed_polls: int | None = None
        if webhook is None:
            repairs.update_delivery(False)
        # The issue outlives reloads: no setup can tell whether WAHA reaches us.
        self.in_doubt = repairs.delivery_raised

    @callback
    def event(self) -> None:
        """Record an event that came through our delivery: it works."""
        self.last_event = time.time()
        self._owed_polls = None
        if self.in_doubt:
            self._set_doubt(False)

    @callback
    def owe(self) -> None:
        """WAHA is about to restart the session for us: a status event must follow."""
        if self._url is not None:
            self._owed_polls = 0

    @callback
    def forgive(self) -> None:
        """No event is owed after all (the PUT failed, or the session stays stopped)."""
        self._owed_polls = None

    @callback
    def polled(self, *, status_changed: bool) -> None:
        """Count a poll; a status no event announced makes WAHA owe one."""
        if self._url is None:
            return
        if self._owed_polls is None:
            if status_changed:
                self._owed_polls = 0
            return
        self._owed_polls += 1
        if self._owed_polls >= GRACE_POLLS:
            self._owed_polls = None
            self._set_doubt(True)

    def _set_doubt(self, doubt: bool) -> None:
        """Raise or clear the issue; entities keep showing what they know."""
        self.in_doubt = doubt
        self._repairs.update_delivery(doubt, self._url or "")
        if doubt:
            LOGGER.warning(
                "WAHA session %s sent no event to Home Assistant although it should "
                "have: WAHA probably cannot reach the webhook URL",
                self._session_name,
            )
        else:
            LOGGER.info("Events from WAHA session %s arrive again", self._session_name)
        self._on_change()
