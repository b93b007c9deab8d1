"""Config flow: user → session → delivery, reauth, reconfigure, options, subentries."""

from __future__ import annotations

from functools import partial
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.waha_presence import config_flow, delivery_check
from custom_components.waha_presence.api import WahaClient
from custom_components.waha_presence.config_flow import _pick_labels
from custom_components.waha_presence.const import (
    CONF_ACCOUNT_ID,
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    CONF_DELIVERY,
    CONF_HMAC_KEY,
    CONF_RESUBSCRIBE_MINUTES,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DELIVERY_WEBSOCKET,
    DOMAIN,
    MIN_WAHA_VERSION,
    SUBENTRY_CHAT,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from simulator import WahaSimulator
from simulator.const import OLD_VERSION

from .conftest import chat_subentry
from .const import (
    ACCOUNT_ID,
    ALICE,
    ALICE_LID,
    API_KEY,
    CAROL,
    FAMILY,
    SESSION,
    WEBHOOK_ID,
)
from .helpers import wait_for

USER_WEBHOOK = {"url": "https://example.com/hook", "events": ["message"]}
HOOK_URL = f"http://ha.local:8123/api/webhook/{WEBHOOK_ID}"


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def _chose_session(hass: HomeAssistant, waha: WahaSimulator) -> dict[str, Any]:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    assert result["step_id"] == "session"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )


async def _to_delivery(hass: HomeAssistant, waha: WahaSimulator) -> dict[str, Any]:
    result = await _chose_session(hass, waha)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "delivery"
    return result


@pytest.fixture
def fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bound the delivery check by 1 s: the simulator delivers within milliseconds."""
    monkeypatch.setattr(delivery_check, "CHECK_TIMEOUT", 1.0)


async def _checked(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    """Wait out the delivery check the result shows progress for; return what follows."""
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "check"
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


def _puts(waha: WahaSimulator) -> int:
    return sum(
        1
        for request in waha.requests
        if (request.method, request.path) == ("PUT", f"/api/sessions/{SESSION}")
    )


async def test_full_flow_webhook(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str
) -> None:
    """The happy path creates the entry and merges our webhook into WAHA."""
    waha.session(SESSION).config = {
        "webhooks": [USER_WEBHOOK],
        "metadata": {"owner": "me"},
    }
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await _to_delivery(hass, waha)
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested[CONF_DELIVERY] == DELIVERY_WEBHOOK
    assert suggested[CONF_WEBHOOK_URL].startswith(f"{ha_url}/api/webhook/")
    path = result["description_placeholders"]["webhook_path"]
    assert suggested[CONF_WEBHOOK_URL].endswith(path)

    # A proxy path without the webhook id would never reach this entry.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}/hooks/waha"},
    )
    assert result["errors"] == {CONF_WEBHOOK_URL: "webhook_url_without_id"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: suggested[CONF_WEBHOOK_URL],
        },
    )
    assert result["progress_action"] == "check_webhook"
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["result"].unique_id == ACCOUNT_ID
    data = result["data"]
    assert data[CONF_URL] == waha.url
    assert data[CONF_API_KEY] == API_KEY
    assert data[CONF_SESSION] == SESSION
    assert data[CONF_ACCOUNT_ID] == ACCOUNT_ID
    assert data[CONF_WEBHOOK_URL] == suggested[CONF_WEBHOOK_URL]
    assert data[CONF_WEBHOOK_ID] in data[CONF_WEBHOOK_URL]
    assert len(data[CONF_HMAC_KEY]) >= 48
    assert result["options"] == {CONF_RESUBSCRIBE_MINUTES: 10}
    await hass.async_block_till_done()

    config = waha.session(SESSION).config
    assert config["metadata"] == {"owner": "me"}
    assert config["webhooks"][0] == USER_WEBHOOK
    ours = config["webhooks"][1]
    assert ours["url"] == data[CONF_WEBHOOK_URL]
    assert ours["events"] == ["presence.update", "session.status"]
    assert ours["hmac"] == {"key": data[CONF_HMAC_KEY]}
    # The check applied the config: setup finds it in place and restarts nothing.
    assert _puts(waha) == 1
    assert result["result"].state is ConfigEntryState.LOADED
    assert result["result"].runtime_data.coordinator.available


async def test_full_flow_websocket(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """WebSocket delivery needs no webhook URL and leaves WAHA's config alone."""
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    result = await _to_delivery(hass, waha)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    assert result["progress_action"] == "check_websocket"
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DELIVERY] == DELIVERY_WEBSOCKET
    assert result["data"][CONF_WEBHOOK_URL] == ""
    await hass.async_block_till_done()
    assert waha.session(SESSION).config == {"webhooks": [USER_WEBHOOK]}
    entry = result["result"]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_webhook_url_that_cannot_be_parsed(
    hass: HomeAssistant, waha: WahaSimulator
) -> None:
    """A port out of range or a broken IPv6 host is a form error, input kept."""
    result = await _to_delivery(hass, waha)
    path = result["description_placeholders"]["webhook_path"]
    for url in (f"http://ha.local:81234{path}", f"http://[::1{path}"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: url}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_WEBHOOK_URL: "invalid_url"}


async def test_second_flow_for_the_account_aborts(
    hass: HomeAssistant, waha: WahaSimulator
) -> None:
    """Two dialogs adding the same account: the second one stops, with a reason."""
    await _to_delivery(hass, waha)
    result = await _chose_session(hass, waha)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"


async def test_no_default_webhook_url(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """Without any HA URL the webhook URL starts empty and must be entered."""
    with patch(
        "custom_components.waha_presence.config_flow.webhook.async_generate_url",
        side_effect=NoURLAvailableError,
    ):
        result = await _to_delivery(hass, waha)
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested[CONF_WEBHOOK_URL] == ""
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: ""}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_WEBHOOK_URL: "invalid_url"}


@pytest.mark.parametrize(
    ("fail", "error"),
    [
        (
            ("GET", "/api/server/version", 401, {"message": "Unauthorized"}),
            "invalid_auth",
        ),
        (("GET", "/api/server/version", 404, {"message": "Cannot GET"}), "not_waha"),
        (("GET", "/api/server/version", 500, {"statusCode": 500}), "unknown"),
        (("GET", "/api/sessions", 500, {"statusCode": 500}), "cannot_connect"),
    ],
)
async def test_user_step_errors_recover(
    hass: HomeAssistant,
    waha: WahaSimulator,
    fail: tuple[str, str, int, dict[str, Any]],
    error: str,
) -> None:
    """Each server error is shown on the form and the flow recovers."""
    waha.fail_next(*fail)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    assert result["step_id"] == "session"


async def test_wrong_api_key(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """A wrong key is WAHA's real 401."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert waha.requests[-1].headers["X-Api-Key"] == "wrong"


async def test_cannot_connect(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """A closed port is cannot_connect; the right URL then works."""
    url = waha.url
    await waha.stop()
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_no_sessions(hass: HomeAssistant, socket_enabled: None) -> None:
    """A server without sessions aborts with a hint."""
    sim = WahaSimulator(API_KEY)
    await sim.start()
    try:
        result = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: sim.url, CONF_API_KEY: API_KEY}
        )
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_sessions"


async def test_session_not_logged_in(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """A session waiting for its QR code is refused until another is picked."""
    waha.add_session("second", engine="WEBJS", status="SCAN_QR_CODE", me=None)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    options = result["data_schema"].schema[CONF_SESSION].config["options"]
    assert {option["value"] for option in options} == {SESSION, "second"}
    assert any("SCAN_QR_CODE" in option["label"] for option in options)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: "second"}
    )
    assert result["errors"] == {"base": "session_not_logged_in"}
    assert result["description_placeholders"] == {"session": "second"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )
    assert result["step_id"] == "delivery"


async def test_session_read_fails(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """WAHA failing while the session is read is cannot_connect."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    waha.fail_next("GET", f"/api/sessions/{SESSION}", 500, {"statusCode": 500})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_old_waha_refused(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """WAHA older than 2025.8 is named on the form, with the minimum; newer goes on."""
    waha.version = OLD_VERSION
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "waha_too_old"}
    assert result["description_placeholders"] == {
        "version": "2024.10.8",
        "minimum": MIN_WAHA_VERSION,
    }
    assert MIN_WAHA_VERSION == "2025.8"
    waha.version = "2025.8.3"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    assert result["step_id"] == "session"


async def test_core_refuses_session(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """WAHA Core refusing the picked session says: use `default` or WAHA Plus."""
    waha.add_session("work", me={"id": "31699999999@c.us", "pushName": "Work"})
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    waha.tier = "CORE"  # WAHA replaced by its Core edition meanwhile
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: "work"}
    )
    assert result["errors"] == {"base": "core_only_default"}
    assert result["description_placeholders"] == {"session": "work"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )
    assert result["step_id"] == "delivery"


async def test_duplicate_account_aborts(
    hass: HomeAssistant, waha: WahaSimulator
) -> None:
    """The same WhatsApp account cannot be added twice."""
    MockConfigEntry(domain=DOMAIN, unique_id=ACCOUNT_ID, data={}).add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new API key is checked, stored, and the entry reloads with it."""
    entry = init_integration
    before = entry.runtime_data
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["url"] == waha.url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    waha.api_key = "rotated-key"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "rotated-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == "rotated-key"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    assert entry.runtime_data.data[CONF_API_KEY] == "rotated-key"
    assert "update listener" not in caplog.text


async def test_reauth_shows_no_proxy_password(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """The dialog names the WAHA it asks about, without the password in its URL."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=config_entry.unique_id,
        data={
            **config_entry.data,
            CONF_URL: waha.url.replace("http://", "http://proxy:secret@"),
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["description_placeholders"]["url"] == waha.url


async def test_reconfigure(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reconfigure checks each field and keeps the same account."""
    entry = init_integration
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    base = {CONF_URL: waha.url, CONF_API_KEY: API_KEY, CONF_DELIVERY: DELIVERY_WEBHOOK}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: "not a url"}
    )
    assert result["errors"] == {CONF_WEBHOOK_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: "http://ha.local:8123/x"}
    )
    assert result["errors"] == {CONF_WEBHOOK_URL: "webhook_url_without_id"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**base, CONF_API_KEY: "wrong", CONF_WEBHOOK_URL: HOOK_URL},
    )
    assert result["errors"] == {"base": "invalid_auth"}

    waha.fail_next(
        "GET", f"/api/sessions/{SESSION}", 404, {"message": "Session not found"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: HOOK_URL}
    )
    assert result["errors"] == {"base": "session_not_found"}

    waha.fail_next("GET", f"/api/sessions/{SESSION}", 500, {"statusCode": 500})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: HOOK_URL}
    )
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DELIVERY] == DELIVERY_WEBSOCKET
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.websocket is not None
    assert "update listener" not in caplog.text


async def test_reconfigure_to_core(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """An entry of session `work` pointed at WAHA Core is told why; Plus is taken."""
    waha.add_session("work", me={"id": ACCOUNT_ID, "pushName": "Home"})
    waha.tier = "CORE"
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCOUNT_ID,
        data={**config_entry.data, CONF_SESSION: "work"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    base = {CONF_URL: waha.url, CONF_API_KEY: API_KEY, CONF_DELIVERY: DELIVERY_WEBHOOK}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: HOOK_URL}
    )
    assert result["errors"] == {"base": "core_only_default"}
    assert result["description_placeholders"]["session"] == "work"

    waha.version = OLD_VERSION
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: HOOK_URL}
    )
    assert result["errors"] == {"base": "waha_too_old"}
    assert result["description_placeholders"]["version"] == OLD_VERSION

    # WAHA Plus again, but it crashes while the session is read.
    waha.version, waha.tier = "2026.7.1", "PLUS"
    # aiohttp sends an idempotent request again once when a reused connection drops.
    waha.drop_next("GET", "/api/sessions/work", count=2)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_WEBHOOK_URL: HOOK_URL}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    waha.reset()  # a drop left unused, had the connection been new
    # The entry's own webhook URL: unchanged delivery needs no delivery check.
    own = {**base, CONF_WEBHOOK_URL: entry.data[CONF_WEBHOOK_URL]}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], own)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_other_account(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """Pointing the entry at another account aborts."""
    waha.session(SESSION).me = {"id": "31699999999@c.us", "pushName": "Other"}
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: waha.url, CONF_API_KEY: API_KEY, CONF_DELIVERY: DELIVERY_WEBSOCKET},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_options(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The re-subscribe interval is an option."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RESUBSCRIBE_MINUTES: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {CONF_RESUBSCRIBE_MINUTES: 30}
    await hass.async_block_till_done()
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.resubscribe_interval.total_seconds() == 30 * 60


async def _start_chat_flow(
    hass: HomeAssistant, entry: MockConfigEntry
) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CHAT), context={"source": SOURCE_USER}
    )


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_from_list(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """Chats come from WAHA; picking one creates the subentry and its device."""
    result = await _start_chat_flow(hass, init_integration)
    assert result["type"] is FlowResultType.FORM
    options = result["data_schema"].schema["chat"].config["options"]
    # The number beside the name; the picker shows the value it was given,
    # so the value is the label too, not the raw chat id.
    labels = {option["value"]: option["label"] for option in options}
    assert labels == {
        "Alice (+31611111111)": "Alice (+31611111111)",
        "Bob (+31622222222)": "Bob (+31622222222)",
        "Carol (+31633333333)": "Carol (+31633333333)",
        "Family": "Family",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "Family"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Family"
    assert result["data"] == {CONF_CHAT_ID: FAMILY, CONF_CHAT_NAME: "Family"}
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "Alice (+31611111111)"}
    )
    assert result["title"] == "Alice"
    assert result["data"] == {CONF_CHAT_ID: ALICE, CONF_CHAT_NAME: "Alice"}


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_by_number(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """A typed number is normalised, checked with WAHA and named from its contact."""
    waha.fail_next(
        "GET", f"/api/{SESSION}/chats/overview", 500, {"statusCode": 500}, count=2
    )
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "+31 6-3333 3333"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CHAT_ID: CAROL, CONF_CHAT_NAME: "Carol"}
    check = next(r for r in waha.requests if r.path == "/api/contacts/check-exists")
    assert check.query == {"phone": "31633333333", "session": SESSION}


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_without_lid_lookup(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """WAHA failing to name a contact's other id does not stop tracking it."""
    waha.fail_next("GET", f"/api/{SESSION}/lids/pn/31633333333", 500, None)
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": CAROL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert any(r.path.endswith("/lids/pn/31633333333") for r in waha.requests)


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_errors(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """Bad ids, numbers not on WhatsApp and WAHA errors are shown on the form."""
    waha.add_contact(SESSION, "31644444444@c.us", on_whatsapp=False)
    result = await _start_chat_flow(hass, init_integration)
    flow_id = result["flow_id"]

    for typed in ("hello", "My Family@g.us"):
        result = await hass.config_entries.subentries.async_configure(
            flow_id, {"chat": typed}
        )
        assert result["errors"] == {"chat": "invalid_chat"}

    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"chat": "+31 6 4444 4444"}
    )
    assert result["errors"] == {"chat": "not_on_whatsapp"}

    waha.fail_next(
        "GET",
        "/api/contacts/check-exists",
        422,
        {
            "error": "Session status is not as expected",
            "session": SESSION,
            "status": "STARTING",
        },
    )
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"chat": "31655555555"}
    )
    assert result["errors"] == {"base": "session_not_ready"}

    waha.fail_next("GET", "/api/contacts/check-exists", 500, {"statusCode": 500})
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"chat": "31655555555"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.parametrize(
    ("tracked", "typed"),
    [
        ([chat_subentry(ALICE, "Alice")], ALICE),
        ([chat_subentry(ALICE, "Alice")], ALICE_LID),
        ([chat_subentry(ALICE_LID, "Alice")], "+31 6 1111 1111"),
    ],
    ids=["same-id", "by-lid", "by-number"],
)
async def test_track_chat_twice_is_refused_on_the_field(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    typed: str,
) -> None:
    """A tracked chat, under either of its ids, is not offered; typed, it is named."""
    result = await _start_chat_flow(hass, init_integration)
    values = {
        o["value"] for o in result["data_schema"].schema["chat"].config["options"]
    }
    assert "Alice (+31611111111)" not in values
    assert "Carol (+31633333333)" in values
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": typed}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"chat": "already_tracked"}
    assert result["description_placeholders"] == {"name": "Alice"}
    # What was typed stays in the field.
    schema = result["data_schema"].schema
    assert next(k for k in schema if k == "chat").description == {
        "suggested_value": typed
    }


@pytest.mark.parametrize("tracked", [[chat_subentry(CAROL, "Carol")]])
async def test_track_contact_by_lid_asks_waha(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A LID WAHA learnt only after setup is still matched to the tracked number."""
    carol_lid = "333333333333@lid"
    waha.session(SESSION).contacts[CAROL].lid = carol_lid
    result = await _start_chat_flow(hass, ready)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": carol_lid}
    )
    assert result["errors"] == {"chat": "already_tracked"}
    assert result["description_placeholders"] == {"name": "Carol"}
    assert any(r.path.endswith(f"/lids/{carol_lid}") for r in waha.requests)


@pytest.mark.parametrize("tracked", [[]])
async def test_track_unnamed_lid(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """A LID nobody named keeps its id as the name: it is no phone number."""
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "999999999999@lid"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "999999999999@lid"


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_unknown_name(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """Without a chat list or a contact name the number is the name."""
    waha.add_contact(SESSION, "31677777777@c.us")
    waha.fail_next("GET", f"/api/{SESSION}/chats/overview", 500, {"statusCode": 500})
    waha.fail_next("GET", "/api/contacts", 500, {"statusCode": 500})
    result = await _start_chat_flow(hass, init_integration)
    assert result["data_schema"].schema["chat"].config["options"] == []
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "31677777777"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "+31677777777"


async def test_track_chat_entry_not_loaded(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """Chats can only be added while the session is loaded."""
    config_entry.add_to_hass(hass)
    result = await _start_chat_flow(hass, config_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_track_chat_refused_past_the_entity_limit(
    hass: HomeAssistant,
    waha: WahaSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past Home Assistant's entities per entry, a new chat is refused, not half made."""
    enabled = len(
        [
            item
            for item in er.async_entries_for_config_entry(
                er.async_get(hass), init_integration.entry_id
            )
            if not item.disabled
        ]
    )
    # Room for one more contact's four entities: the flow goes on.
    monkeypatch.setattr(config_flow, "MAX_ENTITIES_PER_ENTRY", enabled + 4)
    result = await _start_chat_flow(hass, init_integration)
    assert result["type"] is FlowResultType.FORM
    monkeypatch.setattr(config_flow, "MAX_ENTITIES_PER_ENTRY", enabled + 3)
    result = await _start_chat_flow(hass, init_integration)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entity_limit"
    assert result["description_placeholders"] == {"limit": f"{enabled + 3:,}"}


@pytest.mark.parametrize("tracked", [[]])
async def test_track_group_beyond_the_list(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """A typed group that is not among the chats listed is named by WAHA."""
    waha.add_group(SESSION, "120363000000000002@g.us", name="Club", participants=[])
    result = await _start_chat_flow(hass, init_integration)
    waha.fail_next("GET", f"/api/{SESSION}/chats/overview", 500, {"statusCode": 500})
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "120363000000000002@g.us"}
    )
    assert result["title"] == "Club"
    lookup = [r for r in waha.requests if r.path.endswith("/chats/overview")][-1]
    assert lookup.query["ids"] == "120363000000000002@g.us"


@pytest.mark.parametrize("tracked", [[]])
async def test_track_group_without_name(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """A group WAHA cannot name is named by its id."""
    waha.fail_next(
        "GET", f"/api/{SESSION}/chats/overview", 500, {"statusCode": 500}, count=3
    )
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": FAMILY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == FAMILY.split("@")[0]
    assert not [r for r in waha.requests if r.path == "/api/contacts"]


def test_pick_labels() -> None:
    """Names with numbers; LIDs keep their id; same-named groups are told apart."""
    assert _pick_labels(
        {
            ALICE: "Alice",
            "31677777777@c.us": "",
            "555@lid": "Lee",
            "556@lid": "",
            FAMILY: "Family",
            "120363000000000002@g.us": "Family",
            "120363000000000003@g.us": "",
        }
    ) == {
        "Alice (+31611111111)": ALICE,
        "+31677777777": "31677777777@c.us",
        "Lee (555@lid)": "555@lid",
        "556@lid": "556@lid",
        "Family": FAMILY,
        "Family (120363000000000002@g.us)": "120363000000000002@g.us",
        "120363000000000003": "120363000000000003@g.us",
    }


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_when_waha_knows_no_other_id(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """WAHA failing to map the number to a LID does not stop tracking it."""
    waha.fail_next("GET", f"/api/{SESSION}/lids/pn/31633333333", 500, {})
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": "Carol (+31633333333)"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Carol"


def _ours(waha: WahaSimulator, webhook_id: str) -> list[dict[str, Any]]:
    """Return the webhooks of ours in WAHA's config of the session."""
    hooks = waha.session(SESSION).config.get("webhooks") or []
    return [hook for hook in hooks if webhook_id in hook["url"]]


@pytest.mark.parametrize(
    ("failure", "host"),
    [
        ("refused", "127.0.0.1"),
        ("timeout", "127.0.0.1"),
        ("dns", "homeassistant.local"),
    ],
)
async def test_unreachable_webhook_url_then_one_waha_reaches(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    fast_check: None,
    failure: str,
    host: str,
) -> None:
    """WAHA cannot reach the URL: the form names it; a URL WAHA reaches then works."""
    port = URL(ha_url).port
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    waha.network.make_unreachable(
        host if failure == "dns" else f"{host}:{port}", failure
    )
    result = await _to_delivery(hass, waha)
    path = result["description_placeholders"]["webhook_path"]
    tried = f"http://{host}:{port}{path}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: tried}
    )
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "delivery_failed"
    assert result["errors"] == {"base": "webhook_unreachable"}
    placeholders = result["description_placeholders"]
    # What was tried, without the webhook id: that is the webhook's secret.
    assert placeholders["url"] == f"http://{host}:{port}/api/webhook/…"
    assert placeholders["seconds"] == "1"
    if failure != "timeout":  # a held POST is not over yet
        assert any(d.url == tried and d.status is None for d in waha.deliveries)
    # The failed check took its webhook out of WAHA again.
    assert waha.session(SESSION).config == {"webhooks": [USER_WEBHOOK]}

    # From inside WAHA's container, Home Assistant is `homeassistant`.
    waha.network.add_alias("homeassistant", "127.0.0.1")
    reachable = f"http://homeassistant:{port}{path}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: reachable},
    )
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_WEBHOOK_URL] == reachable
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert [hook["url"] for hook in _ours(waha, entry.data[CONF_WEBHOOK_ID])] == [
        reachable
    ]
    # Check, put back, check again: setup itself restarts nothing.
    assert _puts(waha) == 3


async def test_unreachable_webhook_url_then_websocket(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str, fast_check: None
) -> None:
    """After a failed webhook, WebSocket delivery is checked and the entry uses it."""
    waha.network.make_unreachable(URL(ha_url).authority, "refused")
    result = await _to_delivery(hass, waha)
    path = result["description_placeholders"]["webhook_path"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"},
    )
    result = await _checked(hass, result)
    assert result["errors"] == {"base": "webhook_unreachable"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    assert result["progress_action"] == "check_websocket"
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DELIVERY] == DELIVERY_WEBSOCKET
    assert result["data"][CONF_WEBHOOK_URL] == ""
    await hass.async_block_till_done()
    entry = result["result"]
    assert not _ours(waha, entry.data[CONF_WEBHOOK_ID])
    await wait_for(hass, entry.runtime_data.websocket.connected.is_set)


@pytest.mark.parametrize("status", [403, 502])
async def test_websocket_blocked_by_a_proxy(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str, status: int
) -> None:
    """A proxy that refuses WebSocket upgrades is named as such; a webhook then works."""
    waha.network.ws_upgrade_status = status
    result = await _to_delivery(hass, waha)
    path = result["description_placeholders"]["webhook_path"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    result = await _checked(hass, result)
    assert result["step_id"] == "delivery_failed"
    assert result["errors"] == {"base": "websocket_blocked"}
    assert result["description_placeholders"]["status"] == str(status)
    # Nothing was applied: the WebSocket failed before the config was touched.
    assert _puts(waha) == 0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET, CONF_WEBHOOK_URL: ""}
    )
    result = await _checked(hass, result)
    assert result["errors"] == {"base": "websocket_blocked"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: "x"}
    )
    assert result["errors"] == {
        "base": "websocket_blocked",
        CONF_WEBHOOK_URL: "invalid_url",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"},
    )
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure_checks_a_new_webhook_url(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    ready: MockConfigEntry,
    fast_check: None,
) -> None:
    """A new URL is checked first; a failure leaves the entry and WAHA as they were."""
    port = URL(ha_url).port
    old_url = ready.data[CONF_WEBHOOK_URL]
    before = _puts(waha)
    waha.network.make_unreachable("homeassistant.local", "dns")
    waha.network.add_alias("homeassistant", "127.0.0.1")
    base = {CONF_URL: waha.url, CONF_API_KEY: API_KEY, CONF_DELIVERY: DELIVERY_WEBHOOK}
    result = await ready.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **base,
            CONF_WEBHOOK_URL: f"http://homeassistant.local:{port}/api/webhook/{WEBHOOK_ID}",
        },
    )
    result = await _checked(hass, result)
    assert result["step_id"] == "delivery_failed"
    assert result["errors"] == {"base": "webhook_unreachable"}
    assert ready.data[CONF_WEBHOOK_URL] == old_url
    assert [hook["url"] for hook in _ours(waha, WEBHOOK_ID)] == [old_url]
    coordinator = ready.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)

    new_url = f"http://homeassistant:{port}/api/webhook/{WEBHOOK_ID}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: new_url}
    )
    result = await _checked(hass, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert ready.data[CONF_WEBHOOK_URL] == new_url
    await hass.async_block_till_done()
    assert ready.state is ConfigEntryState.LOADED
    assert ready.runtime_data.coordinator is not coordinator
    assert [hook["url"] for hook in _ours(waha, WEBHOOK_ID)] == [new_url]
    # Check, put back, check: the reload found the config in place.
    assert _puts(waha) == before + 3


async def test_reconfigure_from_websocket_to_webhook(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    entry_data: dict[str, Any],
) -> None:
    """A WebSocket entry has no webhook handler: the check brings its own."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        unique_id=ACCOUNT_ID,
        data={**entry_data, CONF_DELIVERY: DELIVERY_WEBSOCKET, CONF_WEBHOOK_URL: ""},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.available)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: waha.url,
            CONF_API_KEY: API_KEY,
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: f"{ha_url}/api/webhook/{WEBHOOK_ID}",
        },
    )
    result = await _checked(hass, result)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.webhook is not None
    assert entry.runtime_data.websocket is None


async def test_reconfigure_api_key_only_checks_nothing(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Only the API key changed: delivery is as it was, so nothing is applied."""
    before = _puts(waha)
    result = await ready.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: waha.url,
            CONF_API_KEY: API_KEY,
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: ready.data[CONF_WEBHOOK_URL],
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert _puts(waha) == before


async def test_reconfigure_waha_does_not_answer(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """WAHA not answering while the session is read is cannot_connect."""
    result = await ready.start_reconfigure_flow(hass)
    waha.delay_next("GET", f"/api/sessions/{SESSION}", 1)
    with patch(
        "custom_components.waha_presence.config_flow.WahaClient",
        partial(WahaClient, timeout=0.2),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_URL: waha.url,
                CONF_API_KEY: API_KEY,
                CONF_DELIVERY: DELIVERY_WEBSOCKET,
            },
        )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reauth_of_an_entry_that_failed_to_load(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """An entry whose setup WAHA refused is reloaded with the new key."""
    waha.api_key = "rotated-key"
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress()
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: "rotated-key"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("tracked", [[]])
async def test_track_chat_when_waha_cannot_name_the_other_id(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> None:
    """WAHA failing on the LID lookup does not stop a chat from being tracked."""
    waha.fail_next(
        "GET", f"/api/{SESSION}/lids/pn/{CAROL.split('@')[0]}", 500, {"statusCode": 500}
    )
    result = await _start_chat_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"chat": CAROL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CHAT_ID: CAROL, CONF_CHAT_NAME: "Carol"}


async def test_reconfigure_proves_delivery_and_drops_the_issue(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An entry not loaded, its delivery issue left from before: a passed check ends it."""
    config_entry.add_to_hass(hass)
    issue_id = f"delivery_broken_{config_entry.entry_id}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        data={"entry_id": config_entry.entry_id},
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="delivery_broken",
    )
    waha.network.add_alias("homeassistant", "127.0.0.1")
    new_url = f"http://homeassistant:{URL(ha_url).port}/api/webhook/{WEBHOOK_ID}"
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: waha.url,
            CONF_API_KEY: API_KEY,
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: new_url,
        },
    )
    result = await _checked(hass, result)
    assert result["reason"] == "reconfigure_successful"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert not config_entry.runtime_data.coordinator.monitor.delivery.in_doubt
