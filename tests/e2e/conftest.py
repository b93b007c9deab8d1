"""Fixtures for the browser tests: the simulator and Home Assistant as real processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
from typing import IO, Any, NoReturn
import urllib.request

import pytest

from scripts import demo_bootstrap

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
API_KEY = "e2e-api-key"
LOGIN = demo_bootstrap.Login("E2E", "e2e", "e2e-password")
STARTUP_TIMEOUT = 120
STOP_TIMEOUT = 20


@dataclass(frozen=True)
class Stack:
    """The running simulator and Home Assistant, and where to reach them."""

    ha_url: str
    waha_url: str
    api_key: str
    login: demo_bootstrap.Login
    artifacts: Path
    # Logged in as the onboarded user: what the demo bootstrap does, the test can do.
    api: demo_bootstrap.HomeAssistantApi

    def waha(self, method: str, path: str, body: dict[str, Any]) -> Any:
        """Call the simulator's API (the `/_sim/` control API included)."""
        request = urllib.request.Request(  # noqa: S310 (http on loopback)
            self.waha_url + path,
            data=json.dumps(body).encode(),
            headers={"X-Api-Key": self.api_key, "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: Home Assistant runs in its own process."""


def _in_ci() -> bool:
    """Return whether this is a CI run, where a missing browser is an error."""
    return os.environ.get("CI", "").lower() == "true"


def _missing(reason: str) -> NoReturn:
    """Skip (or fail in CI) because the browser toolchain is missing."""
    message = f"{reason}; run scripts/setup_browser"
    if _in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def chromium() -> str:
    """Return the chromium executable Playwright drives."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed")
    if wanted := os.environ.get("WAHA_CHROMIUM"):
        if os.access(wanted, os.X_OK):
            return wanted
        _missing(f"WAHA_CHROMIUM={wanted} is not an executable")
    if found := shutil.which("chromium") or shutil.which("chromium", path="/usr/bin"):
        return found
    _missing("chromium is not installed (or set WAHA_CHROMIUM)")


def _free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(args: list[str], log: IO[bytes], cwd: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own process group, output to log."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        args,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and everything it started: TERM, then KILL."""
    for sig, timeout in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            continue
        break


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path, chromium: str) -> Iterator[Stack]:
    """Run the simulator and an onboarded Home Assistant on free loopback ports."""
    # Files are overwritten, not the folder emptied: another test run may be using it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ha_port, waha_port = _free_port(), _free_port()
    config = tmp_path / "config"
    demo_bootstrap.write_config(config, ha_port)
    processes: list[subprocess.Popen[bytes]] = []
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("simulator", "ha")}
    try:
        # The demo world without its presence loop: the test changes presence itself.
        simulator = [sys.executable, "-m", "simulator", "--port", str(waha_port)]
        simulator += ["--api-key", API_KEY, "--demo", "--interval", "86400"]
        processes.append(_start(simulator, logs["simulator"], ROOT))
        hass = [sys.executable, "-m", "homeassistant", "--config", str(config)]
        processes.append(_start([*hass, "--skip-pip"], logs["ha"], ROOT))
        api = demo_bootstrap.HomeAssistantApi(f"http://127.0.0.1:{ha_port}")
        api.wait_until_up(STARTUP_TIMEOUT)
        api.onboard(LOGIN)
        api.remove_onboarding_entries()
        api.wait_until_running(STARTUP_TIMEOUT)
        yield Stack(
            ha_url=api.base_url,
            waha_url=f"http://127.0.0.1:{waha_port}",
            api_key=API_KEY,
            login=LOGIN,
            artifacts=ARTIFACTS,
            api=api,
        )
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in logs.values():
            log.close()
        for name in ("simulator.log", "ha.log"):
            shutil.copy(tmp_path / name, ARTIFACTS / name)
        if (ha_log := config / "home-assistant.log").exists():
            shutil.copy(ha_log, ARTIFACTS / "home-assistant.log")
