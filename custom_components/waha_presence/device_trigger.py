"""Device triggers: a contact came online, went offline, typed; a group member typed."""

from __future__ import annotations

from typing import Any

import probatio

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_NAME,
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .activity import CONTACT_TRIGGERS, GROUP_TRIGGERS, Rule
from .const import (
    ATTR_GROUP,
    ATTR_PRESENCE,
    ATTR_PREVIOUS,
    DOMAIN,
    EVENT_PRESENCE_CHANGED,
)
from .devices import is_group_device
from .models import PresenceStatus

RULES: dict[str, Rule] = CONTACT_TRIGGERS | GROUP_TRIGGERS

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(list(RULES))}
)


def _types_for(hass: HomeAssistant, device_id: str) -> list[str]:
    """Return the trigger types a device offers."""
    match is_group_device(hass, device_id):
        case True:
            return list(GROUP_TRIGGERS)
        case False:
            return list(CONTACT_TRIGGERS)
    return []


async def async_validate_trigger_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Check the schema, and that the device offers this trigger."""
    config = TRIGGER_SCHEMA(config)
    if config[CONF_TYPE] not in _types_for(hass, config[CONF_DEVICE_ID]):
        raise InvalidDeviceAutomationConfig(
            translation_domain=DOMAIN,
            translation_key="invalid_trigger",
            translation_placeholders={"type": config[CONF_TYPE]},
        )
    return config


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """List the triggers of a tracked contact's or group's device."""
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in _types_for(hass, device_id)
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run `action` on each presence change of the device that fits the type."""
    device_id: str = config[CONF_DEVICE_ID]
    trigger_type: str = config[CONF_TYPE]
    rule = RULES[trigger_type]
    job = HassJob(action, f"{DOMAIN} device trigger {trigger_info}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def matches(data: dict[str, Any]) -> bool:
        previous = data[ATTR_PREVIOUS]
        return data[ATTR_DEVICE_ID] == device_id and rule(
            PresenceStatus(previous) if previous else None,
            PresenceStatus(data[ATTR_PRESENCE]),
        )

    @callback
    def fire(event: Event[dict[str, Any]]) -> None:
        variables = {
            "trigger": {
                **trigger_data,
                "platform": "device",
                "domain": DOMAIN,
                "device_id": device_id,
                "type": trigger_type,
                "event": event,
                "description": _description(event.data, trigger_type),
            }
        }
        # After the entities of this change have written their states.
        hass.loop.call_soon(hass.async_run_hass_job, job, variables, event.context)

    return hass.bus.async_listen(EVENT_PRESENCE_CHANGED, fire, event_filter=matches)


def _description(data: dict[str, Any], trigger_type: str) -> str:
    """Say what happened as the logbook does: "Carol started typing in Family"."""
    what = f"{data[ATTR_NAME]} {trigger_type.removeprefix('member_').replace('_', ' ')}"
    if group := data.get(ATTR_GROUP):
        return f"{what} in {group}"
    return what
