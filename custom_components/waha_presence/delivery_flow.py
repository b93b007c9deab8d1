"""What the config, reconfigure and fix flows share: the delivery form and its check."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import probatio
from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_DELIVERY,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DELIVERY_WEBSOCKET,
    DOMAIN,
)
from .delivery_check import DeliveryOutcome, DeliveryTarget, async_check_delivery

if TYPE_CHECKING:
    from .coordinator import WahaConfigEntry

# The frontend listens for the end of a progress step only once it shows the step: a
# check that ends sooner (a refused config, a blocked WebSocket) would leave the
# dialog spinning for good. Against real WAHA a check that passes takes longer anyway.
MIN_PROGRESS = 2.0


def delivery_schema() -> probatio.Schema:
    """Return the form fields that choose a delivery: webhook (and its URL) or WebSocket."""
    return probatio.Schema(
        {
            probatio.Required(CONF_DELIVERY): SelectSelector(
                SelectSelectorConfig(
                    options=[DELIVERY_WEBHOOK, DELIVERY_WEBSOCKET],
                    translation_key=CONF_DELIVERY,
                    mode=SelectSelectorMode.LIST,
                )
            ),
            probatio.Optional(CONF_WEBHOOK_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL)
            ),
        }
    )


def webhook_url_error(url: str, webhook_id: str) -> str | None:
    """Return an error key unless `url` is a full URL of this entry's webhook."""
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        return "invalid_url"
    try:
        path = URL(url).path
    except ValueError:  # a port out of range, a broken IPv6 host
        return "invalid_url"
    # HA only answers on its webhook path, and we find our WAHA webhook by the id.
    if not path.rstrip("/").endswith(webhook.async_generate_path(webhook_id)):
        return "webhook_url_without_id"
    return None


class DeliveryCheck:
    """One flow's check: the task its progress step shows, and what it found."""

    def __init__(self) -> None:
        """Start with no check run."""
        self.target: DeliveryTarget | None = None
        self._task: asyncio.Task[DeliveryOutcome] | None = None

    @callback
    def start(
        self,
        hass: HomeAssistant,
        target: DeliveryTarget,
        entry: WahaConfigEntry | None = None,
    ) -> None:
        """Run a check of `target` in the background."""
        self.target = target
        self._task = hass.async_create_task(
            _async_shown(hass, target, entry), f"{DOMAIN} delivery check"
        )

    @property
    def task(self) -> asyncio.Task[DeliveryOutcome]:
        """Return the running (or finished) check."""
        assert self._task is not None
        return self._task

    @property
    def progress_action(self) -> str:
        """Return the translation key of the progress text."""
        assert self.target is not None
        return f"check_{self.target.delivery}"

    @property
    def outcome(self) -> DeliveryOutcome:
        """Return what the finished check found."""
        return self.task.result()


async def _async_shown(
    hass: HomeAssistant, target: DeliveryTarget, entry: WahaConfigEntry | None
) -> DeliveryOutcome:
    """Run the check, for at least MIN_PROGRESS seconds."""
    began = hass.loop.time()
    outcome = await async_check_delivery(hass, target, entry)
    await asyncio.sleep(max(0.0, MIN_PROGRESS - (hass.loop.time() - began)))
    return outcome
