"""WAHA's view of the network: hosts it cannot reach, names it resolves, a proxy at `/ws`."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from typing import Any

from aiohttp import DefaultResolver
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

REFUSED = "refused"
TIMEOUT = "timeout"
DNS = "dns"
FAILURES = (REFUSED, TIMEOUT, DNS)
LOOPBACK = "127.0.0.1"


def _is_ip(host: str) -> bool:
    """Return whether a host is an IP literal (aiohttp resolves no such host)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class SimNetwork:
    """Where WAHA's webhook POSTs can go; failures are real ones, made on loopback."""

    def __init__(self) -> None:
        """Start with every host reachable and no proxy in front of `/ws`."""
        # "host" or "host:port", as in a webhook URL → one of FAILURES.
        self.unreachable: dict[str, str] = {}
        # Names WAHA resolves itself, like Docker's DNS: name → IP address.
        self.aliases: dict[str, str] = {}
        # A reverse proxy that answers WebSocket upgrades with this status.
        self.ws_upgrade_status: int | None = None
        self._refusing: socket.socket | None = None
        self._black_hole: socket.socket | None = None

    def make_unreachable(self, host: str, failure: str) -> None:
        """Make POSTs to `host` (or `host:port`) fail: refused, time-out or DNS."""
        if failure not in FAILURES:
            raise ValueError(f"failure must be one of {', '.join(FAILURES)}")
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if failure == DNS and _is_ip(name):
            raise ValueError("a DNS failure needs a host name, not an IP address")
        self.unreachable[host] = failure

    def make_reachable(self, host: str) -> None:
        """Undo `make_unreachable` for `host`."""
        self.unreachable.pop(host, None)

    def add_alias(self, name: str, address: str) -> None:
        """Let WAHA resolve `name` to the IP `address`."""
        if not _is_ip(address):
            raise ValueError("an alias must point at an IP address")
        self.aliases[name] = address

    def failure_for(self, url: URL) -> str | None:
        """Return how a request to this URL fails, if it does."""
        host = url.host or ""
        return self.unreachable.get(f"{host}:{url.port}") or self.unreachable.get(host)

    def route(self, url: str) -> str:
        """Return the URL a POST really goes to: a closed or silent port if told so."""
        target = URL(url)
        failure = self.failure_for(target)
        if failure == REFUSED:
            return str(target.with_host(LOOPBACK).with_port(self._refusing_port()))
        if failure == TIMEOUT:
            return str(target.with_host(LOOPBACK).with_port(self._black_hole_port()))
        return url

    def resolver(self) -> AbstractResolver:
        """Return the resolver of WAHA's HTTP client."""
        return _SimResolver(self)

    def _refusing_port(self) -> int:
        """Return a loopback port that is bound but never listens: connect is refused."""
        if self._refusing is None:
            self._refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._refusing.bind((LOOPBACK, 0))
        return int(self._refusing.getsockname()[1])

    def _black_hole_port(self) -> int:
        """Return a loopback port that accepts connections and never answers."""
        if self._black_hole is None:
            self._black_hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._black_hole.bind((LOOPBACK, 0))
            self._black_hole.listen(128)
        return int(self._black_hole.getsockname()[1])

    def describe(self) -> dict[str, Any]:
        """Return the network view as JSON."""
        return {
            "unreachable": dict(self.unreachable),
            "aliases": dict(self.aliases),
            "wsUpgradeStatus": self.ws_upgrade_status,
        }

    def reset(self) -> None:
        """Make every host reachable again and remove the proxy."""
        self.unreachable.clear()
        self.aliases.clear()
        self.ws_upgrade_status = None

    def close(self) -> None:
        """Release the loopback sockets (connections held open are reset)."""
        for sock in (self._refusing, self._black_hole):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._refusing = self._black_hole = None


class _SimResolver(AbstractResolver):
    """Resolves as WAHA's host would: aliases, names it cannot resolve, the rest."""

    def __init__(self, network: SimNetwork) -> None:
        """Consult `network` on every lookup (no cache: the view can change)."""
        self._network = network
        self._system = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of `host`, or fail like getaddrinfo does."""
        wanted = URL.build(scheme="http", host=host, port=port)
        if self._network.failure_for(wanted) == DNS:
            raise OSError(socket.EAI_NONAME, f"getaddrinfo ENOTFOUND {host}")
        if (address := self._network.aliases.get(host)) is not None:
            return [
                ResolveResult(
                    hostname=host,
                    host=address,
                    port=port,
                    family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        return await self._system.resolve(host, port, family)

    async def close(self) -> None:
        """Release the system resolver."""
        await self._system.close()
