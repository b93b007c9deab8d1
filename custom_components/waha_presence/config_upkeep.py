"""Config upkeep: our delivery kept in the WAHA session config, without a restart loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api import WahaClient
from .const import LOGGER
from .exceptions import WahaBadRequestError, WahaConfigRejectedError
from .models import SessionInfo
from .session_config import config_satisfied, desired_config


class ConfigUpkeep:
    """Puts our webhook (and WEBJS's tagsEventsOn) into the session config once."""

    def __init__(
        self,
        client: WahaClient,
        session_name: str,
        *,
        webhook_id: str,
        webhook: dict[str, Any] | None,
    ) -> None:
        """Keep what the config must hold."""
        self.client = client
        self.session_name = session_name
        self._webhook_id = webhook_id
        self._webhook = webhook
        # A PUT WAHA accepted but whose result it did not keep.
        self._put = False
        self._warned = False
        # Delivery checks under way, which change the config and put it back.
        self._holds = 0

    @property
    def held(self) -> bool:
        """Return True while a delivery check has the config: leave it alone."""
        return self._holds > 0

    def hold(self) -> Callable[[], None]:
        """Hold the config for a delivery check; return the release."""
        self._holds += 1

        def release() -> None:
            self._holds -= 1

        return release

    def satisfied(self, session: SessionInfo, engine: str | None) -> bool:
        """Return True when the parts of the session config we own are in place."""
        return config_satisfied(
            session.config,
            webhook_id=self._webhook_id,
            webhook=self._webhook,
            engine=engine,
        )

    async def async_put(
        self,
        session: SessionInfo,
        engine: str | None,
        *,
        before: Callable[[], None] = lambda: None,
    ) -> bool:
        """
        PUT our config when it is missing (WAHA restarts the session); True if so.

        `before` runs just before the request: WAHA may send the restart's events
        before it answers.
        """
        if self.satisfied(session, engine):
            self._put = False
            return False
        if self._put:
            # WAHA dropped what we sent (an older WAHA without tagsEventsOn,
            # say): restarting the session every minute would not help.
            if not self._warned:
                LOGGER.warning(
                    "WAHA session %s does not keep the config Home Assistant needs; "
                    "check its webhooks (and webjs.tagsEventsOn for WEBJS)",
                    self.session_name,
                )
                self._warned = True
            return False
        LOGGER.info(
            "Updating the config of WAHA session %s; WAHA restarts it",
            self.session_name,
        )
        before()
        try:
            await self.client.update_session_config(
                self.session_name,
                desired_config(
                    session.config,
                    webhook_id=self._webhook_id,
                    webhook=self._webhook,
                    engine=engine,
                ),
            )
        except WahaBadRequestError as err:
            raise WahaConfigRejectedError(err.detail) from err
        # Only a PUT WAHA accepted counts: a failed one is tried again next poll.
        self._put = True
        return True

    def kept(self, session: SessionInfo, engine: str | None) -> None:
        """Take WAHA's answer after our PUT: it may not have kept what we sent."""
        if self.satisfied(session, engine):
            self._put = False
