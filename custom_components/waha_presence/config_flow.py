"""Config flow: connect to WAHA, pick a session, choose event delivery, track chats."""

from __future__ import annotations

from collections.abc import Mapping
import secrets
from typing import TYPE_CHECKING, Any

import probatio

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import WahaClient, public_url
from .const import (
    CONF_ACCOUNT_ID,
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
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
    MAX_RESUBSCRIBE_MINUTES,
    MIN_RESUBSCRIBE_MINUTES,
    MIN_WAHA_VERSION,
    SUBENTRY_CHAT,
)
from .delivery_check import DeliveryTarget
from .delivery_flow import (
    DeliveryCheck,
    delivery_schema as _delivery_schema,
    webhook_url_error as _webhook_url_error,
)
from .exceptions import (
    WahaAuthError,
    WahaConnectionError,
    WahaCoreSessionError,
    WahaError,
    WahaNotFoundError,
    WahaSessionNotReadyError,
    WahaVersionError,
)
from .models import SessionInfo, WahaParseError, is_group, is_lid, normalize_chat_id

if TYPE_CHECKING:
    from .coordinator import WahaCoordinator

CONF_CHAT = "chat"
CHAT_LIST_LIMIT = 200

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


# Home Assistant adds at most this many enabled entities to one config entry
# (MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY); a tracked contact has up to four.
MAX_ENTITIES_PER_ENTRY = 10_000
ENTITIES_PER_CHAT = 4


def _client(flow: ConfigFlow | ConfigSubentryFlow, url: str, key: str) -> WahaClient:
    return WahaClient(async_get_clientsession(flow.hass), url, key)


async def _async_check_server(
    client: WahaClient, placeholders: dict[str, str]
) -> str | None:
    """Return an error key, or None when the URL, API key and WAHA's version work."""
    try:
        await client.require_version(MIN_WAHA_VERSION)
    except WahaVersionError as err:
        placeholders.update(version=err.version, minimum=err.minimum)
        return "waha_too_old"
    except WahaAuthError:
        return "invalid_auth"
    except WahaConnectionError:
        return "cannot_connect"
    except WahaNotFoundError:
        return "not_waha"
    except WahaError:
        LOGGER.exception("Unexpected answer from WAHA at %s", client.public_url)
        return "unknown"
    return None


def _default_webhook_url(flow: ConfigFlow, webhook_id: str) -> str:
    try:
        return webhook.async_generate_url(
            flow.hass, webhook_id, allow_ip=True, prefer_external=False
        )
    except NoURLAvailableError:
        return ""


class DeliveryCheckedFlow(ConfigFlow):
    """The steps that prove WAHA's events arrive before an entry uses a delivery."""

    _url: str
    _api_key: str
    _session: SessionInfo | None
    _webhook_id: str

    def __init__(self) -> None:
        """Start with no check run."""
        # Made here, not with the entry: the check proves this key with WAHA.
        self._hmac_key = secrets.token_urlsafe(48)
        self._check = DeliveryCheck()
        self._entry_updates: dict[str, Any] = {}

    def _async_update_and_abort(
        self, entry: ConfigEntry, data_updates: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store the change; a loaded entry's update listener reloads it."""
        if entry.state is ConfigEntryState.LOADED:
            return self.async_update_and_abort(entry, data_updates=data_updates)
        return self.async_update_reload_and_abort(entry, data_updates=data_updates)

    async def _async_check_delivery(
        self, delivery: str, webhook_url: str
    ) -> ConfigFlowResult:
        """Apply the delivery in WAHA and wait for its first event, showing progress."""
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            session, webhook_id = entry.data[CONF_SESSION], entry.data[CONF_WEBHOOK_ID]
            hmac_key = entry.data[CONF_HMAC_KEY]
        else:
            assert self._session is not None
            entry, session, webhook_id = None, self._session.name, self._webhook_id
            hmac_key = self._hmac_key
        target = DeliveryTarget(
            url=self._url,
            api_key=self._api_key,
            session=session,
            webhook_id=webhook_id,
            hmac_key=hmac_key,
            delivery=delivery,
            webhook_url=webhook_url,
        )
        self._check.start(self.hass, target, entry)
        return await self.async_step_check()

    async def async_step_check(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show progress until WAHA's first event arrives through the chosen delivery."""
        check = self._check
        if not check.task.done():
            assert check.target is not None
            return self.async_show_progress(
                step_id="check",
                progress_action=check.progress_action,
                progress_task=check.task,
                description_placeholders={"session": check.target.session},
            )
        if check.outcome.error is None:
            return self.async_show_progress_done(next_step_id="delivery_verified")
        return self.async_show_progress_done(next_step_id="delivery_failed")

    async def async_step_delivery_verified(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """WAHA reached Home Assistant: create the entry, or store the new delivery."""
        target = self._check.target
        assert target is not None
        delivery = {
            CONF_DELIVERY: target.delivery,
            CONF_WEBHOOK_URL: target.webhook_url,
        }
        if self.source == SOURCE_RECONFIGURE:
            return self._async_update_and_abort(
                self._get_reconfigure_entry(), self._entry_updates | delivery
            )
        assert self._session is not None and self._session.me is not None
        me = self._session.me
        return self.async_create_entry(
            title=me.push_name or me.id.split("@", 1)[0],
            data={
                CONF_URL: self._url,
                CONF_API_KEY: self._api_key,
                CONF_SESSION: self._session.name,
                CONF_ACCOUNT_ID: me.id,
                CONF_WEBHOOK_ID: self._webhook_id,
                CONF_HMAC_KEY: self._hmac_key,
            }
            | delivery,
            options={CONF_RESUBSCRIBE_MINUTES: DEFAULT_RESUBSCRIBE_MINUTES},
        )

    async def async_step_delivery_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say what the check found; try another webhook URL, or WebSocket."""
        target, outcome = self._check.target, self._check.outcome
        assert target is not None and outcome.error is not None
        errors = {"base": outcome.error}
        if user_input is not None:
            delivery = user_input[CONF_DELIVERY]
            webhook_url = user_input.get(CONF_WEBHOOK_URL, "").strip()
            if delivery == DELIVERY_WEBHOOK and (
                error := _webhook_url_error(webhook_url, target.webhook_id)
            ):
                errors[CONF_WEBHOOK_URL] = error
            else:
                return await self._async_check_delivery(delivery, webhook_url)
        return self.async_show_form(
            step_id="delivery_failed",
            data_schema=self.add_suggested_values_to_schema(
                _delivery_schema(),
                user_input
                or {
                    CONF_DELIVERY: target.delivery,
                    CONF_WEBHOOK_URL: target.webhook_url,
                },
            ),
            errors=errors,
            description_placeholders=outcome.placeholders
            | {"webhook_path": webhook.async_generate_path(target.webhook_id)},
        )


class WahaConfigFlow(DeliveryCheckedFlow, domain=DOMAIN):
    """Adds one WAHA session (one WhatsApp account) to Home Assistant."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        super().__init__()
        self._url = ""
        self._api_key = ""
        self._sessions: dict[str, SessionInfo] = {}
        self._session: SessionInfo | None = None
        self._webhook_id = webhook.async_generate_id()

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> WahaOptionsFlow:
        """Return the options flow."""
        return WahaOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Chats to track are subentries."""
        return {SUBENTRY_CHAT: ChatSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the WAHA URL and API key."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            self._url = user_input[CONF_URL].rstrip("/")
            self._api_key = user_input[CONF_API_KEY]
            client = _client(self, self._url, self._api_key)
            if not (error := await _async_check_server(client, placeholders)):
                try:
                    sessions = await client.list_sessions()
                except WahaError as err:
                    LOGGER.debug("Listing sessions failed: %s", err)
                    error = "cannot_connect"
                else:
                    if not sessions:
                        return self.async_abort(reason="no_sessions")
                    self._sessions = {session.name: session for session in sessions}
                    return await self.async_step_session()
            errors["base"] = error
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_URL): URL_SELECTOR,
                        probatio.Required(CONF_API_KEY): KEY_SELECTOR,
                    }
                ),
                user_input or {CONF_URL: "http://localhost:3000"},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_session(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the server's sessions."""
        errors: dict[str, str] = {}
        placeholders = {"session": ""}
        if user_input is not None:
            name = user_input[CONF_SESSION]
            placeholders["session"] = name
            try:
                session = await _client(self, self._url, self._api_key).get_session(
                    name
                )
            except WahaCoreSessionError:
                errors["base"] = "core_only_default"
            except WahaError as err:
                LOGGER.debug("Reading session %s failed: %s", name, err)
                errors["base"] = "cannot_connect"
            else:
                if session.me is None:
                    errors["base"] = "session_not_logged_in"
                else:
                    await self.async_set_unique_id(session.me.id)
                    self._abort_if_unique_id_configured()
                    self._session = session
                    return await self.async_step_delivery()
        options = [
            SelectOptionDict(value=name, label=_session_label(session))
            for name, session in self._sessions.items()
        ]
        return self.async_show_form(
            step_id="session",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_SESSION, default=options[0]["value"]): (
                        SelectSelector(SelectSelectorConfig(options=options))
                    )
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_delivery(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose how WAHA sends events: webhook or WebSocket."""
        assert self._session is not None and self._session.me is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            delivery = user_input[CONF_DELIVERY]
            webhook_url = user_input.get(CONF_WEBHOOK_URL, "").strip()
            if delivery == DELIVERY_WEBHOOK and (
                error := _webhook_url_error(webhook_url, self._webhook_id)
            ):
                errors[CONF_WEBHOOK_URL] = error
            else:
                return await self._async_check_delivery(delivery, webhook_url)
        suggested = user_input or {
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: _default_webhook_url(self, self._webhook_id),
        }
        return self.async_show_form(
            step_id="delivery",
            data_schema=self.add_suggested_values_to_schema(
                _delivery_schema(), suggested
            ),
            errors=errors,
            description_placeholders={
                "session": self._session.name,
                "webhook_path": webhook.async_generate_path(self._webhook_id),
            },
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """WAHA rejected the API key; ask for the new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check and store the new API key."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders = {"url": public_url(entry.data[CONF_URL])}
        if user_input is not None:
            client = _client(self, entry.data[CONF_URL], user_input[CONF_API_KEY])
            if not (error := await _async_check_server(client, placeholders)):
                return self._async_update_and_abort(
                    entry, {CONF_API_KEY: user_input[CONF_API_KEY]}
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_API_KEY): KEY_SELECTOR}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the WAHA URL, API key or event delivery."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders = {
            "session": entry.data[CONF_SESSION],
            "webhook_path": webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID]),
        }
        if user_input is not None:
            url = user_input[CONF_URL].rstrip("/")
            webhook_url = user_input.get(CONF_WEBHOOK_URL, "").strip()
            client = _client(self, url, user_input[CONF_API_KEY])
            if user_input[CONF_DELIVERY] == DELIVERY_WEBHOOK and (
                url_error := _webhook_url_error(
                    webhook_url, entry.data[CONF_WEBHOOK_ID]
                )
            ):
                errors[CONF_WEBHOOK_URL] = url_error
            elif not (error := await _async_check_server(client, placeholders)):
                try:
                    session = await client.get_session(entry.data[CONF_SESSION])
                except WahaNotFoundError:
                    errors["base"] = "session_not_found"
                except WahaCoreSessionError:
                    errors["base"] = "core_only_default"
                except WahaConnectionError:
                    errors["base"] = "cannot_connect"
                except WahaError as err:
                    LOGGER.debug("Reading the session failed: %s", err)
                    errors["base"] = "unknown"
                else:
                    await self.async_set_unique_id(
                        session.me.id if session.me else entry.unique_id
                    )
                    self._abort_if_unique_id_mismatch(reason="wrong_account")
                    updates = {
                        CONF_URL: url,
                        CONF_API_KEY: user_input[CONF_API_KEY],
                        CONF_DELIVERY: user_input[CONF_DELIVERY],
                        CONF_WEBHOOK_URL: webhook_url,
                    }
                    if _delivery_changed(entry.data, updates):
                        self._url, self._api_key = url, user_input[CONF_API_KEY]
                        self._entry_updates = updates
                        return await self._async_check_delivery(
                            user_input[CONF_DELIVERY], webhook_url
                        )
                    return self._async_update_and_abort(entry, updates)
            else:
                errors["base"] = error
        schema = probatio.Schema(
            {
                probatio.Required(CONF_URL): URL_SELECTOR,
                probatio.Required(CONF_API_KEY): KEY_SELECTOR,
            }
        ).extend(_delivery_schema().schema)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _delivery_changed(data: Mapping[str, Any], updates: dict[str, Any]) -> bool:
    """Return True when WAHA, the delivery or the webhook URL is not the same."""
    if updates[CONF_DELIVERY] == DELIVERY_WEBHOOK:
        keys: tuple[str, ...] = (CONF_URL, CONF_DELIVERY, CONF_WEBHOOK_URL)
    else:
        keys = (CONF_URL, CONF_DELIVERY)
    return any(updates[key] != data.get(key) for key in keys)


def _session_label(session: SessionInfo) -> str:
    account = f" · +{session.me.id.split('@', 1)[0]}" if session.me else ""
    return f"{session.name} ({session.raw_status}{account})"


class WahaOptionsFlow(OptionsFlow):
    """How often presence subscriptions are renewed; whether pictures show."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            data: dict[str, Any] = {
                CONF_RESUBSCRIBE_MINUTES: int(user_input[CONF_RESUBSCRIBE_MINUTES])
            }
            if CONF_SHOW_PICTURES in user_input:
                data[CONF_SHOW_PICTURES] = bool(user_input[CONF_SHOW_PICTURES])
            return self.async_create_entry(data=data)
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_RESUBSCRIBE_MINUTES): NumberSelector(
                            NumberSelectorConfig(
                                min=MIN_RESUBSCRIBE_MINUTES,
                                max=MAX_RESUBSCRIBE_MINUTES,
                                step=1,
                                mode=NumberSelectorMode.BOX,
                                unit_of_measurement="min",
                            )
                        ),
                        probatio.Optional(CONF_SHOW_PICTURES): BooleanSelector(),
                    }
                ),
                {
                    CONF_RESUBSCRIBE_MINUTES: options.get(
                        CONF_RESUBSCRIBE_MINUTES, DEFAULT_RESUBSCRIBE_MINUTES
                    ),
                    CONF_SHOW_PICTURES: options.get(
                        CONF_SHOW_PICTURES, DEFAULT_SHOW_PICTURES
                    ),
                },
            ),
        )


class ChatSubentryFlow(ConfigSubentryFlow):
    """Track a contact or group."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick a chat from WAHA or enter a phone number or chat id."""
        entry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        enabled = sum(
            not item.disabled
            for item in er.async_entries_for_config_entry(
                er.async_get(self.hass), entry.entry_id
            )
        )
        if enabled + ENTITIES_PER_CHAT > MAX_ENTITIES_PER_ENTRY:
            # Home Assistant would silently leave the new chat's entities out.
            return self.async_abort(
                reason="entity_limit",
                description_placeholders={"limit": f"{MAX_ENTITIES_PER_ENTRY:,}"},
            )
        client: WahaClient = entry.runtime_data.client
        coordinator = entry.runtime_data.coordinator
        session = entry.data[CONF_SESSION]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": ""}

        def tracked_as(chat_id: str) -> str | None:
            """Return the name a chat is tracked under, or None."""
            if (known := coordinator.tracked_chat_id(chat_id)) is not None:
                return str(coordinator.chats[known].name)
            # The subentries too: a chat added a moment ago may not be mirrored yet.
            return next(
                (s.title for s in entry.subentries.values() if s.unique_id == chat_id),
                None,
            )

        try:
            chats = await client.chats_overview(session, limit=CHAT_LIST_LIMIT)
        except WahaError as err:
            LOGGER.debug("Listing chats failed: %s", err)
            chats = []
        names = {
            chat["id"]: chat.get("name") or ""
            for chat in chats
            if isinstance(chat.get("id"), str)
        }
        # The picker shows its value once picked, so the value is the label.
        picks = _pick_labels(names)
        if user_input is not None:
            typed = user_input[CONF_CHAT]
            try:
                chat_id = picks.get(typed) or normalize_chat_id(typed)
                if chat_id.endswith("@c.us"):
                    found = await client.check_exists(session, chat_id.split("@")[0])
                    if found is None:
                        errors[CONF_CHAT] = "not_on_whatsapp"
                    else:
                        chat_id = normalize_chat_id(found)
            except WahaParseError:
                errors[CONF_CHAT] = "invalid_chat"
            except WahaSessionNotReadyError:
                errors["base"] = "session_not_ready"
            except WahaError as err:
                LOGGER.debug("Checking %s failed: %s", typed, err)
                errors["base"] = "cannot_connect"
            if not errors:
                name = tracked_as(chat_id) or await _async_other_id_tracked_as(
                    coordinator, client, session, chat_id
                )
                if name is not None:
                    errors[CONF_CHAT] = "already_tracked"
                    placeholders["name"] = name
            if not errors:
                name = names.get(chat_id) or await _async_contact_name(
                    client, session, chat_id
                )
                return self.async_create_entry(
                    title=name,
                    data={CONF_CHAT_ID: chat_id, CONF_CHAT_NAME: name},
                    unique_id=chat_id,
                )
        options = [
            SelectOptionDict(value=label, label=label)
            for label, chat_id in picks.items()
            if tracked_as(chat_id) is None
        ]
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_CHAT): SelectSelector(
                            SelectSelectorConfig(
                                options=options,
                                custom_value=True,
                                mode=SelectSelectorMode.DROPDOWN,
                            )
                        )
                    }
                ),
                user_input,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _pick_labels(names: dict[str, str]) -> dict[str, str]:
    """Return each chat's picker label ("Name (+number)") with its chat id."""
    picks: dict[str, str] = {}
    for chat_id, name in names.items():
        user = chat_id.split("@", 1)[0]
        if is_group(chat_id):
            label = name or user
        elif is_lid(chat_id):
            label = f"{name} ({chat_id})" if name else chat_id
        else:
            label = f"{name} (+{user})" if name else f"+{user}"
        # Two groups may share a name: the id tells them apart.
        picks[label if label not in picks else f"{label} ({chat_id})"] = chat_id
    return picks


async def _async_other_id_tracked_as(
    coordinator: WahaCoordinator, client: WahaClient, session: str, chat_id: str
) -> str | None:
    """Return the name the contact is tracked under by its other id, if it is."""
    if is_group(chat_id):
        return None
    try:
        other = await client.other_id(session, chat_id)
    except WahaError as err:
        LOGGER.debug("No other id for %s: %s", chat_id, err)
        return None
    if other is None or (known := coordinator.tracked_chat_id(other)) is None:
        return None
    return str(coordinator.chats[known].name)


async def _async_contact_name(client: WahaClient, session: str, chat_id: str) -> str:
    """Return WAHA's name for a chat, falling back to the number (or the LID)."""
    if is_group(chat_id):
        # Not among the chats listed first: ask WAHA for this one by its id.
        try:
            found = await client.chats_overview(session, limit=1, ids=[chat_id])
        except WahaError as err:
            LOGGER.debug("Reading group %s failed: %s", chat_id, err)
            found = []
        name = found[0].get("name") if found else None
        return name if isinstance(name, str) and name else chat_id.split("@", 1)[0]
    try:
        contact = await client.get_contact(session, chat_id)
    except WahaError as err:
        LOGGER.debug("Reading contact %s failed: %s", chat_id, err)
        contact = None
    for key in ("name", "pushname", "shortName", "verifiedName"):
        if contact and isinstance(value := contact.get(key), str) and value:
            return value
    # A LID is no phone number: shown as one, it would mislead.
    return chat_id if is_lid(chat_id) else "+" + chat_id.split("@", 1)[0]
