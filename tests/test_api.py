"""The WAHA client against the simulator: requests and error mapping."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiohttp import ClientSession
import pytest

from custom_components.waha_presence.api import WahaClient
from custom_components.waha_presence.exceptions import (
    WahaAuthError,
    WahaBadRequestError,
    WahaConnectionError,
    WahaCoreSessionError,
    WahaNotFoundError,
    WahaNotSupportedError,
    WahaResponseError,
    WahaSessionNotReadyError,
    WahaVersionError,
)
from custom_components.waha_presence.models import PresenceStatus, SessionStatus
from simulator import WahaSimulator
from simulator.const import OLD_VERSION

from .const import ACCOUNT_ID, ALICE, ALICE_LID, API_KEY, BOB, CAROL, FAMILY, SESSION


@pytest.fixture
async def client(waha: WahaSimulator) -> AsyncGenerator[WahaClient]:
    """Return a client with its own aiohttp session."""
    async with ClientSession() as session:
        yield WahaClient(session, waha.url + "/", API_KEY, timeout=2)


async def test_reads(client: WahaClient, waha: WahaSimulator) -> None:
    """Sessions, the account, LIDs and contacts parse from real responses."""
    assert await client.ping()
    assert (await client.server_version())["version"]
    assert "startTimestamp" in await client.server_status()
    sessions = await client.list_sessions()
    assert [s.name for s in sessions] == [SESSION]
    session = await client.get_session(SESSION)
    assert session.status is SessionStatus.WORKING
    assert session.engine == "NOWEB"
    assert session.me is not None
    assert session.me.id == ACCOUNT_ID
    me = await client.get_me(SESSION)
    assert me is not None
    assert me.id == ACCOUNT_ID
    assert await client.lid_for_phone(SESSION, ALICE) == ALICE_LID
    assert await client.phone_for_lid(SESSION, ALICE_LID) == ALICE
    assert await client.check_exists(SESSION, "31611111111") == ALICE
    contact = await client.get_contact(SESSION, ALICE)
    assert contact is not None
    assert contact["name"] == "Alice"
    assert any(chat["id"] == ALICE for chat in await client.chats_overview(SESSION))
    request = waha.requests[-1]
    assert request.headers["X-Api-Key"] == API_KEY


async def test_chat_pictures(client: WahaClient, waha: WahaSimulator) -> None:
    """One overview request gives each existing chat's link, or None."""
    session = waha.session(SESSION)
    session.contacts[ALICE].picture = "alice"
    session.contacts[CAROL].has_chat = False
    pictures = await client.chat_pictures(SESSION, [ALICE, BOB, CAROL, FAMILY])
    assert set(pictures) == {ALICE, BOB, FAMILY}
    assert pictures[ALICE] == await client.profile_picture(SESSION, ALICE)
    assert pictures[ALICE] is not None
    assert pictures[BOB] is None
    overview = [r for r in waha.requests if r.path.endswith("/chats/overview")]
    assert len(overview) == 1
    assert overview[0].query["limit"] == "4"


async def test_presence_calls(client: WahaClient, waha: WahaSimulator) -> None:
    """Subscribe, read and set presence send exactly WAHA's requests."""
    await client.subscribe_presence(SESSION, ALICE_LID)
    assert waha.requests[-1].path == f"/api/{SESSION}/presence/{ALICE_LID}/subscribe"
    assert ALICE_LID in waha.session(SESSION).subscriptions
    await client.set_presence(SESSION, PresenceStatus.TYPING, ALICE)
    assert waha.requests[-1].json == {"presence": "typing", "chatId": ALICE}
    await client.set_presence(SESSION, PresenceStatus.OFFLINE)
    assert waha.requests[-1].json == {"presence": "offline"}
    result = await client.get_presence(SESSION, ALICE)
    assert result.chat_id == ALICE
    assert isinstance(await client.get_all_presences(SESSION), list)
    await client.start_typing(SESSION, ALICE)
    assert waha.requests[-1].json == {"session": SESSION, "chatId": ALICE}
    await client.stop_typing(SESSION, ALICE)
    assert waha.requests[-1].path == "/api/stopTyping"


async def test_errors(client: WahaClient, waha: WahaSimulator) -> None:
    """Each WAHA error maps to its own exception."""
    with pytest.raises(WahaBadRequestError, match="requires 'chatId'"):
        await client.set_presence(SESSION, PresenceStatus.TYPING)
    with pytest.raises(WahaNotFoundError):
        await client.get_session("missing")
    with pytest.raises(WahaSessionNotReadyError) as not_ready:
        await client.subscribe_presence("missing", ALICE)
    assert not_ready.value.session == "missing"
    await waha.set_status(SESSION, "STOPPED")
    with pytest.raises(WahaSessionNotReadyError) as stopped:
        await client.subscribe_presence(SESSION, ALICE)
    assert stopped.value.status == "STOPPED"
    waha.fail_next(
        "GET",
        f"/api/{SESSION}/presence",
        501,
        {
            "message": "The method is not implemented by 'WEBJS' engine. Check the docs",
            "error": "Not Implemented",
            "statusCode": 501,
        },
    )
    with pytest.raises(WahaNotSupportedError) as unsupported:
        await client.get_all_presences(SESSION)
    assert unsupported.value.engine == "WEBJS"
    echo = {
        "statusCode": 500,
        "exception": {"message": "boom"},
        "request": {"body": {"config": {"webhooks": [{"hmac": {"key": "s3cret"}}]}}},
    }
    waha.fail_next("PUT", f"/api/sessions/{SESSION}", 500, echo)
    with pytest.raises(WahaResponseError) as echoed:
        await client.update_session_config(SESSION, {})
    assert "boom" in str(echoed.value)
    assert "s3cret" not in str(echoed.value)
    waha.fail_next("GET", "/api/server/version", 500, None)
    with pytest.raises(WahaResponseError, match="500"):
        await client.server_version()
    waha.fail_next("GET", "/api/sessions", 200, {"not": "a list"})
    with pytest.raises(WahaResponseError):
        await client.list_sessions()
    waha.fail_next("GET", f"/api/sessions/{SESSION}", 200, {"name": SESSION})
    with pytest.raises(WahaResponseError, match="status"):
        await client.get_session(SESSION)


async def test_require_version(client: WahaClient, waha: WahaSimulator) -> None:
    """WAHA's version is compared with the minimum; one we cannot read passes."""
    assert await client.require_version("2025.8") == "2026.7.1"
    waha.version = "2025.8.3-plus"
    assert await client.require_version("2025.8") == "2025.8.3-plus"
    waha.version = OLD_VERSION
    with pytest.raises(WahaVersionError) as old:
        await client.require_version("2025.8")
    assert (old.value.version, old.value.minimum) == ("2024.10.8", "2025.8")
    assert str(old.value) == "WAHA 2024.10.8 is older than 2025.8"
    waha.version = "next-" + "x" * 100
    assert await client.require_version("2025.8") == ("next-" + "x" * 100)[:40]


async def test_core_refusal(client: WahaClient, waha: WahaSimulator) -> None:
    """WAHA Core's 422 for a session but `default` is its own error, not "not ready"."""
    waha.add_session("work")
    waha.tier = "CORE"
    with pytest.raises(WahaCoreSessionError) as refused:
        await client.get_session("work")
    assert refused.value.session == "work"
    assert str(refused.value).startswith("WAHA Core support only 'default' session.")
    with pytest.raises(WahaCoreSessionError):
        await client.subscribe_presence("work", ALICE)
    # The session-not-ready 422 keeps its own meaning.
    await waha.set_status(SESSION, "STARTING")
    with pytest.raises(WahaSessionNotReadyError):
        await client.subscribe_presence(SESSION, ALICE)


async def test_auth_and_connection(waha: WahaSimulator) -> None:
    """A wrong key is an auth error; a timeout and a closed port are connection errors."""
    async with ClientSession() as session:
        with pytest.raises(WahaAuthError):
            await WahaClient(session, waha.url, "wrong").server_version()
        waha.delay_next("GET", "/api/server/version", 1.0)
        with pytest.raises(
            WahaConnectionError, match="no answer to GET /api/server/version in time"
        ):
            await WahaClient(session, waha.url, API_KEY, timeout=0.2).server_version()
        url = waha.url
        await waha.stop()
        with pytest.raises(WahaConnectionError, match="Cannot connect to host"):
            await WahaClient(session, url, API_KEY).server_version()


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("http://proxy-user:proxy-secret@waha.local:3000/", "http://waha.local:3000"),
        ("https://waha.local", "https://waha.local"),
        ("http://[::1", "http://[::1"),
    ],
)
async def test_public_url_has_no_credentials(url: str, public: str) -> None:
    """What logs, repairs and device links show carries no proxy password."""
    async with ClientSession() as session:
        assert WahaClient(session, url, API_KEY).public_url == public
