"""In real Chromium on a phone: the demo township committee opens a record's photo in the page's viewer,
never leaving the record, and closes it with Esc; focus goes back to the photo it opened."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.browser.test_duty_records import fits_the_phone, open_menu_link, shoot
from tests.clients import sign_in

pytestmark = pytest.mark.browser


def test_the_committee_opens_a_records_photo_in_the_viewer_and_closes_it_with_esc(  # type: ignore[no-untyped-def]
    live_server, phone: Any, transactional_db, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    township = phone
    sign_in(township, live_server.url, "demo-township")
    open_menu_link(township, "记实审阅")
    township.get_by_role("heading", name="记实审阅").wait_for()

    # The queue shows photos as thumbnails, and says so in words where there is no evidence.
    with_photo = township.locator("tr[data-record]", has=township.locator("a.evidence-thumb")).first
    thumbnail = with_photo.locator("a.evidence-thumb img").first
    thumbnail.scroll_into_view_if_needed()
    # The thumbnail is the small JPEG the server made, fetched through the same checked view as the photo.
    source = thumbnail.get_attribute("src")
    assert source.endswith("?size=thumb")
    response = township.request.get(live_server.url + source)
    assert (response.status, response.headers["content-type"]) == (200, "image/jpeg")
    township.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    with_photo.get_by_role("link", name="查看 / 驳回").click()

    township.get_by_role("heading", name="审阅").wait_for()
    record_url = township.url
    photo = township.locator("main a.evidence-thumb").first
    photo.click()
    viewer = township.locator("dialog.evidence-viewer")
    viewer.wait_for(state="visible")
    image = viewer.locator("img.viewer-content")
    image.wait_for()
    township.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert township.url == record_url
    assert viewer.evaluate("(dialog) => dialog.open")
    assert fits_the_phone(township)
    shoot(township, "evidence-viewer-375.png")

    township.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert township.url == record_url
    assert township.evaluate("() => document.activeElement.classList.contains('evidence-thumb')")
