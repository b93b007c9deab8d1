"""Select: the account's own presence, online or offline."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import WahaConfigEntry
from .entity import WahaEntity
from .exceptions import WahaError
from .ha_errors import translate_error
from .models import PresenceStatus

PARALLEL_UPDATES = 1

# `unknown` is listed so that the control shows it translated (WAHA knows no
# presence of the account until one is set after the session starts); it cannot
# be picked.
ACCOUNT_PRESENCE = SelectEntityDescription(
    key="account_presence",
    translation_key="account_presence",
    options=[PresenceStatus.ONLINE.value, PresenceStatus.OFFLINE.value, STATE_UNKNOWN],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WahaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account presence control."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([WahaAccountPresenceSelect(coordinator, ACCOUNT_PRESENCE)])


class WahaAccountPresenceSelect(WahaEntity, SelectEntity):
    """Shows and sets whether the account appears online."""

    @property
    def available(self) -> bool:
        """Return True while the session is WORKING."""
        return self.coordinator.available

    @property
    def current_option(self) -> str | None:
        """Return the account's last-set presence."""
        presence = self.coordinator.monitor.account_presence
        return presence.value if presence else None

    async def async_select_option(self, option: str) -> None:
        """Set the account online or offline, then re-read it."""
        if option == STATE_UNKNOWN:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="account_presence_unknown"
            )
        coordinator = self.coordinator
        try:
            await coordinator.client.set_presence(
                coordinator.session_name, PresenceStatus(option)
            )
        except WahaError as err:
            raise translate_error(err) from err
        await coordinator.async_refresh_session()
