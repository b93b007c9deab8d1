"""Typed async client for the WAHA HTTP API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
from typing import Any
from urllib.parse import quote

from aiohttp import ClientError, ClientSession, ClientTimeout
from yarl import URL

from .exceptions import (
    WahaConnectionError,
    WahaResponseError,
    WahaVersionError,
    error_for_status,
)
from .models import (
    ChatPresences,
    MeInfo,
    PresenceStatus,
    SessionInfo,
    WahaParseError,
    is_lid,
    parse_chat_presences,
    parse_me,
    parse_session,
    parse_version,
)

DEFAULT_TIMEOUT = 35.0
MAX_VERSION = 40
# WAHA Core's refusal of any session but `default`: a 422 with no `session` field.


class WahaClient:
    """Talks to one WAHA server with one API key."""

    def __init__(
        self,
        session: ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Store the shared aiohttp session and server settings."""
        self._session = session
        self.url = url.rstrip("/")
        self.public_url = public_url(self.url)
        self._api_key = api_key
        # Seconds one request may take, the answer included.
        self.timeout = timeout

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | list[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        session_name: str = "",
    ) -> Any:
        """Send one request and return its decoded JSON (None when empty)."""
        try:
            async with self._session.request(
                method,
                f"{self.url}{path}",
                params=params,
                json=body,
                headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
                timeout=ClientTimeout(total=self.timeout),
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError as err:
            raise WahaConnectionError(f"no answer to {method} {path} in time") from err
        except (ClientError, OSError) as err:
            raise WahaConnectionError(str(err) or type(err).__name__) from err
        data = _decode(raw.decode("utf-8", "replace"))
        if status < 300:
            return data
        raise error_for_status(status, data, session_name)

    async def ping(self) -> bool:
        """Return True when the server answers `/ping` (no key needed)."""
        data = await self._request("GET", "/ping")
        return isinstance(data, dict) and data.get("message") == "pong"

    async def server_version(self) -> dict[str, Any]:
        """Return the server's version object; checks the API key."""
        return _as_dict(await self._request("GET", "/api/server/version"))

    async def require_version(self, minimum: str) -> str:
        """Return WAHA's version; raise WahaVersionError when older than `minimum`."""
        return check_version(await self.server_version(), minimum)

    async def server_status(self) -> dict[str, Any]:
        """Return the server's status (start timestamp, uptime)."""
        return _as_dict(await self._request("GET", "/api/server/status"))

    async def list_sessions(self) -> list[SessionInfo]:
        """Return every session, stopped ones included."""
        data = await self._request("GET", "/api/sessions", params={"all": "true"})
        if not isinstance(data, list):
            raise WahaResponseError("sessions list is not a list")
        return [_parse(parse_session, item) for item in data]

    async def get_session(self, name: str) -> SessionInfo:
        """Return one session with its engine."""
        data = await self._request(
            "GET", f"/api/sessions/{_seg(name)}", session_name=name
        )
        return _parse(parse_session, data)

    async def update_session_config(
        self, name: str, config: Mapping[str, Any]
    ) -> SessionInfo:
        """Replace the session's whole config; WAHA restarts the session."""
        data = await self._request(
            "PUT",
            f"/api/sessions/{_seg(name)}",
            body={"config": dict(config)},
            session_name=name,
        )
        return _parse(parse_session, data)

    async def get_me(self, name: str) -> MeInfo | None:
        """Return the logged-in account, or None when not authenticated."""
        data = await self._request(
            "GET", f"/api/sessions/{_seg(name)}/me", session_name=name
        )
        return _parse(parse_me, data)

    async def set_presence(
        self, name: str, presence: PresenceStatus, chat_id: str | None = None
    ) -> None:
        """Set the account's presence, globally or in one chat."""
        body: dict[str, Any] = {"presence": presence.value}
        if chat_id is not None:
            body["chatId"] = chat_id
        await self._request(
            "POST", f"/api/{_seg(name)}/presence", body=body, session_name=name
        )

    async def get_presence(self, name: str, chat_id: str) -> ChatPresences:
        """Read (and subscribe to) one chat's presence; slow on every engine."""
        data = await self._request(
            "GET", f"/api/{_seg(name)}/presence/{_seg(chat_id)}", session_name=name
        )
        return _parse(parse_chat_presences, data)

    async def get_all_presences(self, name: str) -> list[ChatPresences]:
        """Read every subscribed presence (NOWEB and WPP only)."""
        data = await self._request(
            "GET", f"/api/{_seg(name)}/presence", session_name=name
        )
        if not isinstance(data, list):
            raise WahaResponseError("presence list is not a list")
        return [_parse(parse_chat_presences, item) for item in data]

    async def subscribe_presence(self, name: str, chat_id: str) -> None:
        """Ask WhatsApp for presence updates of one chat."""
        await self._request(
            "POST",
            f"/api/{_seg(name)}/presence/{_seg(chat_id)}/subscribe",
            session_name=name,
        )

    async def start_typing(self, name: str, chat_id: str) -> None:
        """Show "typing…" in a chat."""
        await self._request(
            "POST",
            "/api/startTyping",
            body={"session": name, "chatId": chat_id},
            session_name=name,
        )

    async def stop_typing(self, name: str, chat_id: str) -> None:
        """Stop showing "typing…" in a chat."""
        await self._request(
            "POST",
            "/api/stopTyping",
            body={"session": name, "chatId": chat_id},
            session_name=name,
        )

    async def check_exists(self, name: str, phone: str) -> str | None:
        """Return the chat id of a phone number on WhatsApp, or None."""
        data = _as_dict(
            await self._request(
                "GET",
                "/api/contacts/check-exists",
                params={"phone": phone, "session": name},
                session_name=name,
            )
        )
        chat_id = data.get("chatId")
        if data.get("numberExists") and isinstance(chat_id, str):
            return chat_id
        return None

    async def profile_picture(
        self, name: str, chat_id: str, *, refresh: bool = False
    ) -> str | None:
        """Return a chat's picture link, or None when it has none or hides it."""
        # WAHA caches links for 24 h; `refresh` asks WhatsApp, which rate-limits.
        data = await self._request(
            "GET",
            "/api/contacts/profile-picture",
            params={
                "contactId": chat_id,
                "session": name,
                "refresh": "true" if refresh else "false",
            },
            session_name=name,
        )
        # Older WEBJS leaves the key out (`undefined`) where newer WAHA sends null.
        return _link(_as_dict(data).get("profilePictureURL"))

    async def get_contact(self, name: str, contact_id: str) -> dict[str, Any] | None:
        """Return WAHA's contact object (engine-specific), or None."""
        data = await self._request(
            "GET",
            "/api/contacts",
            params={"contactId": contact_id, "session": name},
            session_name=name,
        )
        return data if isinstance(data, dict) else None

    async def chats_overview(
        self,
        name: str,
        *,
        limit: int = 100,
        offset: int = 0,
        ids: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Return chat summaries `{id, name, picture, …}`, of `ids` only if given."""
        params: list[tuple[str, str]] = [("limit", str(limit)), ("offset", str(offset))]
        params += [("ids", chat_id) for chat_id in ids or ()]
        data = await self._request(
            "GET",
            f"/api/{_seg(name)}/chats/overview",
            params=params,
            session_name=name,
        )
        if not isinstance(data, list):
            raise WahaResponseError("chats overview is not a list")
        return [item for item in data if isinstance(item, dict)]

    async def chat_pictures(self, name: str, ids: list[str]) -> dict[str, str | None]:
        """Return the picture link (None: none) of each chat of `ids` that exists."""
        # WAHA reads each from the cache the profile-picture endpoint uses.
        pictures: dict[str, str | None] = {}
        for chat in await self.chats_overview(name, limit=len(ids), ids=ids):
            # A summary without the key says nothing: that chat is read singly.
            if isinstance(chat_id := chat.get("id"), str) and "picture" in chat:
                pictures[chat_id] = _link(chat["picture"])
        return pictures

    async def lid_for_phone(self, name: str, chat_id: str) -> str | None:
        """Return the LID of a `@c.us` id, or None when WhatsApp keeps it hidden."""
        phone = chat_id.split("@", 1)[0]
        data = _as_dict(
            await self._request(
                "GET", f"/api/{_seg(name)}/lids/pn/{_seg(phone)}", session_name=name
            )
        )
        lid = data.get("lid")
        return lid if isinstance(lid, str) and lid else None

    async def lid_pairs(
        self, name: str, *, limit: int, offset: int = 0
    ) -> list[tuple[str, str | None]]:
        """Return one page of the `(lid, phone id)` pairs WAHA knows."""
        data = await self._request(
            "GET",
            f"/api/{_seg(name)}/lids",
            params={"limit": str(limit), "offset": str(offset)},
            session_name=name,
        )
        if not isinstance(data, list):
            raise WahaResponseError("LID list is not a list")
        pairs: list[tuple[str, str | None]] = []
        for item in data:
            lid = item.get("lid") if isinstance(item, dict) else None
            if not isinstance(lid, str):
                raise WahaResponseError("LID list holds something else")
            phone = item.get("pn")
            pairs.append((lid, phone if isinstance(phone, str) else None))
        return pairs

    async def other_id(self, name: str, chat_id: str) -> str | None:
        """Return a contact's LID for its `@c.us` id, or the reverse, when known."""
        if is_lid(chat_id):
            return await self.phone_for_lid(name, chat_id)
        return await self.lid_for_phone(name, chat_id)

    async def phone_for_lid(self, name: str, lid: str) -> str | None:
        """Return the `@c.us` id behind a LID, or None when not disclosed."""
        data = _as_dict(
            await self._request(
                "GET", f"/api/{_seg(name)}/lids/{_seg(lid)}", session_name=name
            )
        )
        phone = data.get("pn")
        return phone if isinstance(phone, str) and phone else None


def check_version(server: dict[str, Any], minimum: str) -> str:
    """Return the version in a server answer; raise WahaVersionError when too old."""
    raw = server.get("version")
    version = str(raw)[:MAX_VERSION]
    try:
        too_old = parse_version(raw) < parse_version(minimum)
    except WahaParseError:
        # A version we cannot read is no reason to refuse a WAHA that works.
        return version
    if too_old:
        raise WahaVersionError(version, minimum)
    return version


def public_url(url: str) -> str:
    """Return `url` without a user or password: for logs, repairs and links."""
    try:
        return str(URL(url).with_user(None)).rstrip("/")
    except ValueError:
        return url


def _link(value: Any) -> str | None:
    """Return a picture link WAHA gave, or None when it gave none."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None


def _seg(value: str) -> str:
    """Quote one path segment (WAHA wants `@` escaped in LIDs)."""
    return quote(value, safe="")


def _decode(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _as_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise WahaResponseError("expected a JSON object from WAHA")
    return data


def _parse[T](parser: Callable[[Any], T], data: Any) -> T:
    try:
        result = parser(data)
    except WahaParseError as err:
        raise WahaResponseError(f"unexpected WAHA response: {err}") from err
    return result
