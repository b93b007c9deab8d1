"""Subscription upkeep: subscribes, renewals and initial reads per engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import CONF_WEBHOOK_URL
from custom_components.waha_presence.session_config import build_webhook
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
from simulator import WahaSimulator

from .conftest import chat_subentry
from .const import (
    ALICE,
    ALICE_LID,
    ALICE_PRESENCE,
    ALICE_SEEN,
    BOB,
    BOB_LID,
    BOB_PRESENCE,
    CAROL,
    CAROL_LID,
    FAMILY,
    HMAC_KEY,
    SESSION,
)
from .helpers import settle, wait_for

SERVER_ERROR = {"statusCode": 500, "message": "Internal server error"}


def _subscribe_path(chat_id: str) -> str:
    return f"/api/{SESSION}/presence/{chat_id}/subscribe"


async def _later(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await settle(hass)


async def _reconnect(
    hass: HomeAssistant, waha: WahaSimulator, entry: MockConfigEntry
) -> None:
    """WhatsApp drops and comes back: WAHA forgot every subscription."""
    coordinator = entry.runtime_data.coordinator
    waha.lose_whatsapp(SESSION, every=60)
    await wait_for(hass, lambda: not coordinator.available)
    await waha.reach_whatsapp(SESSION)
    await wait_for(hass, lambda: coordinator.available)


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


async def test_failed_subscribe_retried_per_id(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """WAHA answering 500 during a reconnect: each id is tried again until it works."""
    waha.fail_next("POST", _subscribe_path(ALICE), 500, SERVER_ERROR, count=2)
    waha.fail_next("POST", _subscribe_path(ALICE_LID), 500, SERVER_ERROR)
    await _reconnect(hass, waha, ready)
    subscriptions = waha.session(SESSION).subscriptions
    await wait_for(hass, lambda: {BOB, BOB_LID, FAMILY} <= subscriptions)
    await settle(hass)
    assert not {ALICE, ALICE_LID} & subscriptions
    # Until the retry, WhatsApp does not tell us about Alice.
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await settle(hass)
    assert hass.states.get(ALICE_PRESENCE).state != "online"
    before = _subscribes(waha)

    await _later(hass, 5.5)
    assert ALICE_LID in subscriptions
    assert ALICE not in subscriptions
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")
    # The phone id waits twice as long for its next try; then no more.
    await _later(hass, 8)
    assert ALICE not in subscriptions
    await _later(hass, 11)
    assert ALICE in subscriptions
    await _later(hass, 200)
    retried = _subscribes(waha)[len(before) :]
    assert sorted(retried) == sorted([ALICE_LID, ALICE, ALICE])


async def test_phone_id_timing_out_spares_the_lid(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A subscribe that gets no answer in time costs neither the LID nor the retry."""
    ready.runtime_data.client.timeout = 0.3
    waha.delay_next("POST", _subscribe_path(ALICE), 2)
    await _reconnect(hass, waha, ready)
    subscriptions = waha.session(SESSION).subscriptions
    await wait_for(hass, lambda: {ALICE_LID, BOB, BOB_LID, FAMILY} <= subscriptions)
    await settle(hass)
    # WAHA dropped the request it held when we gave up on it.
    assert ALICE not in subscriptions
    await _later(hass, 5.5)
    assert ALICE in subscriptions


async def test_retry_ends_with_the_chat(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A chat no longer tracked is not subscribed again."""
    waha.fail_next("POST", _subscribe_path(ALICE), 500, SERVER_ERROR)
    waha.fail_next("POST", _subscribe_path(ALICE_LID), 500, SERVER_ERROR)
    await _reconnect(hass, waha, ready)
    await wait_for(hass, lambda: FAMILY in waha.session(SESSION).subscriptions)
    await settle(hass)
    subentry_id = next(
        sid for sid, sub in ready.subentries.items() if sub.unique_id == ALICE
    )
    assert hass.config_entries.async_remove_subentry(ready, subentry_id)
    await settle(hass)
    before = len(_subscribes(waha))
    await _later(hass, 60)
    assert _subscribes(waha)[before:] == []


async def _reconnect_with_alice_retry(
    hass: HomeAssistant, waha: WahaSimulator, entry: MockConfigEntry
) -> None:
    """Reconnect with Alice's subscribe failing once: her retry is waiting."""
    waha.fail_next("POST", _subscribe_path(ALICE), 500, SERVER_ERROR)
    await _reconnect(hass, waha, entry)
    await wait_for(hass, lambda: ALICE_LID in waha.session(SESSION).subscriptions)
    await settle(hass)


async def test_retry_waits_for_working(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A retry due while the session is down is left to the subscribes of its return."""
    await _reconnect_with_alice_retry(hass, waha, ready)
    coordinator = ready.runtime_data.coordinator
    waha.lose_whatsapp(SESSION, every=600)
    await wait_for(hass, lambda: not coordinator.available)
    before = len(_subscribes(waha))
    await _later(hass, 30)
    assert _subscribes(waha)[before:] == []
    await waha.reach_whatsapp(SESSION)
    await wait_for(hass, lambda: ALICE in waha.session(SESSION).subscriptions)


async def test_unload_cancels_retries(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Nothing is subscribed for an entry that is gone."""
    await _reconnect_with_alice_retry(hass, waha, ready)
    assert await hass.config_entries.async_unload(ready.entry_id)
    before = len(_subscribes(waha))
    await _later(hass, 60)
    assert _subscribes(waha)[before:] == []


async def test_stop_cancels_retries(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Home Assistant's stop cancels a retry that is waiting."""
    await _reconnect_with_alice_retry(hass, waha, ready)
    waiting = [
        handle
        for handle in get_scheduled_timer_handles(hass.loop)
        if any(
            isinstance(arg, HassJob) and arg.name == "waha_presence subscribe retry"
            for arg in handle._args or ()
        )
    ]
    assert len(waiting) == 1
    await hass.async_stop()
    assert waiting[0].cancelled()


def _lid_reads(waha: WahaSimulator) -> list[str]:
    return [r.path for r in waha.requests if "/lids" in r.path]


async def test_lids_are_read_in_one_request(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Setup learns every contact's LID from WAHA's list, not chat by chat."""
    assert _lid_reads(waha) == [f"/api/{SESSION}/lids"]
    assert ready.runtime_data.coordinator.chats[ALICE].alias == ALICE_LID


@pytest.mark.parametrize(
    "tracked",
    [[chat_subentry(ALICE, "Alice"), chat_subentry(CAROL, "Carol")]],
)
async def test_a_contact_without_lid_is_asked_for_rarely(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Carol has no LID yet: renewals do not ask again until hours have passed."""
    coordinator = ready.runtime_data.coordinator
    assert coordinator.chats[CAROL].alias is None
    waha.requests.clear()
    for _ in range(3):
        freezer.tick(timedelta(minutes=10, seconds=1))
        await _later(hass, 0)
    assert _lid_reads(waha) == []
    assert _subscribes(waha).count(CAROL) == 3
    # WhatsApp tells WAHA her LID meanwhile; the next read, hours on, learns it.
    waha.session(SESSION).contacts[CAROL].lid = CAROL_LID
    freezer.tick(timedelta(hours=6))
    await _later(hass, 0)
    assert _lid_reads(waha) == [f"/api/{SESSION}/lids"]
    assert coordinator.chats[CAROL].alias == CAROL_LID
    assert CAROL_LID in waha.session(SESSION).subscriptions


async def test_lid_list_read_page_by_page(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A list longer than one page is read to its end."""
    monkeypatch.setattr("custom_components.waha_presence.lids.LID_PAGE", 1)
    for n in range(3):
        waha.add_contact(SESSION, f"3164444444{n}@c.us", lid=f"44444444{n}@lid")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    coordinator = config_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.chats[BOB].alias == BOB_LID)
    # The account's own pair, Alice, Bob and three more: seven pages, one empty.
    assert len(_lid_reads(waha)) == 7
    assert coordinator.chats[ALICE].alias == ALICE_LID


@pytest.mark.parametrize("engine", ["NOWEB"])
async def test_lid_list_refused_is_not_asked_again_at_once(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """NOWEB without its store refuses the list: renewals leave it alone."""
    coordinator = ready.runtime_data.coordinator
    waha.session(SESSION).contacts[CAROL].lid = CAROL_LID
    waha.fail_next(
        "GET",
        f"/api/{SESSION}/lids",
        400,
        {"statusCode": 400, "message": "Enable NOWEB store"},
    )
    subentry = chat_subentry(CAROL, "Carol")
    hass.config_entries.async_add_subentry(
        ready,
        ConfigSubentry(**subentry),  # type: ignore[typeddict-item]
    )
    await wait_for(hass, lambda: CAROL in coordinator.chats)
    await settle(hass)
    assert coordinator.chats[CAROL].alias is None
    waha.requests.clear()
    freezer.tick(timedelta(minutes=10, seconds=1))
    await _later(hass, 0)
    assert _lid_reads(waha) == []
