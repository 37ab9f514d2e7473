"""In real Chromium on a phone: the demo township committee opens 相似内容, finds 滨湖社区's report handed in
from 桃源村's, compares them with the shared sentences marked, and returns a repeated record in one tap."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from responsibility.models import DutyRecord
from tests.browser.test_duty_records import fits_the_phone, open_menu_link, shoot
from tests.clients import sign_in

pytestmark = pytest.mark.browser


def test_the_committee_compares_a_copied_report_and_returns_a_repeated_record(  # type: ignore[no-untyped-def]
    live_server, phone: Any, transactional_db, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    township = phone
    sign_in(township, live_server.url, "demo-township")
    open_menu_link(township, "相似内容")
    township.get_by_role("heading", name="相似内容", exact=True).wait_for()
    township.get_by_label("类型").select_option(label="述职报告")
    township.get_by_role("button", name="筛选").click()
    row = township.locator("tr[data-pair]", has_text="滨湖社区").first
    assert "100%" in row.inner_text()
    row.get_by_role("link", name="对照查看").click()

    township.get_by_role("heading", name="述职报告对照").wait_for()
    assert township.locator(".compared-text mark").count() >= 4
    assert fits_the_phone(township)
    shoot(township, "similar-pair-375.png")

    open_menu_link(township, "记实审阅")
    township.get_by_role("heading", name="记实审阅").wait_for()
    repeated = township.locator("tr[data-record]", has=township.locator("form[data-repeat-return]")).first
    record_id = int(repeated.get_attribute("data-record"))
    repeated.get_by_role("button", name="按重复驳回").click()
    township.get_by_text("已驳回该记实").wait_for()
    record = DutyRecord.objects.get(pk=record_id)
    assert record.status == DutyRecord.Status.RETURNED
    assert "重复" in record.review_reason
