"""A person logs in, adds WAHA Presence, tracks a contact and watches it change."""

from __future__ import annotations

from collections.abc import AsyncIterator
import os
from pathlib import Path
import re
import shutil
from typing import TYPE_CHECKING

import pytest

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
BOB = "31622222222@c.us"
# The two screenshots docs/images keeps (refreshed with WAHA_E2E_UPDATE_DOCS=1).
DOC_SHOTS = {
    "06_flow_delivery": "config_flow.png",
    "12_device_changed": "device_page.png",
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


async def test_set_up_and_watch_presence(stack: Stack, browser: BrowserContext) -> None:
    """From login to a presence change on the contact's device page."""
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    page = browser.pages[0] if browser.pages else await browser.new_page()
    steps = Steps(page, stack.artifacts)

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
    await steps.shot("06_flow_delivery")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Name and assign")).to_be_visible()
    await steps.shot("07_flow_done")
    await page.get_by_role("button", name="Skip and finish").click()

    await page.get_by_role("link", name=re.compile("WAHA Presence")).click()
    await page.get_by_role("button", name="Track a contact or group").click()
    await steps.shot("08_track_form")
    # The chat field has no accessible name to find it by; it opens a searchable list
    # of the chats WAHA knows.
    chat = page.locator("ha-picker-field")
    await chat.click()
    # Each chat shows its name beside its number; once picked, the field shows both.
    await page.get_by_text(re.compile(r"^Bob \(\+\d+\)$")).click()
    await expect(chat).to_contain_text(f"Bob (+{BOB.split('@', 1)[0]})")
    await steps.shot("09_track_bob")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("Created configuration for Bob.")).to_be_visible()
    await page.get_by_role("button", name="Finish").click()
    await steps.shot("10_integration_page")

    await page.get_by_role("button", name=re.compile(r"^Bob Contact")).click()
    await expect(page).to_have_url(re.compile("/config/devices/device/"))
    # Rows of the device page's Sensors card (names and states live in shadow DOM).
    rows = page.locator("hui-generic-entity-row")
    presence = rows.filter(has_text="Presence")
    online = rows.filter(
        has_text="Online", has_not_text=re.compile("Presence|Activity")
    )
    await expect(presence).to_be_visible()
    await steps.shot("11_device")
    for state, shown, online_shown in (
        ("typing", "Typing", "Online"),
        ("offline", "Offline", "Offline"),
        ("online", "Online", "Online"),
        ("typing", "Typing", "Online"),
    ):
        stack.waha(
            "POST",
            "/_sim/sessions/default/presence",
            {"chatId": BOB, "presence": state},
        )
        await expect(presence).to_contain_text(shown)
        await expect(online).to_contain_text(online_shown)
    await steps.shot("12_device_changed")

    if os.environ.get("WAHA_E2E_UPDATE_DOCS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for shot, name in DOC_SHOTS.items():
            shutil.copy(stack.artifacts / f"{shot}.png", DOCS_IMAGES / name)
