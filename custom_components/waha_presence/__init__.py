"""WhatsApp presence from WAHA in Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import ClientSession

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import WahaClient
from .const import (
    CONF_ACCOUNT_ID,
    CONF_DELIVERY,
    CONF_HMAC_KEY,
    CONF_RESUBSCRIBE_MINUTES,
    CONF_SESSION,
    CONF_SHOW_PICTURES,
    CONF_WEBHOOK_URL,
    DEFAULT_RESUBSCRIBE_MINUTES,
    DEFAULT_SHOW_PICTURES,
    DELIVERY_WEBHOOK,
    DOMAIN,
    LOGGER,
)
from .coordinator import WahaConfigEntry, WahaCoordinator, WahaRuntimeData
from .delivery_check import delivery_issue_id
from .entity import account_device
from .exceptions import (
    WahaAuthError,
    WahaConfigRejectedError,
    WahaCoreSessionError,
    WahaError,
    WahaNotFoundError,
    WahaVersionError,
)
from .listeners import async_remove_entities_in_batches
from .ordering_store import store_for
from .repairs import async_delete_setup_issues
from .services import async_setup_services
from .session_config import build_webhook, without_our_webhook
from .webhook import WahaWebhook
from .websocket import WahaWebSocket, ws_url

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: WahaConfigEntry) -> bool:
    """Connect to WAHA, wire event delivery and create the entities."""
    session = async_get_clientsession(hass)
    client = WahaClient(session, entry.data[CONF_URL], entry.data[CONF_API_KEY])
    coordinator = WahaCoordinator(
        hass,
        entry,
        client,
        entry.data[CONF_SESSION],
        entry.data[CONF_ACCOUNT_ID],
        timedelta(
            minutes=entry.options.get(
                CONF_RESUBSCRIBE_MINUTES, DEFAULT_RESUBSCRIBE_MINUTES
            )
        ),
        build_webhook(entry.data[CONF_WEBHOOK_URL], entry.data[CONF_HMAC_KEY])
        if entry.data[CONF_DELIVERY] == DELIVERY_WEBHOOK
        else None,
    )
    # Also when setup fails below: its repairs must not outlive the attempt.
    entry.async_on_unload(coordinator.async_shutdown)
    # Before any event is accepted: a replay must meet the ordering already reached.
    await coordinator.ordering.async_restore()
    # Registered before the transports, so it runs once they stopped: no event after it.
    entry.async_on_unload(coordinator.ordering.async_flush)
    hook, websocket = _delivery(hass, entry, coordinator, session)
    try:
        await coordinator.async_initialize()
        await coordinator.async_ensure_config()
    except WahaAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except WahaVersionError as err:
        # Retrying cannot make WAHA newer; a repair says what to do.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="waha_too_old",
            translation_placeholders={"version": err.version, "minimum": err.minimum},
        ) from err
    except WahaCoreSessionError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="core_only_default",
            translation_placeholders={"session": entry.data[CONF_SESSION]},
        ) from err
    except WahaNotFoundError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="session_not_found",
            translation_placeholders={"session": entry.data[CONF_SESSION]},
        ) from err
    except WahaConfigRejectedError as err:
        # WAHA validated our config and said no: retrying would not change that.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="config_rejected",
            translation_placeholders={"error": str(err)},
        ) from err
    except WahaError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    entry.runtime_data = WahaRuntimeData(
        client, coordinator, hook, websocket, data=dict(entry.data)
    )
    # Register the account first: chat devices name it as their via device.
    coordinator.account_device_id = (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id, **account_device(coordinator)
        )
        .id
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_start(subscribe=websocket is None)
    if websocket is not None:
        websocket.async_start()
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


def _delivery(
    hass: HomeAssistant,
    entry: WahaConfigEntry,
    coordinator: WahaCoordinator,
    session: ClientSession,
) -> tuple[WahaWebhook | None, WahaWebSocket | None]:
    """
    Wire the entry's event delivery to the coordinator.

    The webhook accepts events at once, so that the status events WAHA sends after
    our config PUT are not lost; the WebSocket opens once the entities exist.
    """
    if entry.data[CONF_DELIVERY] == DELIVERY_WEBHOOK:
        hook = WahaWebhook(
            hass,
            entry.data[CONF_WEBHOOK_ID],
            entry.data[CONF_HMAC_KEY],
            entry.title,
            on_event=coordinator.async_handle_event,
        )
        hook.async_register()
        entry.async_on_unload(hook.async_unregister)
        return hook, None
    websocket = WahaWebSocket(
        hass,
        entry,
        session,
        ws_url(
            coordinator.client.url, entry.data[CONF_API_KEY], coordinator.session_name
        ),
        on_event=coordinator.async_handle_event,
        on_connected=coordinator.async_resync,
        on_disconnected=lambda: coordinator.async_set_events_flowing(False),
        on_auth_refused=coordinator.async_key_refused,
        on_unsupported=coordinator.monitor.repairs.websocket_refused,
    )
    entry.async_on_unload(websocket.async_stop)
    return None, websocket


async def _async_entry_updated(hass: HomeAssistant, entry: WahaConfigEntry) -> None:
    """Apply subentries and the picture option live; reload for other changes."""
    coordinator = entry.runtime_data.coordinator
    minutes = entry.options.get(CONF_RESUBSCRIBE_MINUTES, DEFAULT_RESUBSCRIBE_MINUTES)
    if (
        entry.data != entry.runtime_data.data
        or coordinator.resubscribe_interval != timedelta(minutes=minutes)
    ):
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    coordinator.pictures.async_set_enabled(
        entry.options.get(CONF_SHOW_PICTURES, DEFAULT_SHOW_PICTURES)
    )
    coordinator.async_entry_updated()


async def async_unload_entry(hass: HomeAssistant, entry: WahaConfigEntry) -> bool:
    """Unload the platforms; the rest goes with `async_on_unload`."""
    await async_remove_entities_in_batches(hass, DOMAIN, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: WahaConfigEntry) -> None:
    """Drop the entry's issues and stored ordering; take our webhook out of WAHA."""
    async_delete_setup_issues(hass, entry.entry_id)
    # The delivery issue outlives unloads, not the entry.
    ir.async_delete_issue(hass, DOMAIN, delivery_issue_id(entry.entry_id))
    await store_for(hass, entry.entry_id).async_remove()
    if entry.data.get(CONF_DELIVERY) != DELIVERY_WEBHOOK:
        return
    client = WahaClient(
        async_get_clientsession(hass), entry.data[CONF_URL], entry.data[CONF_API_KEY]
    )
    name = entry.data[CONF_SESSION]
    try:
        session = await client.get_session(name)
        config = without_our_webhook(session.config, entry.data[CONF_WEBHOOK_ID])
        if config != session.config:
            await client.update_session_config(name, config)
    except WahaError as err:
        LOGGER.warning(
            "Could not remove the webhook from WAHA session %s: %s; remove it in WAHA",
            name,
            err,
        )
