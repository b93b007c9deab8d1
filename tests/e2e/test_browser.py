"""A person logs in, adds WAHA Presence, tracks a contact and watches it change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os
from pathlib import Path
import re
import shutil
import time
from typing import TYPE_CHECKING

import pytest

from simulator.demo import ALICE, BOB, CAROL, DAN, FAMILY

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, ViewportSize

    from .conftest import Stack

# Playwright is imported inside the functions: without it the `chromium` fixture
# skips the test (or fails it in CI) instead of breaking collection.

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMAGES = ROOT / "docs" / "images"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000
BOB_NUMBER = BOB.split("@", 1)[0]
BLUEPRINT = "Notify me when a WhatsApp contact comes online"
# The screenshots docs/images keeps (refreshed with WAHA_E2E_UPDATE_DOCS=1).
DOC_SHOTS = {
    "06_flow_delivery": "config_flow.png",
    "12_device_changed": "device_page.png",
    "13_logbook": "logbook.png",
    "17_dashboard": "dashboard.png",
}


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """Start headless chromium with a fresh profile."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            await context.close()


class Steps:
    """Numbered screenshots of each step, in artifacts/e2e/."""

    def __init__(self, page: Page, folder: Path) -> None:
        """Shoot page into folder."""
        self.page = page
        self.folder = folder

    async def shot(self, name: str) -> None:
        """Save a screenshot once animations have settled."""
        await self.page.wait_for_timeout(400)
        await self.page.screenshot(path=self.folder / f"{name}.png")


def presence(stack: Stack, chat_id: str, state: str, **extra: object) -> None:
    """Play a presence in the simulator, as WhatsApp would report it."""
    body = {"chatId": chat_id, "presence": state, **extra}
    stack.waha("POST", "/_sim/sessions/default/presence", body)


async def test_set_up_and_watch_presence(stack: Stack, browser: BrowserContext) -> None:
    """From login to a presence change, its logbook, automations and the dashboard."""
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    page = browser.pages[0] if browser.pages else await browser.new_page()
    steps = Steps(page, stack.artifacts)

    await _add_integration_and_track_bob(stack, page, steps)
    device_url = await _watch_bob_on_his_device_page(stack, page, steps)
    await _read_the_logbook(page, steps)
    await _find_the_device_trigger(page, steps, device_url)
    await _save_an_automation_from_the_blueprint(page, steps)
    await _open_the_dashboard(stack, page, steps)

    if os.environ.get("WAHA_E2E_UPDATE_DOCS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for shot, name in DOC_SHOTS.items():
            shutil.copy(stack.artifacts / f"{shot}.png", DOCS_IMAGES / name)


async def _add_integration_and_track_bob(
    stack: Stack, page: Page, steps: Steps
) -> None:
    """Log in, add the integration through its config flow, track Bob."""
    from playwright.async_api import expect

    await page.goto(stack.ha_url)
    await page.get_by_role("textbox", name="Username").fill(stack.login.username)
    await page.get_by_role("textbox", name="Password").fill(stack.login.password)
    await steps.shot("01_login")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("link", name="Settings")).to_be_visible()

    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name=re.compile("Devices & services")).click()
    await expect(page).to_have_url(re.compile("/config/integrations"))
    await steps.shot("02_integrations")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("WAHA Presence")
    await steps.shot("03_search")
    await page.get_by_text("WAHA Presence", exact=True).click()

    await page.get_by_role("textbox", name="WAHA URL").fill(stack.waha_url)
    await page.get_by_role("textbox", name="API key").fill(stack.api_key)
    await steps.shot("04_flow_connect")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Choose the WhatsApp session")).to_be_visible()
    await expect(page.get_by_text("default (WORKING · +31600000000)")).to_be_checked()
    await steps.shot("05_flow_session")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("How WAHA sends events")).to_be_visible()
    webhook_url = page.get_by_role("textbox", name="Webhook URL")
    await expect(webhook_url).to_have_value(
        re.compile(re.escape(f"{stack.ha_url}/api/webhook/") + "[0-9a-f]{64}")
    )
    # The path the URL must end with is shown whole, not cut off by its box.
    path = page.get_by_text(re.compile(r"^/api/webhook/[0-9a-f]{64}$"))
    await expect(path).to_be_visible()
    assert await path.evaluate("node => node.scrollWidth <= node.clientWidth")
    box = await path.bounding_box()
    dialog = await page.get_by_role("dialog").bounding_box()
    assert box is not None
    assert dialog is not None
    assert box["x"] + box["width"] <= dialog["x"] + dialog["width"]
    await steps.shot("06_flow_delivery")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Name and assign")).to_be_visible()
    await steps.shot("07_flow_done")
    await page.get_by_role("button", name="Skip and finish").click()

    # Bob's WhatsApp profile picture, as WAHA will hand it out.
    stack.waha(
        "POST", "/_sim/sessions/default/pictures", {"chatId": BOB, "picture": "bob"}
    )
    await page.get_by_role("link", name=re.compile("WAHA Presence")).click()
    await page.get_by_role("button", name="Track a contact or group").click()
    await steps.shot("08_track_form")
    # The chat field has no accessible name to find it by; it opens a searchable list
    # of the chats WAHA knows.
    chat = page.locator("ha-picker-field")
    await chat.click()
    # Each chat shows its name beside its number; once picked, the field shows both.
    await page.get_by_text(re.compile(r"^Bob \(\+\d+\)$")).click()
    await expect(chat).to_contain_text(f"Bob (+{BOB_NUMBER})")
    await steps.shot("09_track_bob")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Created configuration for Bob.")).to_be_visible()
    await page.get_by_role("button", name="Finish").click()
    await steps.shot("10_integration_page")


async def _watch_bob_on_his_device_page(stack: Stack, page: Page, steps: Steps) -> str:
    """Bob's device: his number and picture, his presence changing; return its URL."""
    from playwright.async_api import expect

    # The browser loads the picture from the link WAHA gave (the simulator's CDN).
    async with page.expect_response(lambda r: "/pps/" in r.url) as picture:
        await page.get_by_role("button", name=re.compile(r"^Bob Contact")).click()
        await expect(page).to_have_url(re.compile("/config/devices/device/"))
        # Rows of the device page's Sensors card (names and states live in shadow DOM).
        rows = page.locator("hui-generic-entity-row")
        presence_row = rows.filter(has_text="Presence")
        online_row = rows.filter(
            has_text="Online", has_not_text=re.compile("Presence|Activity")
        )
        await expect(presence_row).to_be_visible()
        await expect(presence_row.locator("state-badge")).to_have_attribute(
            "style",
            re.compile(re.escape(f'url("{stack.waha_url}/pps/') + r".*oe=[0-9A-F]+"),
        )
    loaded = await picture.value
    assert loaded.status == 200
    assert loaded.headers["content-type"] == "image/svg+xml"
    await expect(page.get_by_text(f"+{BOB_NUMBER}")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("Visit"))).to_have_attribute(
        "href", f"https://wa.me/{BOB_NUMBER}"
    )
    await steps.shot("11_device")
    for state, shown, online_shown in (
        ("typing", "Typing", "Online"),
        ("offline", "Offline", "Offline"),
        ("online", "Online", "Online"),
        ("typing", "Typing", "Online"),
    ):
        presence(stack, BOB, state)
        await expect(presence_row).to_contain_text(shown)
        await expect(online_row).to_contain_text(online_shown)
    # The device page's logbook: Home Assistant's line for each entity that changed,
    # and one sentence per change, with the name.
    sentences = page.locator("ha-logbook-renderer .entry")
    for sentence, count in (
        ("started typing", 2),
        ("went offline", 1),
        ("came online", 1),
    ):
        said = sentences.filter(has_text=sentence)
        await expect(said).to_have_count(count)
        await expect(said.first).to_contain_text("Bob")
    await steps.shot("12_device_changed")
    return page.url


async def _read_the_logbook(page: Page, steps: Steps) -> None:
    """With the README's logbook exclude, the Activity panel reads as sentences."""
    from playwright.async_api import expect

    await page.get_by_role("link", name="Activity").click()
    await expect(page).to_have_url(re.compile("/logbook"))
    bob = page.locator("ha-logbook-renderer .entry").filter(has_text="Bob")
    # Newest first; no line of Bob's Presence, Online or Last seen entity.
    await expect(bob.locator(".primary-text")).to_have_text(
        [
            "Bob started typing",
            "Bob came online",
            "Bob went offline",
            "Bob started typing",
        ]
    )
    await steps.shot("13_logbook")


async def _find_the_device_trigger(page: Page, steps: Steps, device_url: str) -> None:
    """The automation editor offers Bob's "Started typing" as a device trigger."""
    from playwright.async_api import expect

    await page.goto(device_url)
    await page.get_by_role("button", name="Add to…").click()
    await page.get_by_text("Create as a new trigger").click()
    await page.get_by_placeholder("Search").fill("device")
    await page.get_by_text("Triggers when something happens to a device").click()
    await page.get_by_text("Select a device").click()
    await page.keyboard.type("Bob")
    await page.get_by_text("Bob", exact=True).last.click()
    await page.get_by_text("Trigger", exact=True).last.click()
    offered = page.get_by_text("Started typing", exact=True)
    await expect(offered).to_be_visible()
    await steps.shot("14_device_trigger")
    await offered.click()
    trigger = page.locator("ha-automation-trigger-row")
    await expect(trigger).to_contain_text("Started typing")
    await expect(trigger).to_contain_text("Bob")
    # Left unsaved: the automation that gets saved comes from the blueprint.
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("button", name="Don't save").click()


async def _save_an_automation_from_the_blueprint(page: Page, steps: Steps) -> None:
    """The shipped blueprint, given Bob, saves an automation that is listed."""
    from playwright.async_api import expect

    await page.get_by_role("link", name=re.compile("Automations & scenes")).click()
    await page.get_by_role("tab", name="Blueprints").click()
    await page.get_by_text(BLUEPRINT).click()
    await page.get_by_text("Select an entity").click()
    await page.get_by_text("Bob", exact=True).last.click()
    await steps.shot("15_blueprint")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("button", name="Traces")).to_be_visible()
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name=re.compile("Automations & scenes")).click()
    await expect(page.get_by_text(BLUEPRINT)).to_be_visible()
    await steps.shot("16_automations")


async def _open_the_dashboard(stack: Stack, page: Page, steps: Steps) -> None:
    """The shipped dashboard, installed as the demo does, shows the chats live."""
    from playwright.async_api import expect

    # Where the others are when Home Assistant starts tracking them (it reads them).
    presence(stack, ALICE, "online")
    presence(stack, CAROL, "online")
    presence(stack, DAN, "offline", lastSeen=int(time.time()) - 3600)
    entry_id = stack.api.entries()[0]["entry_id"]
    tracked = await asyncio.to_thread(
        stack.api.track_chats, entry_id, ("Alice", "Carol", "Dan", "Family")
    )
    assert tracked == ["Alice", "Carol", "Dan", "Family"]
    assert await asyncio.to_thread(stack.api.install_dashboard)
    await page.get_by_role("link", name="WhatsApp presence").click()
    await expect(page).to_have_url(re.compile("/whatsapp-presence/"))
    bob = page.locator("hui-tile-card").filter(has_text="Bob")
    # Bob goes offline, then records a voice message: he came online, and the
    # automation saved from the blueprint says so.
    presence(stack, BOB, "offline")
    await expect(bob).to_contain_text("Offline")
    presence(stack, BOB, "recording")
    presence(stack, FAMILY, "typing", participant=CAROL)
    await expect(bob).to_contain_text("Recording")
    await expect(bob.locator("img")).to_have_attribute(
        "src", re.compile(re.escape(f"{stack.waha_url}/pps/"))
    )
    family = page.locator("hui-tile-card").filter(has_text="Typing now")
    await expect(family).to_contain_text("1")
    now = page.locator("hui-markdown-card")
    await expect(now).to_contain_text("Online: Alice, Bob, Carol")
    await expect(now).to_contain_text("Bob is recording audio")
    await expect(now).to_contain_text("Carol is typing in Family")
    online = page.locator("hui-glance-card")
    await expect(online).to_contain_text("Bob")
    await expect(online).not_to_contain_text("Dan")
    seen = page.locator("hui-entities-card").filter(has_text="Last seen")
    await expect(
        seen.locator("hui-generic-entity-row").filter(has_text="Dan")
    ).to_contain_text("1 hour ago")
    await steps.shot("17_dashboard")
    # The sidebar counts one notification; it is the automation's.
    await page.get_by_role("button", name=re.compile(r"^1 Notifications")).click()
    await expect(page.get_by_text("Bob is online")).to_be_visible()
    await steps.shot("18_notification")
