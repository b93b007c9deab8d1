"""Presence tracking: subscriptions, ids, ordering, engines, groups, availability."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import logging

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import CONF_WEBHOOK_URL, DOMAIN
from custom_components.waha_presence.session_config import build_webhook
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator
from simulator.api_sessions import session_info

from .conftest import chat_subentry
from .const import (
    ACCOUNT_ID,
    ALICE,
    ALICE_LID,
    BOB,
    BOB_LID,
    CAROL,
    FAMILY,
    HMAC_KEY,
    SESSION,
)
from .helpers import post_event, presence_payload, settle, wait_for

ALICE_PRESENCE = "sensor.alice_presence"
ALICE_ONLINE = "binary_sensor.alice_online"
ALICE_SEEN = "sensor.alice_last_seen"
ALICE_ACTIVITY = "event.alice_activity"
BOB_PRESENCE = "sensor.bob_presence"
FAMILY_ACTIVE = "sensor.family_typing_or_recording"
FAMILY_ACTIVITY = "event.family_activity"


def _subscribes(waha: WahaSimulator) -> list[str]:
    return [
        r.path.split("/")[4]
        for r in waha.requests
        if r.method == "POST" and r.path.endswith("/subscribe")
    ]


async def test_subscribes_contacts_and_lids(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Every tracked chat is subscribed, contacts under both ids."""
    subscriptions = waha.session(SESSION).subscriptions
    assert {ALICE, ALICE_LID, BOB, BOB_LID, FAMILY} <= subscriptions


async def test_online_event_updates_contact(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Online turns presence, online and last seen; offline keeps WAHA's last seen."""
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")
    assert hass.states.get(ALICE_ONLINE).state == "on"
    assert hass.states.get(ALICE_SEEN).state != STATE_UNKNOWN
    await waha.set_contact_presence(SESSION, ALICE, "offline", last_seen=1_800_000_000)
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    assert hass.states.get(ALICE_ONLINE).state == "off"
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(1_800_000_000, tz=UTC).isoformat()
    )


async def test_last_seen_hidden_uses_activity_time(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """With lastSeen hidden, last seen is the time of the latest active event."""
    ts = 1_800_000_000_000
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "typing"),
        timestamp=ts,
    )
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "offline"),
        timestamp=ts + 5000,
    )
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "offline"
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(ts / 1000, tz=UTC).isoformat()
    )


async def test_lid_aliased_events(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Bob is tracked by phone, WAHA reports him by LID: he is still matched."""
    await waha.set_contact_presence(SESSION, BOB, "typing")
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "typing")
    lid_delivery = [d for d in waha.deliveries if BOB_LID.encode() in d.body]
    assert lid_delivery, "the simulator reported Bob by his LID"


@pytest.fixture
def lid_unknown(waha: WahaSimulator) -> None:
    """Set up while WAHA does not know Alice's LID yet, as before it first reports it."""
    waha.fail_next(
        "GET",
        f"/api/{SESSION}/lids/pn/{ALICE.split('@', 1)[0]}",
        200,
        {"lid": None, "pn": ALICE},
        count=1000,
    )


@pytest.mark.usefixtures("lid_unknown", "ready")
async def test_unknown_lid_learned_lazily(
    hass: HomeAssistant, waha: WahaSimulator, ha_client: TestClient
) -> None:
    """An unknown LID is resolved through WAHA once, then matched directly."""
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE_LID, "recording")
    )
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "recording")
    lookups = [
        r
        for r in waha.requests
        if r.path.startswith(f"/api/{SESSION}/lids/") and "/pn/" not in r.path
    ]
    assert len(lookups) == 1
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE_LID, "paused")
    )
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "paused"
    assert len([r for r in waha.requests if r.path == lookups[0].path]) == 1


@pytest.mark.usefixtures("lid_unknown", "ready")
async def test_lid_lookup_retried_after_waha_error(
    hass: HomeAssistant, waha: WahaSimulator, ha_client: TestClient
) -> None:
    """A LID lookup WAHA failed to answer is asked again with the LID's next event."""
    waha.fail_next("GET", f"/api/{SESSION}/lids/{ALICE_LID}", 500, {"statusCode": 500})
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE_LID, "online")
    )
    await settle(hass)
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNKNOWN
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE_LID, "typing")
    )
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "typing")
    lookups = [r for r in waha.requests if r.path == f"/api/{SESSION}/lids/{ALICE_LID}"]
    assert len(lookups) == 2


async def test_untracked_lid_asked_once(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A LID that is no tracked contact is looked up once and then ignored."""
    stranger = "555555555555@lid"
    for presence in ("online", "offline"):
        await post_event(
            ha_client, waha, "presence.update", presence_payload(stranger, presence)
        )
    await hass.async_block_till_done()
    lookups = [
        r
        for r in waha.requests
        if r.path.endswith("555555555555%40lid") or r.path.endswith("555555555555@lid")
    ]
    assert len(lookups) == 1


async def test_out_of_order_and_duplicates(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """An older event never overwrites a newer one; a duplicate id applies once."""
    ts = 1_800_000_000_000
    fired: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda e: (
            e.data["entity_id"] == ALICE_ACTIVITY
            and fired.append(e.data["new_state"].attributes.get("event_type"))
        ),
    )

    async def post(presence: str, offset: int, event_id: str) -> None:
        payload = presence_payload(ALICE, presence)
        await post_event(
            ha_client,
            waha,
            "presence.update",
            payload,
            timestamp=ts + offset,
            event_id=event_id,
        )

    await post("typing", 2000, "evt_b")
    await post("online", 1000, "evt_a")
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"
    await post("paused", 3000, "evt_c")
    await post("paused", 3000, "evt_c")
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "paused"
    assert [f for f in fired if f] == ["typing", "paused"]


async def test_activity_event_data(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """The activity entity fires the new presence with the previous one."""
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(
        hass,
        lambda: (
            hass.states.get(ALICE_ACTIVITY).attributes.get("event_type") == "online"
        ),
    )
    await waha.set_contact_presence(SESSION, ALICE, "typing")
    await wait_for(
        hass,
        lambda: (
            hass.states.get(ALICE_ACTIVITY).attributes.get("event_type") == "typing"
        ),
    )
    assert hass.states.get(ALICE_ACTIVITY).attributes["previous"] == "online"


async def test_group_typing(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A group shows who is typing or recording, with names when known."""
    await waha.set_group_presence(SESSION, FAMILY, ALICE, "typing")
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "recording")
    await wait_for(hass, lambda: hass.states.get(FAMILY_ACTIVE).state == "2")
    state = hass.states.get(FAMILY_ACTIVE)
    assert state.attributes["typing"] == ["Alice"]
    assert state.attributes["recording"] == ["31633333333"]
    activity = hass.states.get(FAMILY_ACTIVITY)
    assert activity.attributes["event_type"] == "recording"
    assert activity.attributes["participant"] == CAROL
    await waha.set_group_presence(SESSION, FAMILY, ALICE, "paused")
    await wait_for(hass, lambda: hass.states.get(FAMILY_ACTIVE).state == "1")
    assert hass.states.get(FAMILY_ACTIVE).attributes["typing"] == []


async def test_group_own_presence_is_no_member(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """NOWEB lists the group's own presence among members': it fires no activity."""
    await waha.set_group_presence(SESSION, FAMILY, ALICE, "typing")
    await wait_for(hass, lambda: hass.states.get(FAMILY_ACTIVE).state == "1")
    before = hass.states.get(FAMILY_ACTIVITY)
    payload = presence_payload(FAMILY, "typing", participant=FAMILY)
    assert await post_event(ha_client, waha, "presence.update", payload) == 200
    await hass.async_block_till_done()
    assert hass.states.get(FAMILY_ACTIVITY) == before
    assert hass.states.get(FAMILY_ACTIVE).state == "1"
    assert FAMILY not in ready.runtime_data.coordinator.chats[FAMILY].participants


@pytest.mark.parametrize("engine", ["NOWEB"])
async def test_noweb_reports_online_for_paused(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """NOWEB never sends paused: the contact reads online, still active."""
    await waha.set_contact_presence(SESSION, ALICE, "typing")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "typing")
    await waha.set_contact_presence(SESSION, ALICE, "paused")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")
    assert hass.states.get(ALICE_ONLINE).state == "on"


@pytest.mark.parametrize("engine", ["WEBJS"])
async def test_webjs_turns_tags_events_on_and_reads_per_chat(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """WEBJS needs tagsEventsOn for presence events, and has no list endpoint."""
    assert waha.session(SESSION).config["webjs"]["tagsEventsOn"] is True
    paths = [r.path for r in waha.requests if r.method == "GET"]
    assert f"/api/{SESSION}/presence" not in paths
    await wait_for(
        hass,
        lambda: f"/api/{SESSION}/presence/{ALICE}" in [r.path for r in waha.requests],
    )
    await waha.set_contact_presence(SESSION, ALICE, "paused")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "paused")


@pytest.mark.parametrize("engine", ["GOWS", "WEBJS"])
async def test_per_chat_read_asks_for_the_lid_too(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """Bob is cached under the LID WhatsApp reports him by: the read asks for it."""
    # Our delivery is in place already: no PUT restarts the session and its cache.
    waha.session(SESSION).config = {
        "webhooks": [build_webhook(config_entry.data[CONF_WEBHOOK_URL], HMAC_KEY)],
        "webjs": {"tagsEventsOn": True},
    }
    waha.session(SESSION).subscriptions.add(BOB_LID)
    await waha.set_contact_presence(SESSION, BOB, "offline", last_seen=1_700_000_000)
    assert BOB_LID in waha.session(SESSION).presences
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await wait_for(hass, lambda: hass.states.get(BOB_PRESENCE).state == "offline")
    reads = [
        r.path for r in waha.requests if "/presence/" in r.path and r.method == "GET"
    ]
    assert f"/api/{SESSION}/presence/{BOB}" in reads
    assert f"/api/{SESSION}/presence/{BOB_LID}" in reads


@pytest.mark.parametrize("engine", ["GOWS"])
async def test_gows_reads_per_chat(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """GOWS's list endpoint is broken: initial state is read chat by chat."""
    await wait_for(
        hass,
        lambda: f"/api/{SESSION}/presence/{ALICE}" in [r.path for r in waha.requests],
    )
    assert f"/api/{SESSION}/presence" not in [
        r.path for r in waha.requests if r.method == "GET"
    ]


@pytest.mark.parametrize("engine", ["NOWEB"])
async def test_noweb_initial_state_from_list(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """NOWEB's cache gives the initial state in one call after subscribing."""
    # Our webhook is already in place, so setup needs no restart that would
    # empty the engine's cache.
    waha.session(SESSION).config = {
        "webhooks": [build_webhook(config_entry.data[CONF_WEBHOOK_URL], HMAC_KEY)]
    }
    waha.session(SESSION).subscriptions.add(ALICE)
    await waha.set_contact_presence(SESSION, ALICE, "offline", last_seen=1_700_000_000)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(1_700_000_000, tz=UTC).isoformat()
    )
    assert f"/api/{SESSION}/presence" in [
        r.path for r in waha.requests if r.method == "GET"
    ]


async def test_resubscribe_after_session_restart(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """WAHA drops subscriptions on restart; WORKING again brings them back."""
    await waha.restart_session(SESSION)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")


async def test_resubscribe_after_put(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    ha_client: TestClient,
) -> None:
    """Another client's PUT restarts the session; subscriptions come back."""
    config = waha.session(SESSION).config
    response = await ha_client.session.put(
        f"{waha.url}/api/sessions/{SESSION}",
        json={"config": config},
        headers={"X-Api-Key": waha.api_key},
    )
    assert response.status == 200
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)


async def test_resubscribe_on_timer(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
) -> None:
    """Subscriptions are renewed on the configured interval."""
    before = _subscribes(waha).count(ALICE)
    waha.session(SESSION).subscriptions.clear()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10, seconds=1))
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)
    assert _subscribes(waha).count(ALICE) == before + 1


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
    assert issue.translation_placeholders == {"session": SESSION, "url": waha.url}
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


async def test_last_seen_restored_after_restart(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """After a reload presence is unknown until fresh data; last seen is kept."""
    await waha.set_contact_presence(SESSION, ALICE, "offline", last_seen=1_800_000_000)
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    waha.session(SESSION).subscriptions.clear()
    # Wipe the engine cache so the reload cannot read Alice back from WAHA.
    waha.session(SESSION).presences.clear()
    assert await hass.config_entries.async_reload(ready.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNKNOWN
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(1_800_000_000, tz=UTC).isoformat()
    )


async def test_one_failing_subscribe_spares_the_others(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """WAHA refusing one subscribe still subscribes every other id."""
    waha.session(SESSION).subscriptions.clear()
    waha.fail_next(
        "POST", f"/api/{SESSION}/presence/{ALICE}/subscribe", 500, {"statusCode": 500}
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10, seconds=1))
    await wait_for(
        hass,
        lambda: (
            {ALICE_LID, BOB, BOB_LID, FAMILY} <= waha.session(SESSION).subscriptions
        ),
    )
    assert ALICE not in waha.session(SESSION).subscriptions


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


@pytest.mark.parametrize("tracked", [[chat_subentry(ALICE_LID, "Alice")]])
async def test_tracked_by_lid_matches_phone_events(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A contact tracked by its LID still matches events WAHA reports by phone."""
    assert {ALICE, ALICE_LID} <= waha.session(SESSION).subscriptions
    await waha.set_contact_presence(SESSION, ALICE, "typing")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "typing")


@pytest.mark.parametrize(
    "tracked",
    [[chat_subentry(ALICE, "Alice"), chat_subentry(ALICE_LID, "Alice LID")]],
)
async def test_contact_tracked_twice_keeps_both_devices(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """Tracked by number and by LID (before the flow refused it): each id its device."""
    phone = presence_payload(ALICE, "typing")
    assert await post_event(ha_client, waha, "presence.update", phone) == 200
    lid = presence_payload(ALICE_LID, "recording")
    assert await post_event(ha_client, waha, "presence.update", lid) == 200
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"
    assert hass.states.get("sensor.alice_lid_presence").state == "recording"


@pytest.mark.parametrize(
    ("engine", "faded"), [("NOWEB", "online"), ("GOWS", "paused"), ("WEBJS", "paused")]
)
async def test_typing_fades_without_refresh(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    faded: str,
) -> None:
    """Typing that WhatsApp stops refreshing ends, in the engine's own words."""
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "typing")
    )
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=29))
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "typing"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == faded
    activity = hass.states.get(ALICE_ACTIVITY)
    assert activity.attributes["event_type"] == faded
    assert activity.attributes["previous"] == "typing"


async def test_real_stop_cancels_the_fade(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A real presence after typing leaves nothing to fade later."""
    events: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda e: (
            e.data["entity_id"] == ALICE_ACTIVITY
            and events.append(e.data["new_state"].attributes.get("event_type"))
        ),
    )
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(FAMILY, "recording", participant=CAROL),
    )
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "recording")
    )
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "offline")
    )
    await hass.async_block_till_done()
    assert hass.states.get(FAMILY_ACTIVE).state == "1"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == "offline"
    assert events == ["recording", "offline"]
    assert hass.states.get(FAMILY_ACTIVE).state == "0"


async def test_one_event_one_context(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """The state changes one WAHA event causes share a context; the next gets its own."""
    contacts = (ALICE_PRESENCE, ALICE_ONLINE, ALICE_SEEN, ALICE_ACTIVITY)
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "online"),
        timestamp=1_800_000_000_000,
    )
    await hass.async_block_till_done()
    first = {hass.states.get(entity_id).context.id for entity_id in contacts}
    assert len(first) == 1
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "offline", last_seen=1_800_000_100),
        timestamp=1_800_000_100_000,
    )
    await hass.async_block_till_done()
    second = {hass.states.get(entity_id).context.id for entity_id in contacts}
    assert len(second) == 1
    assert second != first
    assert hass.states.get(BOB_PRESENCE).context.id not in first | second


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
    assert coordinator.raw_status == "FAILED"
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("lid_unknown", "ready")
async def test_events_wait_for_their_lid_lookup(
    hass: HomeAssistant, waha: WahaSimulator, ha_client: TestClient
) -> None:
    """Events for a LID that is being looked up apply once WAHA answers."""
    waha.delay_next("GET", f"/api/{SESSION}/lids/{ALICE_LID}", 0.3)
    ts = 1_900_000_000_000
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE_LID, "online"),
        timestamp=ts,
    )
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE_LID, "offline", last_seen=1_900_000_001),
        timestamp=ts + 1000,
    )
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    assert hass.states.get(ALICE_ACTIVITY).attributes["previous"] == "online"


async def test_fade_of_a_removed_chat_does_not_reach_it_when_re_added(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """Removing a typing contact cancels its fade; a re-added contact starts clean."""
    await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "typing")
    )
    await hass.async_block_till_done()
    subentry = next(s for s in ready.subentries.values() if s.unique_id == ALICE)
    assert hass.config_entries.async_remove_subentry(ready, subentry.subentry_id)
    await hass.async_block_till_done()
    hass.config_entries.async_add_subentry(
        ready, ConfigSubentry(**chat_subentry(ALICE, "Alice"))
    )
    await wait_for(hass, lambda: hass.states.get(ALICE_ACTIVITY) is not None)
    await settle(hass)
    before = hass.states.get(ALICE_ACTIVITY).attributes.get("event_type")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_ACTIVITY).attributes.get("event_type") == before
