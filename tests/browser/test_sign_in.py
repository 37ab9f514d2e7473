"""In real Chromium on a phone-sized screen: the demo secretary signs in, reads Chinese, switches to English."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"


def test_demo_secretary_signs_in_on_a_phone_and_switches_to_english(live_server, phone, transactional_db) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo", verbosity=0)
    page = phone
    page.goto(f"{live_server.url}/")
    page.get_by_label("登录名").fill("demo-secretary")
    page.get_by_label("密码").fill("demo-pass-2026")
    page.get_by_role("button", name="登录").click()

    page.get_by_role("heading", name="我的工作").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "柳塘村党支部" in page.locator("main").inner_text()
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-zh-375.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="My work").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(SCREENSHOTS / "home-en-375.png"), full_page=True)
