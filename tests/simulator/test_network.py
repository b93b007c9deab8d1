"""WAHA's network view: unreachable webhook hosts, names it resolves, a proxy at /ws."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from simulator import WahaSimulator

from .conftest import API_KEY, ME, Receiver


def _hook(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "events": ["session.status"],
        "retries": {"attempts": 0, "delaySeconds": 0},
    }


def _authority(receiver: Receiver) -> str:
    return receiver.url.removeprefix("http://")


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("refused", "ClientConnectorError"),
        ("dns", "ClientConnectorDNSError"),
    ],
)
async def test_unreachable_webhook_fails_for_real(
    sim: WahaSimulator, receiver: Receiver, failure: str, error: str
) -> None:
    """A refused port and an unknown name fail like they would for WAHA; others pass."""
    port = receiver.url.rsplit(":", 1)[1]
    sim.network.add_alias("homeassistant", "127.0.0.1")
    sim.network.make_unreachable(
        f"homeassistant.local:{port}" if failure == "dns" else _authority(receiver),
        failure,
    )
    host = "homeassistant.local" if failure == "dns" else "127.0.0.1"
    blocked = f"http://{host}:{port}/blocked"
    sim.add_session(
        "hooked",
        me=ME,
        config={"webhooks": [_hook(blocked), _hook(f"http://homeassistant:{port}/ok")]},
    )
    await sim.set_status("hooked", "FAILED")
    deliveries = await sim.wait_deliveries(2)
    by_url = {d.url: d for d in deliveries}
    assert by_url[blocked].status is None
    assert by_url[blocked].error is not None
    assert by_url[blocked].error.startswith(f"{error}:")
    assert by_url[f"http://homeassistant:{port}/ok"].status == 200
    [received] = receiver.received
    assert received.path == "/ok"
    assert received.headers["Host"] == f"homeassistant:{port}"


async def test_webhook_timeout_holds_the_post(
    sim: WahaSimulator, receiver: Receiver
) -> None:
    """A time-out: the connection opens, the POST is sent, no answer ever comes."""
    sim.network.make_unreachable(_authority(receiver), "timeout")
    sim.add_session("hooked", me=ME, config={"webhooks": [_hook(receiver.url)]})
    await sim.set_status("hooked", "FAILED")
    await asyncio.sleep(0.3)
    assert sim.deliveries == []
    assert receiver.received == []
    # Reachable again: the next event arrives; the held one is still pending.
    sim.network.make_reachable(_authority(receiver))
    await sim.set_status("hooked", "STARTING")
    [delivery] = await sim.wait_deliveries(1)
    assert delivery.status == 200
    await sim.stop()
    assert len(sim.deliveries) == 1


def test_network_rules_are_checked() -> None:
    network = WahaSimulator().network
    with pytest.raises(ValueError, match="failure must be one of"):
        network.make_unreachable("ha.local", "lost")
    with pytest.raises(ValueError, match="needs a host name"):
        network.make_unreachable("127.0.0.1:8123", "dns")
    with pytest.raises(ValueError, match="IP address"):
        network.add_alias("homeassistant", "ha.local")


async def test_proxy_blocks_websocket_upgrades(sim: WahaSimulator) -> None:
    """A proxy answers the upgrade itself; the HTTP API behind it still works."""
    sim.network.ws_upgrade_status = 502
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{sim.url}/ws?x-api-key={API_KEY}")
        assert err.value.status == 502
        sim.network.ws_upgrade_status = None
        ws = await http.ws_connect(f"{sim.url}/ws?x-api-key={API_KEY}")
        await sim.set_status("default", "STARTING")
        assert (await ws.receive(timeout=2)).type is aiohttp.WSMsgType.TEXT
        await ws.close()


async def test_network_control_api(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """The control API sets, shows and undoes each part; reset clears all."""
    response = await api.post(
        "/_sim/network",
        json={
            "unreachable": {"ha.local": "dns", "127.0.0.1:8123": "refused"},
            "aliases": {"homeassistant": "127.0.0.1"},
            "wsUpgradeStatus": 403,
        },
    )
    assert response.status == 200
    assert await response.json() == {
        "unreachable": {"ha.local": "dns", "127.0.0.1:8123": "refused"},
        "aliases": {"homeassistant": "127.0.0.1"},
        "wsUpgradeStatus": 403,
    }
    response = await api.post(
        "/_sim/network",
        json={
            "unreachable": {"ha.local": None},
            "aliases": {"homeassistant": None},
            "wsUpgradeStatus": None,
        },
    )
    assert await response.json() == {
        "unreachable": {"127.0.0.1:8123": "refused"},
        "aliases": {},
        "wsUpgradeStatus": None,
    }
    for body, message in (
        ({"unreachable": {"ha.local": "lost"}}, "failure must be one of"),
        ({"unreachable": ["ha.local"]}, "unreachable must be an object"),
        ({"aliases": {"homeassistant": "ha.local"}}, "IP address"),
        ({"wsUpgradeStatus": 200}, "wsUpgradeStatus must be"),
    ):
        response = await api.post("/_sim/network", json=body)
        assert response.status == 400
        assert message in (await response.json())["message"][0]
    await api.post("/_sim/reset")
    assert await (await api.get("/_sim/network")).json() == {
        "unreachable": {},
        "aliases": {},
        "wsUpgradeStatus": None,
    }
