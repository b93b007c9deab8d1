"""Logbook: one sentence per presence change, with the person's name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .activity import Activity
from .const import ATTR_ACTIVITY, ATTR_GROUP, DOMAIN, EVENT_PRESENCE_CHANGED

# The logbook writes its own lines in English, as Home Assistant's do.
MESSAGES: dict[Activity, tuple[str, str]] = {
    Activity.CAME_ONLINE: ("came online", "mdi:account-check"),
    Activity.IS_ONLINE: ("is online", "mdi:account-check"),
    Activity.WENT_OFFLINE: ("went offline", "mdi:account-off-outline"),
    Activity.STARTED_TYPING: ("started typing", "mdi:keyboard"),
    Activity.STARTED_RECORDING: ("started recording", "mdi:microphone"),
    Activity.STOPPED_TYPING: ("stopped typing", "mdi:keyboard-off"),
    Activity.STOPPED_RECORDING: ("stopped recording", "mdi:microphone-off"),
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the presence change event."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        data: Mapping[str, Any] = event.data
        message, icon = MESSAGES[Activity(data[ATTR_ACTIVITY])]
        if group := data.get(ATTR_GROUP):
            message = f"{message} in {group}"
        return {
            LOGBOOK_ENTRY_NAME: data[ATTR_NAME],
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ICON: icon,
        }

    async_describe_event(DOMAIN, EVENT_PRESENCE_CHANGED, describe)
