"""Install the shipped dashboard (docs/dashboard.yaml) in a Home Assistant's storage."""

# The demo bootstrap and the browser test call `install` with the token they logged in
# with. Dashboards are made through Home Assistant's WebSocket API, as the frontend does:
# `lovelace/dashboards/create`, then `lovelace/config/save`.

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_FILE = ROOT / "docs" / "dashboard.yaml"
URL_PATH = "whatsapp-presence"
TITLE = "WhatsApp presence"
ICON = "mdi:whatsapp"


class DashboardError(Exception):
    """Home Assistant refused a dashboard command."""


def load(path: Path = DASHBOARD_FILE) -> dict[str, Any]:
    """Return the dashboard configuration a YAML file holds."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict) or not isinstance(config.get("views"), list):
        raise DashboardError(f"{path} holds no dashboard (a mapping with views)")
    return config


def install(base_url: str, token: str, config: dict[str, Any]) -> bool:
    """Add the dashboard with config unless it exists; return whether it was added."""
    return asyncio.run(async_install(base_url, token, config))


async def async_install(base_url: str, token: str, config: dict[str, Any]) -> bool:
    """Add the dashboard with config unless it exists (edits made since are kept)."""
    url = base_url.rstrip("/") + "/api/websocket"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        connection = _Connection(ws)
        await connection.authenticate(token)
        dashboards = await connection.call({"type": "lovelace/dashboards/list"})
        if any(d.get("url_path") == URL_PATH for d in dashboards):
            return False
        await connection.call(
            {
                "type": "lovelace/dashboards/create",
                "url_path": URL_PATH,
                "title": TITLE,
                "icon": ICON,
                "show_in_sidebar": True,
                "require_admin": False,
            }
        )
        await connection.call(
            {"type": "lovelace/config/save", "url_path": URL_PATH, "config": config}
        )
    return True


class _Connection:
    """Numbered commands over one authenticated WebSocket connection."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Talk over ws."""
        self.ws = ws
        self.next_id = 1

    async def authenticate(self, token: str) -> None:
        """Answer Home Assistant's auth request."""
        await self._receive("auth_required")
        await self.ws.send_json({"type": "auth", "access_token": token})
        await self._receive("auth_ok")

    async def call(self, command: dict[str, Any]) -> Any:
        """Send one command and return its result."""
        message_id, self.next_id = self.next_id, self.next_id + 1
        await self.ws.send_json({"id": message_id, **command})
        while True:
            answer = await self._receive("result")
            if answer.get("id") == message_id:
                break
        if not answer.get("success"):
            raise DashboardError(f"{command['type']}: {answer.get('error')}")
        return answer.get("result")

    async def _receive(self, expected: str) -> dict[str, Any]:
        """Return the next message, which must be of the expected type."""
        frame = await self.ws.receive(timeout=30)
        if frame.type is not aiohttp.WSMsgType.TEXT:
            raise DashboardError(f"the WebSocket closed while awaiting {expected!r}")
        message: dict[str, Any] = frame.json()
        if message.get("type") != expected:
            raise DashboardError(f"expected {expected!r}, got {message}")
        return message
