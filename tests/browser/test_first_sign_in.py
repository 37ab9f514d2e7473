"""In real Chromium: an administrator imports a township's people from Excel and prints their first-sign-in
slips; one of them sets a password on a phone with the code from the slip and is signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.clients import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"
NEW_PASSWORD = "Liu-Tang-2026!"


def township_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    organizations = book.active
    assert organizations is not None
    organizations.title = "组织"
    organizations.append(["组织代码", "名称", "类别", "领域", "上级组织代码", "成立日期"])
    organizations.append(["BT", "柳塘镇党委", "党委", "", "", "2001-07-01"])
    organizations.append(["BT-1", "柳塘村党支部", "党支部", "农村", "BT", ""])
    people = book.create_sheet("人员")
    people.append(["登录名", "姓名", "手机", "组织代码", "职务", "分工", "邮箱"])
    people.append(["liu.fang", "刘芳", "13800000011", "BT-1", "书记", "", ""])
    people.append(["chen.li", "陈立", "13800000012", "BT-1", "党员", "", ""])
    book.save(path)
    return path


def test_administrator_prints_slips_and_a_new_person_sets_a_password_on_a_phone(  # type: ignore[no-untyped-def]
    live_server, chromium, phone, transactional_db, tmp_path: Path
) -> None:
    UserFactory(username="admin", full_name="管理员", password=TEST_PASSWORD, is_superuser=True, is_staff=True)
    upload = township_workbook(tmp_path / "柳塘镇.xlsx")

    # The administrator, at a desk, imports the file.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    admin: Any = context.new_page()
    admin.set_default_timeout(15_000)
    sign_in(admin, live_server.url, "admin", TEST_PASSWORD)
    admin.goto(f"{live_server.url}/orgs/import/")
    assert admin.get_by_role("link", name="下载导入模板（Excel）").is_visible()
    admin.get_by_label("导入文件").set_input_files(str(upload))
    admin.get_by_role("button", name="检查并导入").click()
    admin.get_by_text("新建人员 2 人").wait_for()

    # The import page leads to exactly these two people's slips.
    admin.get_by_role("link", name="为本次导入的 2 人打印首次登录单").click()
    admin.get_by_role("heading", name="打印首次登录单").wait_for()
    assert admin.locator("tr[data-person] input[type=checkbox]:checked").count() == 2
    admin.get_by_role("button", name="发放登录码并打印登录单").click()
    slip = admin.locator("article.signin-slip[data-username='liu.fang']")
    slip.wait_for()
    assert admin.locator("article.signin-slip").count() == 2
    assert "柳塘村党支部" in slip.inner_text()
    code = slip.locator(".signin-slip-code").inner_text().strip()
    address = slip.locator(".signin-slip-url").inner_text().strip()
    assert address == f"{live_server.url}/first-sign-in/"
    # On paper: only the slips, each whole on its page.
    admin.emulate_media(media="print")
    assert not admin.locator("header.topbar").is_visible()
    assert not admin.get_by_text("请现在就打印").is_visible()
    assert slip.evaluate("element => getComputedStyle(element).breakInside") == "avoid"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SCREENSHOTS / "first-sign-in-slips-print.png"), full_page=True)
    context.close()

    # 刘芳, on her phone, types what the slip says.
    phone.goto(address)
    phone.get_by_role("heading", name="首次登录").wait_for()
    phone.get_by_label("登录名").fill("liu.fang")
    phone.get_by_label("首次登录码").fill(code.lower())
    phone.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    phone.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="设置密码并登录").click()
    phone.get_by_role("heading", name="我的工作").wait_for()
    assert "柳塘村党支部" in phone.locator("main").inner_text()
    phone.screenshot(path=str(SCREENSHOTS / "first-sign-in-done-375.png"), full_page=True)

    # The code is spent; from now on she signs in with her own password.
    phone.context.clear_cookies()
    phone.goto(address)
    phone.get_by_label("登录名").fill("liu.fang")
    phone.get_by_label("首次登录码").fill(code)
    phone.get_by_label("新密码", exact=True).fill("Another-2026!")
    phone.get_by_label("再次输入新密码").fill("Another-2026!")
    phone.get_by_role("button", name="设置密码并登录").click()
    phone.get_by_text("登录名或首次登录码不正确").wait_for()
    sign_in(phone, live_server.url, "liu.fang", NEW_PASSWORD)
