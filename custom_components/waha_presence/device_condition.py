"""Device conditions: is a tracked contact online, offline or typing."""

from __future__ import annotations

from collections.abc import Callable

import probatio

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.config_validation import DEVICE_CONDITION_BASE_SCHEMA
from homeassistant.helpers.typing import ConfigType, TemplateVarsType

from .const import DOMAIN
from .devices import chat_of_device, is_group_device
from .models import PresenceStatus

TESTS: dict[str, Callable[[PresenceStatus], bool]] = {
    "is_online": lambda presence: presence.is_active,
    "is_offline": lambda presence: presence is PresenceStatus.OFFLINE,
    "is_typing": lambda presence: presence is PresenceStatus.TYPING,
}

CONDITION_SCHEMA = DEVICE_CONDITION_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(list(TESTS))}
)


async def async_get_conditions(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the conditions of a tracked contact's device."""
    if is_group_device(hass, device_id) is not False:
        return []
    return [
        {
            CONF_CONDITION: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: condition_type,
        }
        for condition_type in TESTS
    ]


@callback
def async_condition_from_config(
    hass: HomeAssistant, config: ConfigType
) -> ConditionCheckerType:
    """Return a check of the contact's presence as its entities show it now."""
    device_id: str = config[CONF_DEVICE_ID]
    test = TESTS[config[CONF_TYPE]]

    def check(hass: HomeAssistant, variables: TemplateVarsType = None) -> bool:
        if (found := chat_of_device(hass, device_id)) is None:
            return False
        coordinator, chat = found
        presence = chat.contact.presence
        # Unknown or unavailable, as the entities then show, is neither.
        return coordinator.available and presence is not None and test(presence)

    return check
