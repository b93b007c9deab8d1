"""SimRuntime: the API key, request scripting, background tasks and event fan-out."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
import contextlib
import hmac
from typing import Any

import aiohttp

from .const import LEGACY_BEFORE, TIER, VERSION, version_parts
from .delivery import WsClient, deliver, dumps, sign, webhook_wants
from .network import SimNetwork
from .state import DROP, DelayRule, Delivery, FailRule, RecordedRequest


class SimRuntime:
    """What the simulated world runs on: traffic in and out, tasks, the stop signal."""

    def __init__(
        self,
        api_key: str,
        *,
        retry_delay_scale: float,
        version: str = VERSION,
        tier: str = TIER,
    ) -> None:
        """Start with no traffic, rules, tasks or clients."""
        self.api_key = api_key
        # Both may change at run time: WAHA replaced under a running client.
        self.version = version
        self.tier = tier
        self.retry_delay_scale = retry_delay_scale
        self.ws_heartbeat_seconds = 60.0
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.ws_clients: set[WsClient] = set()
        self.network = SimNetwork()
        self._failures: list[FailRule] = []
        self._delays: list[DelayRule] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._closing = asyncio.Event()
        self._delivered = asyncio.Event()

    @property
    def legacy(self) -> bool:
        """Return whether this plays a 2024 WAHA (as seen on Core 2024.10.8)."""
        # No API-key check, unsigned webhooks sent once, envelopes without
        # id/timestamp, and `/ws` refuses a session filter with 4001.
        return version_parts(self.version) < LEGACY_BEFORE

    # -- tasks ---------------------------------------------------------------

    @property
    def closing(self) -> bool:
        """Return whether `stop()` has begun."""
        return self._closing.is_set()

    @property
    def busy(self) -> int:
        """Return how many background tasks (webhook deliveries, starts) still run."""
        return len(self._tasks)

    async def _cancel_tasks(self) -> None:
        """Cancel every background task and wait for them to finish."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.difference_update(tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine as a task that `stop()` cancels."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake early when the simulator stops."""
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    async def _close_ws_clients(self) -> None:
        """Close every `/ws` client as a server shutdown."""
        for client in list(self.ws_clients):
            await client.ws.close(
                code=aiohttp.WSCloseCode.GOING_AWAY, message=b"Server shutdown"
            )
        self.ws_clients.clear()

    async def _close_http(self) -> None:
        """Close the outgoing webhook client, if one was opened, and its sockets."""
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()
        self.network.close()

    # -- events --------------------------------------------------------------

    async def publish(
        self, webhooks: list[dict[str, Any]], envelope: Mapping[str, Any]
    ) -> None:
        """Send an envelope to the webhooks that want it and to WebSocket clients."""
        text = dumps(envelope)
        body = text.encode()
        for hook in webhooks:
            if webhook_wants(hook, envelope["event"]):
                self.spawn(
                    deliver(
                        self._client(),
                        {**hook, "hmac": None, "retries": {"attempts": 0}}
                        if self.legacy
                        else hook,
                        envelope,
                        body,
                        delay_scale=self.retry_delay_scale,
                        record=self._record_delivery,
                        route=self.network.route,
                    )
                )
        for client in list(self.ws_clients):
            if client.ws.closed or not client.wants(envelope):
                continue
            try:
                await client.ws.send_str(text)
            except ConnectionError:
                self.ws_clients.discard(client)

    sign = staticmethod(sign)

    def _client(self) -> aiohttp.ClientSession:
        """Return the HTTP client used for webhooks (TLS errors ignored, like WAHA)."""
        if self._http is None or self._http.closed:
            # No pooled connections or cached names: the network view can change.
            connector = aiohttp.TCPConnector(
                ssl=False,
                force_close=True,
                use_dns_cache=False,
                resolver=self.network.resolver(),
            )
            self._http = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=30)
            )
        return self._http

    def _record_delivery(self, delivery: Delivery) -> None:
        """Keep a webhook attempt and wake `wait_deliveries`."""
        self.deliveries.append(delivery)
        self._delivered.set()

    async def wait_deliveries(
        self,
        n: int,
        timeout: float = 5,  # noqa: ASYNC109 - the tests' documented helper API
    ) -> list[Delivery]:
        """Wait until at least n webhook attempts were made; return them all."""
        async with asyncio.timeout(timeout):
            while len(self.deliveries) < n:
                self._delivered.clear()
                await self._delivered.wait()
        return list(self.deliveries)

    # -- request scripting ---------------------------------------------------

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        *,
        count: int = 1,
    ) -> None:
        """Answer the next `count` matching requests with status/body (None: empty)."""
        self._failures.append(FailRule(method.upper(), path, status, body, count))

    def drop_next(self, method: str, path: str, *, count: int = 1) -> None:
        """Close the next `count` matching requests' connections without an answer."""
        self._failures.append(FailRule(method.upper(), path, DROP, None, count))

    def delay_next(
        self, method: str, path: str, seconds: float, *, count: int = 1
    ) -> None:
        """Hold the next `count` matching requests for `seconds` first."""
        self._delays.append(DelayRule(method.upper(), path, seconds, count))

    def take_failure(self, method: str, path: str) -> FailRule | None:
        """Consume and return the fail rule matching a request, if any."""
        return _take(self._failures, method, path)

    def take_delay(self, method: str, path: str) -> DelayRule | None:
        """Consume and return the delay rule matching a request, if any."""
        return _take(self._delays, method, path)

    def reset(self) -> None:
        """Forget recorded traffic, pending fail/delay rules and network failures."""
        self.requests.clear()
        self.deliveries.clear()
        self._failures.clear()
        self._delays.clear()
        self.network.reset()

    def key_ok(self, key: str | None) -> bool:
        """Return whether a presented API key is the server's key."""
        if self.legacy:
            return True
        return key is not None and hmac.compare_digest(
            key.encode(), self.api_key.encode()
        )


def _take[R: (FailRule, DelayRule)](rules: list[R], method: str, path: str) -> R | None:
    """Consume one use of the first rule matching method and path."""
    for rule in rules:
        if rule.method == method.upper() and rule.path == path:
            rule.count -= 1
            if rule.count <= 0:
                rules.remove(rule)
            return rule
    return None
