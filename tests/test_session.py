"""The session monitor: availability, reachability, repairs and the status watchdog."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import CONF_SESSION, DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator
from simulator.api_sessions import session_info

from .conftest import chat_subentry
from .const import (
    ACCOUNT_ID,
    ACCOUNT_PRESENCE,
    ALICE,
    ALICE_ACTIVITY,
    ALICE_ONLINE,
    ALICE_PRESENCE,
    API_KEY,
    BOB,
    FAMILY_ACTIVE,
    SESSION,
    SESSION_STATUS,
    WEBHOOK_ID,
)
from .helpers import post_event, presence_payload, record_writes, settle, wait_for

USER_WEBHOOK = {"url": "https://example.com/hook", "events": ["message"]}
UNAUTHORIZED = {"message": "Unauthorized", "statusCode": 401}


def _reauth_flows(hass: HomeAssistant) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


def _session_reads(waha: WahaSimulator) -> int:
    path = f"/api/sessions/{SESSION}"
    return sum(r.method == "GET" and r.path == path for r in waha.requests)


async def _watchdog(hass: HomeAssistant, minutes: int = 1) -> None:
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(minutes=minutes, seconds=1)
    )
    await settle(hass)


async def test_availability_and_repair_issue(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Logged out: entities unavailable, one log line, a repair; back: all cleared."""
    caplog.set_level(logging.INFO)
    issue_id = f"session_login_{ready.entry_id}"
    await waha.set_status(SESSION, "SCAN_QR_CODE")
    await waha.set_status(SESSION, "SCAN_QR_CODE")
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    )
    assert hass.states.get(FAMILY_ACTIVE).state == STATE_UNAVAILABLE
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["status"] == "SCAN_QR_CODE"
    assert caplog.text.count("entities are unavailable") == 1

    await waha.set_status(SESSION, "WORKING")
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state != STATE_UNAVAILABLE
    )
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert caplog.text.count("is available again") == 1


async def test_unreachable_waha(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The watchdog marks entities unavailable while WAHA does not answer."""
    caplog.set_level(logging.INFO)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    for minute in (1, 2):
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(minutes=minute, seconds=1)
        )
        await settle(hass)
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.home_session_status").state == STATE_UNAVAILABLE
    assert caplog.text.count("is unreachable") == 1
    await waha.start(port=port)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=3, seconds=1))
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state != STATE_UNAVAILABLE
    )


async def test_waha_turned_core_under_running_entry(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA Core refusing session `work` to the watchdog: a repair until it serves."""
    session = waha.sessions.pop(SESSION)
    session.name = "work"
    waha.sessions["work"] = session
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_SESSION: "work"}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    coordinator = config_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)
    issue_id = f"core_only_default_{config_entry.entry_id}"

    waha.tier = "CORE"
    for minute in (1, 2):
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(minutes=minute, seconds=1)
        )
        await settle(hass)
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "core_only_default"
    assert issue.translation_placeholders == {"session": "work", "url": waha.url}
    assert caplog.text.count("which serves only session `default`") == 1
    assert config_entry.state is ConfigEntryState.LOADED

    waha.tier = "PLUS"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=3, seconds=1))
    await wait_for(hass, lambda: coordinator.available)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_waha_back_with_session_logged_out(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA answers again, but its session lost the login meanwhile: still unavailable."""
    caplog.set_level(logging.INFO)
    port = int(waha.url.rsplit(":", 1)[1])
    await waha.stop()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1, seconds=1))
    await settle(hass)
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    waha.session(SESSION).status = "SCAN_QR_CODE"
    await waha.start(port=port)
    written: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            event.data["entity_id"] == ALICE_PRESENCE
            and written.append(event.data["new_state"].state)
        ),
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2, seconds=1))
    await wait_for(
        hass,
        lambda: hass.states.get("sensor.home_session_status").state == "scan_qr_code",
    )
    await settle(hass)
    assert set(written) <= {STATE_UNAVAILABLE}
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    assert "is available again" not in caplog.text
    assert issue_registry.async_get_issue(DOMAIN, f"session_login_{ready.entry_id}")


async def test_account_entities_follow_waha_while_logged_out(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Chats are unavailable already; WAHA going away still reaches the account."""
    await waha.set_status(SESSION, "SCAN_QR_CODE")
    status = "sensor.home_session_status"
    await wait_for(hass, lambda: hass.states.get(status).state == "scan_qr_code")
    await waha.stop()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1, seconds=1))
    await wait_for(hass, lambda: hass.states.get(status).state == STATE_UNAVAILABLE)


async def test_noweb_store_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """NOWEB without its store maps no LIDs: a repair says so, until it is on."""
    waha.session(SESSION).config = {}
    # Behind a proxy with a password: what the repair and the device link show.
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=config_entry.unique_id,
        data={
            **config_entry.data,
            CONF_URL: waha.url.replace("http://", "http://proxy:secret@"),
        },
        subentries_data=[chat_subentry(ALICE, "Alice"), chat_subentry(BOB, "Bob")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)
    issue_id = f"noweb_store_{entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "noweb_store_disabled"
    assert issue.translation_placeholders == {
        "account": "Mock Title (+31600000000)",
        "session": SESSION,
        "url": waha.url,
    }
    account = device_registry.async_get_device_by_identifier(
        (DOMAIN, ACCOUNT_ID), entry.entry_id
    )
    assert account is not None
    assert account.configuration_url == f"{waha.url}/dashboard"
    # Without the store WAHA refuses the LID lookups; nothing breaks.
    assert coordinator.chats[BOB].alias is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    assert await hass.config_entries.async_setup(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    waha.session(SESSION).config["noweb"] = {"store": {"enabled": True}}
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1, seconds=1))
    await wait_for(
        hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None
    )
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("engine", ["GOWS", "WEBJS"])
async def test_no_store_repair_for_other_engines(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Only NOWEB has a store to turn on."""
    assert (
        issue_registry.async_get_issue(DOMAIN, f"noweb_store_{ready.entry_id}") is None
    )


async def test_repair_issue_goes_with_the_entry(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading the entry leaves no orphaned repair behind."""
    issue_id = f"session_login_{ready.entry_id}"
    await waha.set_status(SESSION, "FAILED")
    await wait_for(
        hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    )
    assert await hass.config_entries.async_unload(ready.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_availability_write_has_its_own_context(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """Going unavailable right after an event is not attributed to that event."""
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "online")
    )
    await hass.async_block_till_done()
    event_context = hass.states.get(ALICE_PRESENCE).context.id
    await waha.set_status(SESSION, "SCAN_QR_CODE")
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    )
    for entity_id in (ALICE_PRESENCE, ALICE_ONLINE, ALICE_ACTIVITY):
        assert hass.states.get(entity_id).context.id != event_context


async def test_late_poll_answer_keeps_newer_status_event(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A watchdog read that WAHA answers after a status event does not undo it."""
    coordinator = ready.runtime_data.coordinator
    session = waha.session(SESSION)
    # The watchdog's read is answered from before the session failed, and late.
    path = f"/api/sessions/{SESSION}"
    waha.delay_next("GET", path, 0.3)
    waha.fail_next("GET", path, 200, session_info(session, detailed=True))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await asyncio.sleep(0.05)
    session.status = "FAILED"
    failed = {"name": SESSION, "status": "FAILED"}
    await post_event(ha_client, waha, "session.status", failed)
    assert not coordinator.available
    await asyncio.sleep(0.5)
    await settle(hass)
    assert coordinator.monitor.raw_status == "FAILED"
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE


async def test_watchdog_restores_lost_webhook(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A WAHA that forgot the session config (Core restart) gets ours back."""
    coordinator = ready.runtime_data.coordinator
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: len(waha.session(SESSION).config["webhooks"]) == 2)
    assert [r.method for r in waha.requests].count("PUT") == 2
    assert waha.session(SESSION).config["webhooks"][0] == USER_WEBHOOK
    await wait_for(hass, lambda: coordinator.available)


async def test_watchdog_put_failure_is_logged(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing restore is a warning, not a traceback, and is retried later."""
    waha.session(SESSION).config = {}
    waha.fail_next("PUT", f"/api/sessions/{SESSION}", 500, {"statusCode": 500})
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await settle(hass)
    assert "Could not restore the WAHA session config" in caplog.text
    assert "Traceback" not in caplog.text
    puts = [r.method for r in waha.requests].count("PUT")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=122))
    await settle(hass)
    assert [r.method for r in waha.requests].count("PUT") == puts + 1
    assert any(
        WEBHOOK_ID in hook.get("url", "")
        for hook in waha.session(SESSION).config.get("webhooks", [])
    )


@pytest.mark.parametrize("engine", ["WEBJS"])
async def test_watchdog_does_not_restart_in_a_loop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A WAHA that drops what we PUT (too old for tagsEventsOn) gets one try and a warning."""
    session = waha.session(SESSION)
    config = {key: value for key, value in session.config.items() if key != "webjs"}
    session.config = config
    info = {"name": SESSION, "status": "WORKING", "config": config, "me": None}
    waha.fail_next("PUT", f"/api/sessions/{SESSION}", 200, info)
    puts = [r.method for r in waha.requests].count("PUT")
    for minute in (1, 2, 3):
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(minutes=minute, seconds=1)
        )
        await settle(hass)
    assert [r.method for r in waha.requests].count("PUT") == puts + 1
    assert caplog.text.count("does not keep the config") == 1


async def test_one_refusal_starts_no_reauth(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A single 401 (WAHA restarting, a proxy hiccup) is asked again, not reauthed."""
    waha.fail_next("GET", f"/api/sessions/{SESSION}", 401, UNAUTHORIZED)
    reads = _session_reads(waha)
    await _watchdog(hass)
    assert _session_reads(waha) == reads + 2
    assert _reauth_flows(hass) == []
    assert ready.runtime_data.coordinator.available


async def test_reauth_withdrawn_when_the_key_works_again(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A key refused for real asks for a new one; accepted again, the request goes."""
    waha.api_key = "rotated"
    await _watchdog(hass)
    assert len(_reauth_flows(hass)) == 1
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE
    assert hass.states.get(SESSION_STATUS).state == STATE_UNAVAILABLE
    waha.api_key = API_KEY
    await _watchdog(hass, minutes=2)
    assert _reauth_flows(hass) == []
    await wait_for(
        hass, lambda: hass.states.get(ALICE_PRESENCE).state != STATE_UNAVAILABLE
    )


async def test_whatsapp_out_of_reach_writes_account_entities_once(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """NOWEB repeats STARTING every 2 s without WhatsApp: only changes are written."""
    coordinator = ready.runtime_data.coordinator
    # Learn the account's presence that setup's subscribes changed (auto-online).
    await _watchdog(hass)
    notified: list[None] = []
    coordinator.listeners.async_add_session_listener(lambda: notified.append(None))
    writes = record_writes(hass, SESSION_STATUS, ACCOUNT_PRESENCE)
    waha.deliveries.clear()
    waha.lose_whatsapp(SESSION, every=0.05, attempts=10)
    await wait_for(hass, lambda: coordinator.monitor.raw_status == "FAILED")
    statuses = [
        json.loads(d.body)["payload"]["status"] for d in await waha.wait_deliveries(11)
    ]
    assert statuses == ["STARTING"] * 10 + ["FAILED"]
    # The watchdog reads the same session: nothing to write either.
    await _watchdog(hass, minutes=2)
    assert writes == {
        SESSION_STATUS: ["starting", "failed"],
        ACCOUNT_PRESENCE: [STATE_UNAVAILABLE],
    }
    assert len(notified) == 2


@pytest.mark.parametrize("engine", ["WEBJS"])
async def test_stopped_webjs_session_needs_one_put(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A STOPPED WEBJS session names no engine: WAHA's own makes one PUT enough."""
    session = waha.session(SESSION)
    await waha.stop_session(session)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    puts = [r.json for r in waha.requests if r.method == "PUT"]
    assert len(puts) == 1
    assert puts[0]["config"]["webjs"] == {"tagsEventsOn": True}
    assert session.status == "STOPPED"

    await waha.start_session(session)
    coordinator = config_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)
    await wait_for(hass, lambda: ALICE in session.subscriptions)
    await settle(hass)
    assert [r.method for r in waha.requests].count("PUT") == 1
    assert coordinator.monitor.engine == "WEBJS"


async def test_repair_says_what_fixes_each_status(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """FAILED asks for a restart, SCAN_QR_CODE for a scan; the issue follows."""
    issue_id = f"session_login_{ready.entry_id}"
    await waha.set_status(SESSION, "FAILED")
    await wait_for(hass, lambda: issue_registry.async_get_issue(DOMAIN, issue_id))
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "session_failed"
    assert issue.translation_placeholders == {
        "account": "Home (+31600000000)",
        "session": SESSION,
        "status": "FAILED",
        "url": waha.url,
    }
    # Restarting: the issue stays as it is until WAHA settles.
    await waha.set_status(SESSION, "STARTING")
    await settle(hass)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "session_failed"
    await waha.set_status(SESSION, "SCAN_QR_CODE")
    await wait_for(
        hass,
        lambda: (
            issue_registry.async_get_issue(DOMAIN, issue_id).translation_key
            == "session_scan_qr_code"
        ),
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_placeholders["status"] == "SCAN_QR_CODE"
    for status, key in (
        ("PASSKEY_REQUIRED", "session_passkey"),
        ("PASSKEY_CONFIRMATION_REQUIRED", "session_passkey_confirmation"),
    ):
        await waha.set_status(SESSION, status)
        await wait_for(
            hass,
            lambda key=key: (
                issue_registry.async_get_issue(DOMAIN, issue_id).translation_key == key
            ),
        )
    await waha.set_status(SESSION, "WORKING")
    await wait_for(hass, lambda: not issue_registry.async_get_issue(DOMAIN, issue_id))


async def test_repair_texts_name_the_fix(hass: HomeAssistant) -> None:
    """Each login repair says what to do, and names the account."""
    assert await async_setup_component(hass, DOMAIN, {})
    texts = await async_get_translations(hass, "en", "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues"
    failed = texts[f"{prefix}.session_failed.description"]
    assert "restart the session" in failed
    assert "no network" in failed
    assert "scan" in texts[f"{prefix}.session_scan_qr_code.description"].lower()
    for key in (
        "session_failed",
        "session_scan_qr_code",
        "session_passkey",
        "session_passkey_confirmation",
    ):
        assert "{account}" in texts[f"{prefix}.{key}.title"]
        assert "{account}" in texts[f"{prefix}.{key}.description"]
