"""The coordinator: events reach the entities of one chat; LIDs, ordering, fades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .conftest import chat_subentry
from .const import (
    ALICE,
    ALICE_ACTIVITY,
    ALICE_LID,
    ALICE_ONLINE,
    ALICE_PRESENCE,
    ALICE_SEEN,
    BOB,
    BOB_LID,
    BOB_PRESENCE,
    CAROL,
    FAMILY,
    FAMILY_ACTIVE,
    FAMILY_ACTIVITY,
    SESSION,
)
from .helpers import minute_ago_ms, post_event, presence_payload, settle, wait_for


async def test_online_event_updates_contact(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Online turns presence, online and last seen; offline keeps WAHA's last seen."""
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")
    assert hass.states.get(ALICE_ONLINE).state == "on"
    assert hass.states.get(ALICE_SEEN).state != STATE_UNKNOWN
    await waha.set_contact_presence(SESSION, ALICE, "offline", last_seen=1_700_000_000)
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    assert hass.states.get(ALICE_ONLINE).state == "off"
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(1_700_000_000, tz=UTC).isoformat()
    )


async def test_last_seen_hidden_uses_activity_time(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """With lastSeen hidden, last seen is the time of the latest active event."""
    ts = minute_ago_ms()
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
    # WAHA's LID list, as it reads before WhatsApp told it Alice's LID.
    waha.fail_next(
        "GET", f"/api/{SESSION}/lids", 200, [{"lid": BOB_LID, "pn": BOB}], count=1000
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
    ts = minute_ago_ms()
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
    # Carol is tracked by nobody: WAHA's name for her shows once it has answered.
    await wait_for(
        hass,
        lambda: hass.states.get(FAMILY_ACTIVE).attributes["recording"] == ["Carol"],
    )
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


async def test_last_seen_restored_after_restart(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """After a reload presence is unknown until fresh data; last seen is kept."""
    await waha.set_contact_presence(SESSION, ALICE, "offline", last_seen=1_700_000_000)
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "offline")
    waha.session(SESSION).subscriptions.clear()
    # Wipe the engine cache so the reload cannot read Alice back from WAHA.
    waha.session(SESSION).presences.clear()
    assert await hass.config_entries.async_reload(ready.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_PRESENCE).state == STATE_UNKNOWN
    assert (
        hass.states.get(ALICE_SEEN).state
        == datetime.fromtimestamp(1_700_000_000, tz=UTC).isoformat()
    )


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
    ts = minute_ago_ms() - 60_000
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "online"),
        timestamp=ts,
    )
    await hass.async_block_till_done()
    first = {hass.states.get(entity_id).context.id for entity_id in contacts}
    assert len(first) == 1
    await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "offline", last_seen=1_700_000_100),
        timestamp=ts + 100_000,
    )
    await hass.async_block_till_done()
    second = {hass.states.get(entity_id).context.id for entity_id in contacts}
    assert len(second) == 1
    assert second != first
    assert hass.states.get(BOB_PRESENCE).context.id not in first | second


@pytest.mark.usefixtures("lid_unknown", "ready")
async def test_events_wait_for_their_lid_lookup(
    hass: HomeAssistant, waha: WahaSimulator, ha_client: TestClient
) -> None:
    """Events for a LID that is being looked up apply once WAHA answers."""
    waha.delay_next("GET", f"/api/{SESSION}/lids/{ALICE_LID}", 0.3)
    ts = minute_ago_ms()
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
        presence_payload(ALICE_LID, "offline", last_seen=1_700_000_001),
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


@pytest.mark.parametrize(
    ("restored", "expected"),
    [
        ("9999-12-31T23:59:59+00:00", STATE_UNKNOWN),
        ("2023-11-14T22:13:00+00:00", "2023-11-14T22:13:00+00:00"),
    ],
)
async def test_last_seen_from_the_future_not_restored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    restored: str,
    expected: str,
) -> None:
    """A last seen from before the upgrade that lies in the future is not restored."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ALICE_SEEN, restored),
                {
                    "native_value": {
                        "__type": str(datetime),
                        "isoformat": restored,
                    },
                    "native_unit_of_measurement": None,
                },
            )
        ],
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ALICE_SEEN).state == expected
