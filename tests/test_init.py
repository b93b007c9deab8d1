"""Setup, retry, reauth, unload and removal against the simulator."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.waha_presence.const import (
    CONF_DELIVERY,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DELIVERY_WEBSOCKET,
    DOMAIN,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from simulator import WahaSimulator
from simulator.const import OLD_VERSION

from .const import ACCOUNT_ID, SESSION, WEBHOOK_ID
from .helpers import wait_for

USER_WEBHOOK = {"url": "https://example.com/hook", "events": ["message"]}


async def test_setup_merges_webhook_and_follows_restart(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """Setup PUTs the full config with our webhook; WAHA restarts the session."""
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK], "debug": True}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    coordinator = config_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)

    put = [r for r in waha.requests if r.method == "PUT"]
    assert len(put) == 1
    assert put[0].path == f"/api/sessions/{SESSION}"
    config = put[0].json["config"]
    assert config["debug"] is True
    assert config["webhooks"][0] == USER_WEBHOOK
    assert config["webhooks"][1]["url"] == config_entry.data[CONF_WEBHOOK_URL]
    # Delivery runs beside the PUT's reply: wait for the restart's events to land.
    await wait_for(
        hass,
        lambda: any(
            b'"WORKING"' in d.body and d.status == 200 for d in waha.deliveries
        ),
    )
    state = hass.states.get("sensor.home_session_status")
    assert state is not None
    assert state.state == "working"


async def test_setup_without_changes_does_not_restart(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A second setup finds its webhook in place and sends no PUT."""
    assert await hass.config_entries.async_reload(ready.entry_id)
    await hass.async_block_till_done()
    assert [r.method for r in waha.requests].count("PUT") == 1


async def test_waha_down_at_startup_retries(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """WAHA unreachable at startup means setup retry, not failure."""
    await waha.stop()
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_unknown_session_retries(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A session WAHA does not know (404) retries setup."""
    waha.fail_next(
        "GET", f"/api/sessions/{SESSION}", 404, {"message": "Session not found"}
    )
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "no session named default" in (config_entry.reason or "")


async def test_config_refused_by_waha_is_an_error(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """WAHA validating our config and saying no is no reason to retry."""
    waha.fail_next(
        "PUT",
        f"/api/sessions/{SESSION}",
        400,
        {
            "message": ["config.webhooks.0.url must be a URL address"],
            "error": "Bad Request",
            "statusCode": 400,
        },
    )
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert "refused the session config" in (config_entry.reason or "")
    assert "must be a URL address" in (config_entry.reason or "")
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_400_reading_the_session_retries(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A 400 that is not about our config (a proxy, say) is no config error."""
    waha.fail_next("GET", f"/api/sessions/{SESSION}", 400, {"message": "Bad Request"})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("engine", ["NOWEB"])
async def test_failed_setup_leaves_no_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Setup read the session, raised its repairs, then failed: they go with it."""
    waha.session(SESSION).config = {}
    waha.fail_next("PUT", f"/api/sessions/{SESSION}", 500, {"statusCode": 500})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


@pytest.mark.parametrize("delivery", [DELIVERY_WEBHOOK, DELIVERY_WEBSOCKET])
async def test_old_waha_is_a_setup_error_with_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    delivery: str,
) -> None:
    """WAHA 2024.10.8 is refused at setup, naming both versions; updated, it loads."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_DELIVERY: delivery}
    )
    waha.version = OLD_VERSION
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.reason == (
        "WAHA is version 2024.10.8; WAHA Presence needs WAHA 2025.8 or newer. "
        "Update WAHA, then reload the integration"
    )
    issue = issue_registry.async_get_issue(
        DOMAIN, f"waha_too_old_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "version": "2024.10.8",
        "minimum": "2025.8",
        "session": SESSION,
        "url": waha.url,
    }
    # Nothing was changed in WAHA, and no webhook waits for events.
    assert not [r for r in waha.requests if r.method == "PUT"]
    assert WEBHOOK_ID not in hass.data.get("webhook", {})

    waha.version = "2026.2.1"
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None


async def test_core_refusal_is_a_setup_error_with_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA Core refusing session `work` fails setup for good, with a repair."""
    waha.add_session("work", me={"id": ACCOUNT_ID, "pushName": "Home"})
    waha.tier = "CORE"
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_SESSION: "work"}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.reason == (
        "WAHA Core serves only the session named default, not work. Use the session "
        "default or WAHA Plus, then reload the integration"
    )
    issue_id = f"core_only_default_{config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"session": "work", "url": waha.url}

    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_no_version_endpoint_retries(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A 404 for WAHA's version (a proxy, say) retries; it is no missing session."""
    waha.fail_next("GET", "/api/server/version", 404, {"message": "Cannot GET"})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "/api/server/version" in (config_entry.reason or "")


async def test_wrong_key_starts_reauth(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A 401 at setup starts the reauth flow."""
    waha.api_key = "rotated"
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_one_refusal_at_setup_starts_no_reauth(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A single 401 at setup (WAHA restarting) is asked again: setup goes on."""
    waha.fail_next(
        "GET",
        f"/api/sessions/{SESSION}",
        401,
        {"message": "Unauthorized", "statusCode": 401},
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_unload_and_remove_clean_up(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """Unload drops the HA webhook; removal takes ours out of WAHA, keeps the rest."""
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await wait_for(hass, lambda: config_entry.runtime_data.coordinator.available)
    assert len(waha.session(SESSION).config["webhooks"]) == 2

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    assert config_entry.data[CONF_WEBHOOK_ID] not in hass.data.get("webhook", {})

    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert waha.session(SESSION).config["webhooks"] == [USER_WEBHOOK]


async def test_remove_when_waha_is_down(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removing with WAHA down still removes the entry and says what is left."""
    await waha.stop()
    await hass.config_entries.async_remove(ready.entry_id)
    await hass.async_block_till_done()
    assert "Could not remove the webhook" in caplog.text
    assert hass.config_entries.async_get_entry(ready.entry_id) is None


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The account and each tracked chat get a device; chats link to the account."""
    account = device_registry.async_get_device_by_identifier(
        (DOMAIN, ACCOUNT_ID), init_integration.entry_id
    )
    assert account is not None
    assert account.name == "Home"
    chats = [
        d
        for d in dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
        if d.id != account.id
    ]
    assert sorted(d.name for d in chats) == ["Alice", "Bob", "Family"]
    assert all(d.via_device_id == account.id for d in chats)
