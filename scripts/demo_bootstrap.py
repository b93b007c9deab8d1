"""Prepare a dev Home Assistant and set up the WAHA Presence demo through its APIs."""

# `config` writes the configuration directory; `bootstrap` waits for Home Assistant,
# finishes onboarding (creating the demo user), adds the integration through the real
# config flow, tracks the demo chats through the subentry flow and adds the dashboard
# (docs/dashboard.yaml, once). Both are idempotent.
# tests/e2e imports this module too. Run it as `python -m scripts.demo_bootstrap`.

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
import json
from pathlib import Path
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

import aiohttp

from scripts import demo_dashboard

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = ROOT / "custom_components" / "waha_presence"
BLUEPRINTS_DIR = ROOT / "blueprints"
# The files the automation, script and scene editors save into.
EDITOR_FILES = ("automations.yaml", "scripts.yaml", "scenes.yaml")
DOMAIN = "waha_presence"
SUBENTRY_TYPE = "chat"
DEMO_CHATS = ("Alice", "Bob", "Carol", "Dan", "Family")
LANGUAGE = "en"

GENERATED = (
    "# Written by scripts/demo_bootstrap.py (delete this line to keep your edits)."
)
CONFIGURATION_YAML = f"""\
{GENERATED}
homeassistant:
  name: WAHA Presence demo
  country: NL
  currency: EUR
  time_zone: Europe/Amsterdam
  unit_system: metric
  # The config flow suggests a webhook URL built from this one.
  internal_url: http://127.0.0.1:{{port}}

frontend:
config:
history:
logbook:
  # One sentence per presence change ("Bob started typing"). An integration cannot
  # keep these entities' own lines out of the logbook; this is how a user does it.
  exclude:
    entity_globs:
      - sensor.*_presence
      - binary_sensor.*_online
      - sensor.*_last_seen
      - event.*_activity

automation: !include automations.yaml
script: !include scripts.yaml
scene: !include scenes.yaml

logger:
  default: warning
  logs:
    custom_components.waha_presence: debug
"""


class BootstrapError(Exception):
    """The demo could not be set up."""


class HttpError(BootstrapError):
    """Home Assistant answered with an HTTP error."""

    def __init__(self, message: str, status: int) -> None:
        """Keep the status code."""
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Login:
    """The demo user."""

    name: str
    username: str
    password: str


def write_config(config_dir: Path, port: int) -> None:
    """Write the configuration for port and link the integration into config_dir."""
    config_dir.mkdir(parents=True, exist_ok=True)
    configuration = config_dir / "configuration.yaml"
    if not configuration.exists() or configuration.read_text(
        encoding="utf-8"
    ).startswith(GENERATED):
        configuration.write_text(CONFIGURATION_YAML.format(port=port), encoding="utf-8")
    for name in EDITOR_FILES:
        # What the editors saved: created empty once, never overwritten.
        (config_dir / name).touch()
    install_blueprints(config_dir)
    # Rewritten every time, so that the port always matches this run's.
    _write_http_config(config_dir, port)
    link = config_dir / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() and link.resolve() != INTEGRATION_DIR:
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


def install_blueprints(config_dir: Path) -> None:
    """Copy the shipped blueprints in, as importing them in the UI would."""
    for source in BLUEPRINTS_DIR.rglob("*.yaml"):
        target = config_dir / "blueprints" / source.relative_to(BLUEPRINTS_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())


def _write_http_config(config_dir: Path, port: int) -> None:
    """Store the HTTP server settings: loopback only, on port."""
    # Home Assistant 2026.10 keeps them in storage: a YAML `http:` block is imported
    # as a trial that reverts (with a restart) after five minutes, plus a repair issue.
    from homeassistant.components.http import config as http_config

    stable = http_config.HTTP_STORAGE_SCHEMA(
        {"server_host": ["127.0.0.1"], "server_port": port}
    )
    stable |= {
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / http_config.STORAGE_KEY).write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    "stable": stable,
                    "pending": None,
                    "yaml_migration_done": True,
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )


class HomeAssistantApi:
    """A small synchronous client for Home Assistant's HTTP API."""

    def __init__(self, base_url: str) -> None:
        """Talk to the Home Assistant at base_url."""
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        form: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Any:
        """Send a request and return the decoded JSON answer."""
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 (the URL is ours: http on loopback)
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise HttpError(
                f"{method} {path}: HTTP {err.code} {detail}", err.code
            ) from err
        return json.loads(text) if text else None

    def wait_until_up(self, timeout: float) -> None:
        """Wait until Home Assistant serves its frontend (and so its onboarding)."""
        # The frontend depends on onboarding, whose API answers 404 both before it is
        # set up and after onboarding is finished: the frontend page tells them apart.
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base_url}/", timeout=5):  # noqa: S310
                    pass
            except OSError as err:
                if time.monotonic() > deadline:
                    raise BootstrapError(
                        f"Home Assistant did not answer at {self.base_url}: {err}"
                    ) from err
                time.sleep(0.3)
            else:
                return

    def wait_until_running(self, timeout: float) -> None:
        """Wait until Home Assistant has finished starting."""
        _poll(
            lambda: self.request("GET", "/api/config").get("state") == "RUNNING",
            timeout,
            "Home Assistant did not finish starting",
        )

    def onboarding_pending(self) -> list[str]:
        """Return the onboarding steps not done yet."""
        try:
            steps = self.request("GET", "/api/onboarding", timeout=5)
        except HttpError as err:
            # Once onboarded, Home Assistant no longer serves the onboarding API.
            if err.status == HTTPStatus.NOT_FOUND:
                return []
            raise
        return [step["step"] for step in steps if not step["done"]]

    def onboard(self, login: Login) -> bool:
        """Finish the onboarding steps still open; return False if none were."""
        if not (pending := self.onboarding_pending()):
            return False
        if "user" in pending:
            answer = self.request(
                "POST",
                "/api/onboarding/users",
                {
                    "name": login.name,
                    "username": login.username,
                    "password": login.password,
                    "client_id": self.client_id,
                    "language": LANGUAGE,
                },
            )
            self._exchange_code(answer["auth_code"])
        else:
            self.login(login)
        for step in ("core_config", "analytics"):
            if step in pending:
                self.request("POST", f"/api/onboarding/{step}", {})
        if "integration" in pending:
            self.request(
                "POST",
                "/api/onboarding/integration",
                {
                    "client_id": self.client_id,
                    "redirect_uri": f"{self.base_url}/?auth_callback=1",
                },
            )
        return True

    def login(self, login: Login) -> None:
        """Log in through the login flow, as the frontend does."""
        flow = self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )
        result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": self.client_id,
                "username": login.username,
                "password": login.password,
            },
        )
        if result.get("type") != "create_entry":
            raise BootstrapError(
                f"logging in as {login.username!r} failed: {result.get('errors')}"
            )
        self._exchange_code(result["result"])

    def _exchange_code(self, code: str) -> None:
        """Trade an authorization code for an access token."""
        self.token = None
        tokens = self.request(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]

    def entries(self, domain: str | None = DOMAIN) -> list[dict[str, Any]]:
        """Return the config entries of domain (None: of every domain)."""
        query = f"?domain={domain}" if domain else ""
        entries: list[dict[str, Any]] = self.request(
            "GET", f"/api/config/config_entries/entry{query}"
        )
        return entries

    def remove_onboarding_entries(self, timeout: float = 5) -> list[str]:
        """Remove the entries onboarding adds (shopping list, TTS, …); return titles."""

        def extras() -> list[dict[str, Any]]:
            return [e for e in self.entries(None) if e["source"] == "onboarding"]

        # Onboarding starts those flows in the background: wait for the first one,
        # then give the others a moment.
        deadline = time.monotonic() + timeout
        while not extras():
            if time.monotonic() > deadline:
                return []
            time.sleep(0.3)
        time.sleep(0.5)
        removed = extras()
        for entry in removed:
            self.request(
                "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
            )
        return [entry["title"] for entry in removed]

    def add_entry(self, waha_url: str, api_key: str) -> dict[str, Any]:
        """Run the config flow: URL and key, first session, webhook delivery."""
        path = "/api/config/config_entries/flow"
        step = self.request(
            "POST", path, {"handler": DOMAIN, "show_advanced_options": False}
        )
        step = self._submit(path, step, "user", {"url": waha_url, "api_key": api_key})
        session = _suggested(step, "session", default=True)
        step = self._submit(path, step, "session", {"session": session})
        webhook_url = _suggested(step, "webhook_url")
        step = self._submit(
            path, step, "delivery", {"delivery": "webhook", "webhook_url": webhook_url}
        )
        step = self._after_progress(path, step)
        if step["type"] != "create_entry":
            raise BootstrapError(f"the config flow ended with {step}")
        entry: dict[str, Any] = step["result"]
        return entry

    def _after_progress(
        self, path: str, step: dict[str, Any], timeout: float = 45
    ) -> dict[str, Any]:
        """Wait out a progress step (the delivery check), as the frontend does."""
        deadline = time.monotonic() + timeout
        while step.get("type") == "progress":
            if time.monotonic() > deadline:
                raise BootstrapError(f"the {step['step_id']!r} step did not finish")
            time.sleep(0.3)
            step = self.request("GET", f"{path}/{step['flow_id']}")
        return step

    def wait_until_loaded(self, entry_id: str, timeout: float) -> None:
        """Wait until the config entry is set up."""

        def loaded() -> bool:
            entry = next(e for e in self.entries() if e["entry_id"] == entry_id)
            if entry["state"] in ("setup_error", "migration_error", "failed_unload"):
                raise BootstrapError(f"the entry failed to set up: {entry}")
            return bool(entry["state"] == "loaded")

        _poll(loaded, timeout, "the WAHA Presence entry did not load")

    def track_chats(self, entry_id: str, names: Iterable[str]) -> list[str]:
        """Track each named chat the subentry flow offers; return those added."""
        path = "/api/config/config_entries/subentries/flow"
        added: list[str] = []
        for name in names:
            step = self.request("POST", path, {"handler": [entry_id, SUBENTRY_TYPE]})
            if step["type"] != "form":
                raise BootstrapError(f"the subentry flow did not start: {step}")
            offered = _offered(_select_options(step, "chat"), name)
            if offered is None:
                # Already tracked chats are no longer offered.
                self.request("DELETE", f"{path}/{step['flow_id']}")
                continue
            step = self._submit(path, step, "user", {"chat": offered})
            if step["type"] != "create_entry":
                raise BootstrapError(f"tracking {name} ended with {step}")
            added.append(name)
        return added

    def install_dashboard(self) -> bool:
        """Add the shipped dashboard unless it exists; return whether it was added."""
        if self.token is None:
            raise BootstrapError("log in before adding the dashboard")
        try:
            return demo_dashboard.install(
                self.base_url, self.token, demo_dashboard.load()
            )
        except (demo_dashboard.DashboardError, aiohttp.ClientError, OSError) as err:
            raise BootstrapError(f"adding the dashboard failed: {err}") from err

    def _submit(
        self,
        path: str,
        step: dict[str, Any],
        step_id: str,
        user_input: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Check that the flow shows step_id, then answer it."""
        if step.get("type") != "form" or step.get("step_id") != step_id:
            raise BootstrapError(f"expected the {step_id!r} form, got {step}")
        answer: dict[str, Any] = self.request(
            "POST", f"{path}/{step['flow_id']}", dict(user_input)
        )
        if answer.get("type") == "form" and answer.get("errors"):
            raise BootstrapError(
                f"step {step_id!r} rejected the input: {answer['errors']}"
            )
        return answer


def _field(step: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Return a serialized form field of a flow step."""
    for field in step["data_schema"]:
        if field["name"] == name:
            return dict(field)
    raise BootstrapError(f"step {step.get('step_id')!r} has no field {name!r}")


def _suggested(step: Mapping[str, Any], name: str, *, default: bool = False) -> str:
    """Return the value a flow form pre-fills for a field."""
    field = _field(step, name)
    value = (
        field.get("default")
        if default
        else (field.get("description") or {}).get("suggested_value")
    )
    if not value:
        raise BootstrapError(f"step {step.get('step_id')!r} suggests no {name!r}")
    return str(value)


def _select_options(step: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    """Return the options of a select field."""
    options: list[dict[str, str]] = _field(step, name)["selector"]["select"]["options"]
    return options


def _offered(options: Iterable[Mapping[str, str]], name: str) -> str | None:
    """Return the picker value of the chat named name ("Bob (+316…)" or "Family")."""
    for option in options:
        label = option["label"]
        if label == name or label.startswith(f"{name} ("):
            return option["value"]
    return None


def _poll(check: Callable[[], bool], timeout: float, message: str) -> None:
    """Call check until it returns True, or raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise BootstrapError(message)
        time.sleep(0.3)


def bootstrap(
    ha_url: str,
    waha_url: str,
    api_key: str,
    login: Login,
    chats: Iterable[str] = DEMO_CHATS,
    timeout: float = 120,
) -> None:
    """Onboard, add the integration and track the demo chats, as far as not done."""
    api = HomeAssistantApi(ha_url)
    api.wait_until_up(timeout)
    if api.onboard(login):
        _say(f"onboarding done, user {login.username!r} created")
        if removed := api.remove_onboarding_entries():
            _say(f"removed what onboarding added: {', '.join(removed)}")
    else:
        api.login(login)
    api.wait_until_running(timeout)
    if entries := api.entries():
        entry_id = entries[0]["entry_id"]
        _say(f"WAHA Presence is already set up ({entries[0]['title']})")
    else:
        entry = api.add_entry(waha_url, api_key)
        entry_id = entry["entry_id"]
        _say(f"WAHA Presence added for {entry['title']} via the config flow")
    api.wait_until_loaded(entry_id, timeout)
    if added := api.track_chats(entry_id, chats):
        _say(f"tracking {', '.join(added)}")
    if api.install_dashboard():
        _say(f"dashboard {demo_dashboard.TITLE!r} added to the sidebar")


def _say(message: str) -> None:
    """Print a progress line."""
    print(f"==> {message}", file=sys.stderr, flush=True)


def main() -> int:
    """Parse the command line and run a subcommand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config", help="write the configuration directory")
    config.add_argument("--config-dir", type=Path, required=True)
    config.add_argument("--port", type=int, default=8123)
    setup = commands.add_parser("bootstrap", help="onboard and add the integration")
    setup.add_argument("--ha-url", default="http://127.0.0.1:8123")
    setup.add_argument("--waha-url", default="http://127.0.0.1:3000")
    setup.add_argument("--api-key", required=True, help="the simulator's API key")
    setup.add_argument("--username", default="demo")
    setup.add_argument("--password", default="demo-password")
    setup.add_argument("--chats", default=",".join(DEMO_CHATS))
    setup.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    if args.command == "config":
        write_config(args.config_dir, args.port)
        return 0
    try:
        bootstrap(
            args.ha_url,
            args.waha_url,
            args.api_key,
            Login("Demo", args.username, args.password),
            [c.strip() for c in args.chats.split(",") if c.strip()],
            args.timeout,
        )
    except BootstrapError as err:
        print(f"demo_bootstrap: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
