"""Profile pictures: read from WAHA in the background, refreshed before they expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import (
    CONF_RESUBSCRIBE_MINUTES,
    CONF_SHOW_PICTURES,
    DOMAIN,
)
from custom_components.waha_presence.pictures import link_expiry
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_PICTURE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from simulator import WahaSimulator
from simulator.httputil import nest_error

from .conftest import chat_subentry
from .const import (
    ACCOUNT_ID,
    ALICE,
    ALICE_ONLINE,
    ALICE_PRESENCE,
    API_KEY,
    BOB,
    BOB_LID,
    BOB_PRESENCE,
    CAROL,
    FAMILY,
    FAMILY_ACTIVE,
    SESSION,
)
from .helpers import settle, wait_for

PICTURE_PATH = "/api/contacts/profile-picture"
OVERVIEW_PATH = f"/api/{SESSION}/chats/overview"


@pytest.fixture
def pictured(waha: WahaSimulator) -> WahaSimulator:
    """Give Alice and Family a picture; Bob hides his."""
    session = waha.session(SESSION)
    session.contacts[ALICE].picture = "alice"
    session.groups[FAMILY].picture = "family"
    return waha


def _picture(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    assert state is not None
    picture: str | None = state.attributes.get(ATTR_ENTITY_PICTURE)
    return picture


def _reads(waha: WahaSimulator, chat_id: str) -> list[dict[str, Any]]:
    """Return the single picture requests WAHA got for one chat, as query dicts."""
    return [
        r.query
        for r in waha.requests
        if r.path == PICTURE_PATH and r.query["contactId"] == chat_id
    ]


def _overviews(waha: WahaSimulator) -> int:
    """Return how many chats-overview requests WAHA got."""
    return sum(r.path == OVERVIEW_PATH for r in waha.requests)


def _fail_reads(waha: WahaSimulator, status: int, body: dict[str, Any]) -> None:
    """Answer the next overview and the next three single reads with an error."""
    waha.fail_next("GET", OVERVIEW_PATH, status, body)
    waha.fail_next("GET", PICTURE_PATH, status, body, count=3)


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await settle(hass)


async def test_pictures_show_on_the_presence_sensors(
    hass: HomeAssistant, pictured: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Contact and group pictures come from WAHA's cache; a hidden one is none."""
    await settle(hass)
    alice = _picture(hass, ALICE_PRESENCE)
    assert alice is not None
    assert alice.startswith(f"{pictured.url}/pps/")
    assert _picture(hass, FAMILY_ACTIVE) is not None
    assert _picture(hass, BOB_PRESENCE) is None
    # One entity per chat shows it; WhatsApp was not asked past WAHA's cache:
    # one overview request read them all, Bob's hidden one (null) included.
    assert _picture(hass, ALICE_ONLINE) is None
    assert _overviews(pictured) == 1
    assert _reads(pictured, ALICE) == _reads(pictured, BOB) == []


async def test_setup_does_not_wait_for_pictures(
    hass: HomeAssistant, pictured: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A slow picture read holds nothing up."""
    pictured.delay_next("GET", OVERVIEW_PATH, 1.0)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert _picture(hass, ALICE_PRESENCE) is None
    await wait_for(hass, lambda: _picture(hass, ALICE_PRESENCE) is not None)


async def test_refused_picture_is_no_picture(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """WhatsApp refusing the lookup: WAHA answers null, for a day."""
    alice = pictured.session(SESSION).contacts[ALICE]
    alice.picture_refused = True
    # WAHA's cache would answer the old link for a day; then it asks WhatsApp.
    await _tick(hass, freezer, timedelta(hours=25))
    assert _picture(hass, ALICE_PRESENCE) is None
    assert ready.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("status", "body", "retry"),
    [
        # The session is not WORKING: asked again within the hour.
        (
            422,
            {"error": "Session status is not as expected", "session": SESSION},
            timedelta(hours=1),
        ),
        # WAHA refuses (a key without rights to the session): asked again a day on.
        (403, {"message": "Forbidden", "statusCode": 403}, timedelta(hours=24)),
        (501, nest_error(501, "The method is not implemented by 'X' engine"), None),
    ],
)
async def test_waha_refusing_keeps_things_working(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    status: int,
    body: dict[str, Any],
    retry: timedelta | None,
) -> None:
    """An error answer leaves the entity without a picture and is retried later."""
    _fail_reads(pictured, status, body)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(ALICE_PRESENCE).state != "unavailable"
    assert {_picture(hass, e) for e in (ALICE_PRESENCE, FAMILY_ACTIVE)} == {None}
    retry = retry or timedelta(hours=24)
    await _tick(hass, freezer, retry - timedelta(minutes=5))
    assert _picture(hass, ALICE_PRESENCE) is None
    await _tick(hass, freezer, timedelta(minutes=65))
    assert _picture(hass, ALICE_PRESENCE) is not None
    assert _picture(hass, FAMILY_ACTIVE) is not None


async def test_pictures_retried_when_the_session_works_again(
    hass: HomeAssistant, pictured: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """Reads that failed while the session was down are retried once it works."""
    body = {"error": "Session status is not as expected", "session": SESSION}
    _fail_reads(pictured, 422, body)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert _picture(hass, ALICE_PRESENCE) is None
    await pictured.set_status(SESSION, "SCAN_QR_CODE")
    await wait_for(hass, lambda: not config_entry.runtime_data.coordinator.available)
    await pictured.set_status(SESSION, "WORKING")
    await wait_for(hass, lambda: _picture(hass, ALICE_PRESENCE) is not None)


async def test_hidden_later_and_changed_pictures_follow_waha(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pictures are read again daily: a hidden one goes, a new one shows."""
    first = _picture(hass, ALICE_PRESENCE)
    pictured.session(SESSION).contacts[ALICE].picture = None
    pictured.session(SESSION).contacts[BOB].picture = "bob"
    await _tick(hass, freezer, timedelta(hours=12))
    assert _picture(hass, ALICE_PRESENCE) == first
    await _tick(hass, freezer, timedelta(hours=13))
    assert _picture(hass, ALICE_PRESENCE) is None
    assert _picture(hass, BOB_PRESENCE) is not None
    # Never more than one read a day (one overview for all), never a forced refresh.
    assert _overviews(pictured) == 2
    assert _reads(pictured, ALICE) == []


async def test_expiring_link_is_replaced_before_it_breaks(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A link close to its `oe` is asked of WhatsApp anew (refresh), in time."""
    pictured.picture_link_s = 3 * 3600
    pictured.session(SESSION).contacts[ALICE].picture = "alice-2"
    await pictured.set_status(SESSION, "STARTING")
    await pictured.set_status(SESSION, "WORKING")
    await settle(hass)
    # The cached link (valid for a week) is still shown: WAHA has it cached.
    first = _picture(hass, ALICE_PRESENCE)
    assert first is not None
    await _tick(hass, freezer, timedelta(hours=25))
    second = _picture(hass, ALICE_PRESENCE)
    assert second not in (None, first)
    expiry = link_expiry(second)
    assert expiry is not None
    # WAHA's fresh link expires in 3 h: an hour on, it is still cached by WAHA
    # and 2 h from expiry, so it is replaced with `refresh=true`.
    await _tick(hass, freezer, timedelta(hours=1))
    third = _picture(hass, ALICE_PRESENCE)
    assert third not in (None, second)
    # The overview gave the expiring link; only the refresh was asked singly.
    assert [q["refresh"] for q in _reads(pictured, ALICE)] == ["true"]
    # If WAHA refuses then, a link that would break before the next try goes.
    pictured.fail_next("GET", PICTURE_PATH, 403, {"message": "Forbidden"}, count=2)
    await _tick(hass, freezer, timedelta(hours=1))
    assert _picture(hass, ALICE_PRESENCE) is None


async def test_option_turns_pictures_off_and_on(
    hass: HomeAssistant, pictured: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Off clears every picture at once, without a reload; on brings them back."""
    runtime = ready.runtime_data
    assert _picture(hass, ALICE_PRESENCE) is not None
    for show in (False, True):
        result = await hass.config_entries.options.async_init(ready.entry_id)
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_RESUBSCRIBE_MINUTES: 10, CONF_SHOW_PICTURES: show},
        )
        await settle(hass)
        assert ready.runtime_data is runtime
        assert (_picture(hass, ALICE_PRESENCE) is not None) is show
        assert (_picture(hass, FAMILY_ACTIVE) is not None) is show


@pytest.mark.parametrize("show", [False])
async def test_pictures_off_asks_waha_nothing(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    config_entry: MockConfigEntry,
    show: bool,
) -> None:
    """With pictures off, WAHA is never asked for one."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_SHOW_PICTURES: show}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert _picture(hass, ALICE_PRESENCE) is None
    assert not [r for r in pictured.requests if r.path == PICTURE_PATH]
    assert _overviews(pictured) == 0


@pytest.fixture
def number_hidden(waha: WahaSimulator) -> None:
    """WAHA's LID list lacks Bob's pair: his LID does not tell his number."""
    waha.session(SESSION).contacts[BOB].lid = None


@pytest.mark.parametrize("tracked", [[chat_subentry(BOB_LID, "Bob")]])
async def test_lid_contact_shows_no_number(
    hass: HomeAssistant,
    number_hidden: None,
    ready: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A contact tracked by its LID has no number to show, and shows none."""
    bob = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{BOB_LID}"), ready.entry_id
    )
    assert bob is not None
    assert (bob.serial_number, bob.configuration_url) == (None, None)


@pytest.mark.parametrize("tracked", [[chat_subentry(BOB_LID, "Bob")]])
async def test_lid_contact_shows_the_number_once_learned(
    hass: HomeAssistant,
    waha: WahaSimulator,
    number_hidden: None,
    ready: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """WAHA tells Bob's number hours after setup: his device shows it then."""
    waha.session(SESSION).contacts[BOB].lid = BOB_LID
    freezer.tick(timedelta(hours=6, minutes=1))
    async_fire_time_changed(hass)
    await settle(hass)
    bob = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{BOB_LID}"), ready.entry_id
    )
    assert bob is not None
    assert (bob.serial_number, bob.configuration_url) == (
        "+31622222222",
        "https://wa.me/31622222222",
    )


async def test_contact_devices_show_the_number(
    hass: HomeAssistant, ready: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """A contact's device carries its number and a wa.me link; a group's none."""
    alice = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{ALICE}"), ready.entry_id
    )
    assert alice is not None
    assert (alice.serial_number, alice.configuration_url, alice.model) == (
        "+31611111111",
        "https://wa.me/31611111111",
        "Contact",
    )
    family = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{FAMILY}"), ready.entry_id
    )
    assert family is not None
    assert (family.serial_number, family.configuration_url, family.model) == (
        None,
        None,
        "Group",
    )


def test_link_expiry() -> None:
    assert link_expiry("https://pps.whatsapp.net/v/x.jpg?oe=6A000000") is not None
    assert link_expiry("https://example.com/a.jpg") is None
    assert link_expiry("https://example.com/a.jpg?oe=nothex") is None


async def test_untracked_chat_is_forgotten(
    hass: HomeAssistant, pictured: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A chat untracked while its picture is read is not shown or read again."""
    keeper = ready.runtime_data.coordinator.pictures
    keeper.async_set_enabled(False)
    pictured.delay_next("GET", OVERVIEW_PATH, 0.3)
    keeper.async_set_enabled(True)
    subentry_id = next(
        sid for sid, sub in ready.subentries.items() if sub.unique_id == ALICE
    )
    hass.config_entries.async_remove_subentry(ready, subentry_id)
    await settle(hass)
    assert ALICE not in keeper.chats
    keeper.async_check()
    await settle(hass)
    assert _overviews(pictured) == 2
    assert _reads(pictured, ALICE) == []
    assert _picture(hass, FAMILY_ACTIVE) is not None


# Chats enough for six overview pages (five of 20, then 1) with Alice, Bob and Family.
FRIENDS = [f"3170000{n:04d}@c.us" for n in range(98)]
CROWD = [
    chat_subentry(ALICE, "Alice"),
    chat_subentry(BOB, "Bob"),
    chat_subentry(FAMILY, "Family"),
    *(chat_subentry(chat_id, f"Friend {n}") for n, chat_id in enumerate(FRIENDS)),
]


@pytest.fixture
def crowd(pictured: WahaSimulator) -> WahaSimulator:
    """Add 98 contacts with a chat; every seventh hides the picture."""
    for n, chat_id in enumerate(FRIENDS):
        picture = None if n % 7 == 0 else f"friend-{n}"
        pictured.add_contact(SESSION, chat_id, name=f"Friend {n}", picture=picture)
    return pictured


async def _requests_counted(waha: WahaSimulator) -> int:
    """Return the simulator's request count, from its stats control API."""
    async with (
        aiohttp.ClientSession(headers={"X-Api-Key": API_KEY}) as api,
        api.get(f"{waha.url}/_sim/stats") as response,
    ):
        count: int = (await response.json())["requests"]
    return count


@pytest.mark.parametrize("tracked", [CROWD])
async def test_many_pictures_take_few_requests(
    hass: HomeAssistant, crowd: WahaSimulator, ready: MockConfigEntry
) -> None:
    """101 chats' pictures come in six overview requests, none read singly."""
    keeper = ready.runtime_data.coordinator.pictures
    session = crowd.session(SESSION)
    for chat_id, chat in keeper.chats.items():
        has_one = (session.groups.get(chat_id) or session.contacts[chat_id]).picture
        assert (chat.picture is not None) is (has_one is not None)
    assert _overviews(crowd) == 6
    assert not [r for r in crowd.requests if r.path == PICTURE_PATH]
    # Read all again: the simulator counts six requests, no more.
    keeper.async_set_enabled(False)
    before = await _requests_counted(crowd)
    keeper.async_set_enabled(True)
    await settle(hass)
    assert await _requests_counted(crowd) - before == 6
    assert sum(chat.picture is not None for chat in keeper.chats.values()) == 86


@pytest.mark.parametrize(
    "tracked", [[chat_subentry(ALICE, "Alice"), chat_subentry(CAROL, "Carol")]]
)
async def test_contact_without_a_chat_is_read_singly(
    hass: HomeAssistant, pictured: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """A contact never chatted with is not in the overview: read on its own."""
    carol = pictured.session(SESSION).contacts[CAROL]
    carol.picture, carol.has_chat = "carol", False
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert _picture(hass, "sensor.carol_presence") is not None
    assert _picture(hass, ALICE_PRESENCE) is not None
    assert _reads(pictured, CAROL) == [
        {"contactId": CAROL, "session": SESSION, "refresh": "false"}
    ]
    assert _reads(pictured, ALICE) == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"statusCode": 500, "message": "Internal server error"}),
        (400, nest_error(400, "Enable NOWEB store when starting a new session.")),
        (404, {"statusCode": 404, "message": "Cannot GET /api/default/chats"}),
    ],
)
async def test_failed_overview_falls_back_to_single_reads(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    config_entry: MockConfigEntry,
    status: int,
    body: dict[str, Any],
) -> None:
    """WAHA refusing the overview loses no chat: each is read on its own."""
    pictured.fail_next("GET", OVERVIEW_PATH, status, body)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert _picture(hass, ALICE_PRESENCE) is not None
    assert _picture(hass, FAMILY_ACTIVE) is not None
    assert _picture(hass, BOB_PRESENCE) is None
    for chat_id in (ALICE, BOB, FAMILY):
        assert len(_reads(pictured, chat_id)) == 1


async def test_overview_out_of_reach_is_retried_within_the_hour(
    hass: HomeAssistant,
    pictured: WahaSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """WAHA dropping the overview: nothing asked singly, all asked again an hour on."""
    # aiohttp sends an idempotent request again once when a reused connection drops.
    pictured.drop_next("GET", OVERVIEW_PATH, count=2)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    while pictured.take_failure("GET", OVERVIEW_PATH):
        pass  # a drop left unused, had the connection been new
    assert _picture(hass, ALICE_PRESENCE) is None
    assert not [r for r in pictured.requests if r.path == PICTURE_PATH]
    asked = _overviews(pictured)
    await _tick(hass, freezer, timedelta(minutes=65))
    assert _picture(hass, ALICE_PRESENCE) is not None
    assert _picture(hass, FAMILY_ACTIVE) is not None
    assert _overviews(pictured) == asked + 1
