"""Base entities: the account device and one device per tracked chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .listeners import ChatUpdate
from .presence import ChatState, PresenceChange

if TYPE_CHECKING:
    # The coordinator imports this module to name devices: typing only, here.
    from .coordinator import WahaCoordinator


def chat_device_identifier(account_id: str, chat_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a tracked chat."""
    return (DOMAIN, f"{account_id}_{chat_id}")


def account_device(coordinator: WahaCoordinator) -> DeviceInfo:
    """Return the device of the WhatsApp account behind the session."""
    me = coordinator.monitor.session.me if coordinator.monitor.session else None
    number = coordinator.account_id.split("@", 1)[0]
    return DeviceInfo(
        identifiers={(DOMAIN, coordinator.account_id)},
        name=(me.push_name if me and me.push_name else None) or f"WhatsApp +{number}",
        manufacturer="WhatsApp",
        model=f"WAHA session {coordinator.session_name}",
        model_id=coordinator.monitor.engine,
        configuration_url=coordinator.client.public_url + "/dashboard",
    )


def chat_device(coordinator: WahaCoordinator, chat: ChatState) -> DeviceInfo:
    """Return a tracked chat's device: who it is, and a link to chat with them."""
    info = DeviceInfo(
        identifiers={chat_device_identifier(coordinator.account_id, chat.chat_id)},
        name=chat.name,
        manufacturer="WhatsApp",
        model="Group" if chat.is_group else "Contact",
        via_device_id=coordinator.account_device_id,
    )
    # A LID is no phone number: a contact tracked by one shows none.
    if (number := phone_of(chat)) is not None:
        info["serial_number"], info["configuration_url"] = _number_fields(number)
    return info


def _number_fields(number: str) -> tuple[str, str]:
    """Return a contact device's serial number and link for a phone number."""
    return f"+{number}", f"https://wa.me/{number}"


def phone_of(chat: ChatState) -> str | None:
    """Return a contact's phone number (digits), when its id or known alias has it."""
    for chat_id in (chat.chat_id, chat.alias):
        if chat_id and chat_id.endswith("@c.us"):
            return chat_id.split("@", 1)[0]
    return None


@callback
def async_show_learned_numbers(
    hass: HomeAssistant, account_id: str, chats: list[ChatState]
) -> None:
    """Give the devices of contacts tracked by LID the number WAHA has told since."""
    registry = dr.async_get(hass)
    for chat in chats:
        device = registry.async_get_device(
            identifiers={chat_device_identifier(account_id, chat.chat_id)}
        )
        # None before the chat's entities made the device: it gets the number then.
        if device is None or (number := phone_of(chat)) is None:
            continue
        serial_number, configuration_url = _number_fields(number)
        registry.async_update_device(
            device.id, serial_number=serial_number, configuration_url=configuration_url
        )


class WahaEntity(Entity):
    """An entity of the account device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _shown: tuple[object, ...] = ()

    def __init__(
        self, coordinator: WahaCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the account device."""
        self.coordinator = coordinator
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.account_id}_{description.key}"
        self._attr_device_info = account_device(coordinator)

    @property
    def available(self) -> bool:
        """Return True while WAHA answers: the session status is WAHA's to tell."""
        return self.coordinator.monitor.reachable

    async def async_added_to_hass(self) -> None:
        """Follow session changes."""
        # Home Assistant writes this state right after this method returns.
        self._shown = self._showing()
        self.async_on_remove(
            self.coordinator.listeners.async_add_session_listener(
                self._async_session_changed
            )
        )

    def _showing(self) -> tuple[object, ...]:
        """Return what the state machine would get from this entity now."""
        if not self.available:
            return (False,)
        return (True, self.state, self.extra_state_attributes)

    @callback
    def _async_session_changed(self) -> None:
        """Write the state only when this entity's part of the session changed."""
        if (shown := self._showing()) != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class WahaChatEntity(Entity):
    """An entity of a tracked chat's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        coordinator: WahaCoordinator,
        chat: ChatState,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to the chat's device, linked to the account."""
        self.coordinator = coordinator
        self.chat = chat
        self.entity_description = description
        account = coordinator.account_id
        self._attr_unique_id = f"{account}_{chat.chat_id}_{description.key}"
        self._attr_device_info = chat_device(coordinator, chat)

    async def async_added_to_hass(self) -> None:
        """Follow this chat's presence, and nothing else."""
        # Available while the session is WORKING and WAHA answers. Kept in an
        # `_attr_`, which HA reads without a call on every write; it changes only
        # with a flip, and a flip rewrites every chat (`_async_write_availability`).
        self._attr_available = self.coordinator.available
        self.async_on_remove(
            self.coordinator.listeners.async_add_chat_listener(
                self.chat.chat_id, self._async_handle_change
            )
        )

    def _wants(self, change: PresenceChange) -> bool:
        """Return True when `change` alters what this entity shows."""
        return change.presence_changed

    @callback
    def _async_handle_change(self, update: ChatUpdate | None) -> None:
        """Write the state once; `update` is None when availability changed."""
        if update is None:
            self._async_write_availability()
            return
        for change in update.changes:
            if self._wants(change):
                self._async_write_change(update)
                return

    @callback
    def _async_write_change(self, update: ChatUpdate) -> None:
        """Write the state under the context of the event that changed it."""
        self.async_set_context(update.context)
        self.async_write_ha_state()

    @callback
    def _async_write_availability(self) -> None:
        """Write the state under a context of its own, not the last event's."""
        self._attr_available = self.coordinator.available
        # HA keeps a set context for later writes for a few seconds.
        self.async_set_context(Context())
        self.async_write_ha_state()
