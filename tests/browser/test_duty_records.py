"""In real Chromium on phones: the demo secretary records work with evidence and the item turns green;
the demo township committee returns another record, and the secretary sees why."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from seeding.demo.responsibility import JOURNEY_ITEM, demo_png
from tests.clients import sign_in

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"
REASON = "只写了学习主题，请补充参加人数、研讨发言要点和会议记录照片。"


def phone_page(chromium: Any) -> Any:
    """Another phone, with its own cookies (a second person signing in)."""
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def open_menu_link(page: Any, name: str) -> None:
    """On a phone the navigation sits behind the 菜单 button."""
    page.locator("details.menu summary").click()
    page.locator("details.menu nav").get_by_role("link", name=name, exact=True).click()


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 375)


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_secretary_records_with_evidence_and_sees_why_the_township_returned_another(  # type: ignore[no-untyped-def]
    live_server, phone, chromium, transactional_db, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    photo = tmp_path / "主题党日合影.png"
    photo.write_bytes(demo_png((190, 20, 30), size=32))
    today = timezone.localdate()

    # The secretary opens 我的清单 and the item not yet done.
    secretary = phone
    sign_in(secretary, live_server.url, "demo-secretary")
    open_menu_link(secretary, "我的清单")
    secretary.get_by_role("heading", name="我的清单", exact=True).wait_for()
    row = secretary.locator("tr[data-item]", has=secretary.get_by_role("link", name=JOURNEY_ITEM, exact=True))
    assert row.get_attribute("data-light") in {"green", "yellow", "red"}
    assert row.locator("td.num").first.inner_text().strip() == "0/1"
    assert fits_the_phone(secretary)
    # On a phone each item is a card as wide as the screen, not a squeezed table column.
    assert row.locator("td").first.bounding_box()["width"] > 250
    shoot(secretary, "duties-my-list-375.png")

    row.get_by_role("link", name=JOURNEY_ITEM, exact=True).click()
    secretary.get_by_role("heading", name=JOURNEY_ITEM).wait_for()
    secretary.get_by_role("link", name="添加履责记实").click()

    # A record dated today, with a photo as evidence.
    secretary.get_by_role("heading", name="添加履责记实").wait_for()
    secretary.get_by_label("履责日期").fill(today.isoformat())
    secretary.get_by_label("履责内容").fill("组织全体党员到村史馆开展“重温入党誓词”主题党日活动，18 名党员参加。")
    secretary.get_by_label("书记亲自履责").select_option(label="亲自部署")
    secretary.get_by_label("佐证材料").set_input_files(str(photo))
    assert fits_the_phone(secretary)
    shoot(secretary, "duties-record-form-375.png")
    secretary.get_by_role("button", name="保存记实").click()

    # Back on the item: saved, with the photo, and the light is green.
    secretary.get_by_text("履责记实已保存").wait_for()
    secretary.get_by_role("heading", name=JOURNEY_ITEM).wait_for()
    assert secretary.locator("dl.facts [data-light]").first.get_attribute("data-light") == "green"
    record = secretary.locator("article.record").first
    assert "重温入党誓词" in record.inner_text()
    assert record.get_by_role("link", name="主题党日合影.png").is_visible()
    assert fits_the_phone(secretary)
    shoot(secretary, "duties-item-green-375.png")

    open_menu_link(secretary, "我的清单")
    row = secretary.locator("tr[data-item]", has=secretary.get_by_role("link", name=JOURNEY_ITEM, exact=True))
    assert row.get_attribute("data-light") == "green"
    assert row.locator("td.num").first.inner_text().strip() == "1/1"

    # The township committee, on its own phone, returns the secretary's study record.
    township = phone_page(chromium)
    try:
        sign_in(township, live_server.url, "demo-township")
        open_menu_link(township, "记实审阅")
        township.get_by_role("heading", name="记实审阅").wait_for()
        study = township.locator("tr[data-record]", has_text="组织党员学习")
        assert study.count() == 1
        assert "东湖镇柳塘村党支部" in study.inner_text()
        assert fits_the_phone(township)
        shoot(township, "records-review-queue-375.png")
        study.get_by_role("link", name="查看 / 驳回").click()

        township.get_by_role("heading", name="审阅").wait_for()
        township.get_by_label("驳回理由").fill(REASON)
        township.get_by_role("button", name="驳回（需填写理由）").click()
        township.get_by_text("已驳回该记实").wait_for()
        assert "已驳回" in township.locator("main").inner_text()
        shoot(township, "records-returned-375.png")
    finally:
        township.context.close()

    # The secretary sees the return and its reason on 我的工作, and on the record.
    open_menu_link(secretary, "我的工作")
    returned = secretary.locator("section.returned-records li", has_text=REASON)
    assert returned.count() == 1
    assert "东湖镇柳塘村党支部" in returned.inner_text()
    shoot(secretary, "home-returned-record-375.png")
    returned.get_by_role("link", name="组织党员集中学习").click()
    secretary.get_by_text("已被驳回").wait_for()
    main = secretary.locator("main").inner_text()
    assert REASON in main
    assert "组织党员学习《中国共产党纪律处分条例》" in main
    assert secretary.locator(".tag.status-returned").first.inner_text() == "已驳回"
    assert fits_the_phone(secretary)
    shoot(secretary, "record-returned-reason-375.png")
