"""In real Chromium: the menu by the stages of the year and by role, the year chosen once and kept, and a
home page whose promises open on pages that show them (issue 17's journeys on the navigation)."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.clients import sign_in

pytestmark = pytest.mark.browser

MEMBER_MENU = {"我的工作", "组织生活", "民主测评", "消息设置", "修改密码", "两步验证"}


def phone_page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def laptop_page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def open_menu(page: Any) -> Any:
    page.locator("details.menu summary").click()
    return page.locator("details.menu nav")


def menu_names(nav: Any) -> set[str]:
    return {name.strip() for name in nav.get_by_role("link").all_inner_texts()}


def test_each_role_gets_its_menu_and_the_year_and_the_queue_hold(  # type: ignore[no-untyped-def]
    live_server, chromium, transactional_db
) -> None:
    call_command("seed_demo", stdout=StringIO())
    this_year = timezone.localdate().year

    # A member's menu holds only what a member can use, and fits the phone's screen.
    member = phone_page(chromium)
    sign_in(member, live_server.url, "demo-member")
    nav = open_menu(member)
    assert menu_names(nav) == MEMBER_MENU
    assert nav.bounding_box()["y"] + nav.bounding_box()["height"] <= 740

    # A committee's whole menu, grouped by the stages of the year, also fits one phone screen.
    township = phone_page(chromium)
    sign_in(township, live_server.url, "demo-township")
    nav = open_menu(township)
    names = menu_names(nav)
    assert {"清单审核", "记实审阅", "组织生活统计", "督查", "评分", "整改督办", "工作台", "操作日志"} <= names
    assert "导入组织与人员" not in names  # an administrator's
    stages = nav.locator(".nav-stage-title").all_inner_texts()
    assert stages[:7] == ["计划与清单", "履责记实", "组织生活", "督查", "述职评议", "整改", "报表"]
    assert nav.bounding_box()["y"] + nav.bounding_box()["height"] <= 740
    township.locator("details.menu summary").click()

    # 去验收 promises N tasks; the board it opens shows those N, last year's included.
    line = township.locator(".queue-list a", has_text="申请销号，待验收")
    promised = int(re.search(r"\d+", line.inner_text()).group())
    township.get_by_role("link", name="去验收", exact=True).click()
    township.get_by_role("heading", name="整改督办", exact=True).wait_for()
    rows = township.locator("tr[data-task]")
    assert rows.count() == promised >= 1
    assert township.locator("p.eyebrow").inner_text().strip() == "全部年度"
    assert str(this_year - 1) in township.locator("main").inner_text()

    # The year chosen once in the header stays chosen on the next pages and in their links.
    township.get_by_label("工作年度").select_option(str(this_year - 1))
    township.get_by_role("button", name="切换").click()
    township.wait_for_url(re.compile(rf"year={this_year - 1}"))
    nav = open_menu(township)
    nav.get_by_role("link", name="工作台", exact=True).click()
    township.get_by_role("heading", name="工作台", exact=True).wait_for()
    assert township.locator("p.eyebrow").inner_text().strip() == f"{this_year - 1} 年度"
    assert township.get_by_label("工作年度").input_value() == str(this_year - 1)
    township.goto(f"{live_server.url}/progress/")  # no year in the address: the chosen one still holds
    assert township.get_by_label("工作年度").input_value() == str(this_year - 1)

    # The county on a laptop: the menu is a sidebar, always in view; it opens a township's ranking.
    county = laptop_page(chromium)
    sign_in(county, live_server.url, "demo-county")
    sidebar = county.locator("details.menu nav")
    assert sidebar.is_visible()
    assert county.locator("main").bounding_box()["width"] >= 1100
    sidebar.get_by_role("link", name="述职评议", exact=True).click()
    county.get_by_role("link", name=re.compile(f"东湖镇{this_year - 1}年度")).click()
    county.get_by_role("link", name="结果排名").first.click()
    county.get_by_role("heading", name="结果排名").wait_for()
    assert county.locator("table tbody tr").count() >= 1
