"""Profile pictures: WAHA's 24-hour cache in front of WhatsApp's expiring CDN links."""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from typing import TYPE_CHECKING

from aiohttp import web

from .httputil import reply, sim_of, validation_error, working_session
from .ids import normalize_chat_id

if TYPE_CHECKING:
    from .state import SimSession
    from .world import SimWorld

CDN_PATH = "/pps/v/t61.24694-24/"
_SIGNING_KEY = b"waha-simulator-cdn"


def register(router: web.UrlDispatcher) -> None:
    """Add the picture routes and the CDN stand-in that serves the links."""
    router.add_get("/api/contacts/profile-picture", contact_picture)
    router.add_get("/api/{session}/chats/{chat_id}/picture", chat_picture)
    router.add_get("/api/{session}/groups/{chat_id}/picture", chat_picture)
    router.add_get(CDN_PATH + "{file}", cdn_file)


def _refresh(request: web.Request) -> bool:
    """Return the `refresh` query flag (default false)."""
    return request.query.get("refresh", "false").lower() == "true"


async def contact_picture(request: web.Request) -> web.Response:
    """Answer `GET /api/contacts/profile-picture?contactId=&session=&refresh=`."""
    session = working_session(request, request.query.get("session", "default"))
    contact_id = request.query.get("contactId")
    if not contact_id:
        raise validation_error(["contactId should not be empty"])
    url = picture_url(request, session, contact_id, refresh=_refresh(request))
    return reply({"profilePictureURL": url})


async def chat_picture(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/chats|groups/{id}/picture?refresh=` with `{url}`."""
    session = working_session(request, request.match_info["session"])
    url = picture_url(
        request, session, request.match_info["chat_id"], refresh=_refresh(request)
    )
    return reply({"url": url})


def picture_url(
    request: web.Request, session: SimSession, raw_id: str, *, refresh: bool
) -> str | None:
    """Return the cached link, fetching it from "WhatsApp" when missing or asked."""
    sim = sim_of(request)
    now = time.time()
    cached = session.pictures.get(raw_id)
    if cached is not None and not refresh and now - cached[1] < sim.picture_cache_s:
        return cached[0]
    url = _fetch(request, sim, session, normalize_chat_id(raw_id), now)
    # WAHA caches a failed lookup as null too (refreshProfilePicture).
    session.pictures[raw_id] = (url, now)
    return url


def _fetch(
    request: web.Request, sim: SimWorld, session: SimSession, chat_id: str, now: float
) -> str | None:
    """Return a fresh CDN link for the chat's picture, or None (hidden, refused)."""
    if group := session.groups.get(chat_id):
        picture = group.picture
    elif (contact := session.find_contact(chat_id)) and not contact.picture_refused:
        picture = contact.picture
    else:
        picture = None
    if picture is None:
        return None
    token = hashlib.sha256(f"{chat_id}/{picture}".encode()).hexdigest()[:20]
    sim.picture_files[token] = picture
    expires = f"{int(now + sim.picture_link_s):X}"
    origin = str(request.url.origin())
    return (
        f"{origin}{CDN_PATH}{token}_n.jpg?ccb=11-4&oh={_sign(token, expires)}"
        f"&oe={expires}&_nc_sid=5e03e0&_nc_cat=1"
    )


def _sign(token: str, expires: str) -> str:
    digest = hmac.new(_SIGNING_KEY, f"{token}:{expires}".encode(), hashlib.sha256)
    return "01_" + digest.hexdigest()[:32]


async def cdn_file(request: web.Request) -> web.Response:
    """Serve a link like WhatsApp's CDN: 403 once `oe` passed or when tampered."""
    token = request.match_info["file"].removesuffix("_n.jpg")
    expires = request.query.get("oe", "")
    picture = sim_of(request).picture_files.get(token)
    if picture is None or not hmac.compare_digest(
        request.query.get("oh", ""), _sign(token, expires)
    ):
        return web.Response(status=403, text="URL signature mismatch")
    if int(expires, 16) <= time.time():
        return web.Response(status=403, text="URL signature expired")
    return web.Response(
        body=_avatar(picture).encode(),
        content_type="image/svg+xml",
        headers={"Cache-Control": "max-age=1209600"},
    )


def _avatar(picture: str) -> str:
    """Return a small round picture showing the name's first letter."""
    hue = int(hashlib.sha256(picture.encode()).hexdigest()[:2], 16) * 360 // 256
    letter = html.escape(picture[:1].upper() or "?")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<circle cx="32" cy="32" r="32" fill="hsl({hue},55%,45%)"/>'
        '<text x="32" y="42" font-size="30" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{letter}</text></svg>'
    )
