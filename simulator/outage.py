"""WhatsApp out of reach: the engine's reconnect loop, as NOWEB plays it."""

from __future__ import annotations

from typing import Any

from .const import FAILED, SCAN_QR_CODE, STARTING, WORKING
from .runtime import SimRuntime
from .state import SimSession

# WAHA 2026.2.1 NOWEB without a network: STARTING about every 2 s, FAILED after 60.
RECONNECT_SECONDS = 2.0
RECONNECT_ATTEMPTS = 60


class SimOutage(SimRuntime):
    """Plays a session whose WhatsApp is unreachable while WAHA itself answers."""

    sessions: dict[str, SimSession]

    async def transition(
        self, session: SimSession, status: str, data: Any = None
    ) -> dict[str, Any] | None:
        """Set a status and emit it (the world's rule)."""
        raise NotImplementedError

    def lose_whatsapp(
        self,
        session: str,
        *,
        every: float = RECONNECT_SECONDS,
        attempts: int = RECONNECT_ATTEMPTS,
    ) -> None:
        """Cut a session off WhatsApp: STARTING every `every` s, FAILED after `attempts`."""
        sim_session = self.sessions[session]
        self.end_outage(sim_session)
        # A new connection is a new engine client: subscriptions are gone.
        sim_session.subscriptions.clear()
        sim_session.outage = self.spawn(self._reconnect(sim_session, every, attempts))

    async def reach_whatsapp(self, session: str) -> None:
        """Give WhatsApp back: the next attempt connects and the session works."""
        sim_session = self.sessions[session]
        self.end_outage(sim_session)
        if sim_session.status == STARTING:
            status = WORKING if sim_session.me else SCAN_QR_CODE
            await self.transition(sim_session, status)

    @staticmethod
    def end_outage(session: SimSession) -> None:
        """Stop the reconnect loop, if one runs (a stop or restart ends it)."""
        if session.outage is not None:
            session.outage.cancel()
            session.outage = None

    async def _reconnect(
        self, session: SimSession, every: float, attempts: int
    ) -> None:
        """Fail to connect `attempts` times, announcing each try, then give up."""
        for _ in range(attempts):
            await self.transition(session, STARTING)
            await self.pause(every)
        session.outage = None
        await self.transition(session, FAILED)
