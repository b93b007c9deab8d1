"""Which tracked chat a device is: for device triggers and conditions."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .coordinator import WahaConfigEntry, WahaCoordinator
from .models import is_group
from .presence import ChatState


def chat_id_of_device(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the chat id of a tracked chat's device; None for any other device."""
    if (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    for domain, value in device.identifiers:
        # A chat device is `<account id>_<chat id>`; the account device has no chat.
        if domain == DOMAIN and (chat_id := value.partition("_")[2]):
            return chat_id
    return None


def is_group_device(hass: HomeAssistant, device_id: str) -> bool | None:
    """Return True for a group's device, False for a contact's, None otherwise."""
    chat_id = chat_id_of_device(hass, device_id)
    return None if chat_id is None else is_group(chat_id)


def chat_of_device(
    hass: HomeAssistant, device_id: str
) -> tuple[WahaCoordinator, ChatState] | None:
    """Return the tracked chat a device stands for, while its entry is loaded."""
    if (chat_id := chat_id_of_device(hass, device_id)) is None:
        return None
    device = dr.async_get(hass).async_get(device_id)
    assert device is not None
    entry: WahaConfigEntry | None = hass.config_entries.async_get_entry(
        device.config_entry_id
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    coordinator = entry.runtime_data.coordinator
    if (chat := coordinator.chats.get(chat_id)) is None:
        return None
    return coordinator, chat
