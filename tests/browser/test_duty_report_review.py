"""In real Chromium: the demo secretary writes and submits the duty report on a phone, a reviewer scores it
on a laptop, the committee prints the ballot slips, five members vote on their phones by the QR codes'
links while the committee sees turnout only, the committee closes the cycle over its gaps with reasons,
the results show the rule that decided each grade, and the secretary is notified and sees the grade and
the comment."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification
from reviews.models import BallotCode, Cycle, DutyReport, Result, SpentCode
from seeding.demo.people import FIRST_VILLAGE_CODE
from tests.clients import sign_in

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"
COMMENT = "述职报告问题查摆具体，“四个亲自”有记实支撑；党员教育方式仍需创新。"
SECTIONS = {
    "履职情况": "全年召开支委会 12 次，书记讲党课 4 次，亲自协调解决灌溉水渠修缮问题。",
    "存在问题": "流动党员参学率不高，发展党员梯队不足。",
    "原因分析": "对党员教育方式创新思考不够。",
    "下步打算": "建立流动党员线上学习群，培养青年入党积极分子。",
}


def new_page(chromium: Any, *, phone: bool) -> Any:
    size = {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}
    context = chromium.new_context(viewport=size, locale="zh-CN", is_mobile=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_report_written_scored_voted_closed_and_the_result_reaches_the_secretary(  # type: ignore[no-untyped-def]
    live_server, chromium, transactional_db, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    cycle = Cycle.objects.get(status=Cycle.Status.OPEN)
    report = cycle.reports.get(organization__code=FIRST_VILLAGE_CODE)
    url = live_server.url

    # The secretary writes every section on a phone and submits.
    secretary = new_page(chromium, phone=True)
    sign_in(secretary, url, "demo-secretary")
    secretary.goto(f"{url}/reviews/mine/")
    secretary.get_by_role("link", name="撰写报告").click()
    editors = secretary.locator(".editor")
    editors.first.wait_for()  # the script turns each section's textarea into an editor
    assert editors.count() == len(SECTIONS)
    for index, text in enumerate(SECTIONS.values()):
        editor = editors.nth(index)
        editor.click()
        secretary.keyboard.press("Control+A")
        secretary.keyboard.type(text)
    secretary.locator("[data-autosave-status]", has_text="已自动保存").wait_for()
    assert secretary.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(secretary, "review-report-editor-375.png")
    secretary.get_by_role("button", name="保存并提交…").click()
    secretary.get_by_role("button", name="确认提交").click()
    report.refresh_from_db()
    assert report.status == DutyReport.Status.SUBMITTED
    assert "流动党员参学率不高" in report.sections["存在问题"]

    # The township secretary scores it beside the report on a laptop and writes the committee's comment.
    reviewer = new_page(chromium, phone=False)
    sign_in(reviewer, url, "demo-township")
    reviewer.goto(f"{url}/reviews/queue/")
    reviewer.locator("tr", has_text="柳塘村").get_by_role("link", name="评分", exact=True).click()
    assert "流动党员参学率不高" in reviewer.locator(".score-report").inner_text()
    for points in reviewer.locator(".score-item input[type=number]").all():
        top = float(points.get_attribute("max") or 0)
        label = points.get_attribute("name") or ""
        points.fill(str(int(top * 0.9)) if top >= 10 and "bonus" not in label else "0")
    reviewer.get_by_label("我已核对全部评分，提交后不能再修改").check()
    shoot(reviewer, "review-scoring-1280.png")
    reviewer.get_by_role("button", name="提交评分").click()
    reviewer.get_by_text("平均分").first.wait_for()
    reviewer.goto(f"{url}/reviews/reports/{report.pk}/assess/")
    reviewer.get_by_role("textbox", name="点评意见").fill(COMMENT)
    reviewer.get_by_role("button", name="保存点评").click()
    reviewer.get_by_text(COMMENT).first.wait_for()

    # The committee prints the village's slips: each QR code opens the voting page with the code after "#".
    reviewer.goto(f"{url}/reviews/cycles/{cycle.pk}/ballots/")
    reviewer.locator("tr", has_text="柳塘村").get_by_role("link", name="第 1 批").click()
    slips = reviewer.locator("li.slip")
    assert slips.count() == 20
    codes = [code.replace(" ", "") for code in reviewer.locator(".slip-code").all_inner_texts()[:5]]
    assert set(codes) <= set(BallotCode.objects.filter(cycle=cycle).values_list("code", flat=True))

    # Five members vote, signed out, each on a phone, by the link the QR code holds.
    for code, rating in zip(codes, ["好", "较好", "好", "一般", "好"], strict=True):
        voter = new_page(chromium, phone=True)
        voter.goto(f"{url}/vote/#{code}")
        voter.locator("label.vote-choice", has_text=rating).first.click()
        assert "#" not in voter.url  # the page took the code out of the address
        voter.get_by_role("button", name="提交测评").click()
        voter.get_by_role("heading").first.wait_for()
        assert "/vote/done/" in voter.url
        voter.context.close()
    assert SpentCode.objects.filter(cycle=cycle, organization=report.organization).count() == 5

    # While the window is open the committee sees how many voted, never what.
    reviewer.goto(f"{url}/reviews/cycles/{cycle.pk}/ballots/")
    row = reviewer.locator("tr", has_text="柳塘村").inner_text()
    assert "5" in row
    assert "测评进行中，结束后公布" in row
    reviewer.goto(f"{url}/reviews/reports/{report.pk}/assess/")
    assert "已投票 5 张" in reviewer.locator("#ballot-turnout").inner_text()

    # The committee closes the cycle: the closing page lists the gaps; those that need a reason get one.
    reviewer.goto(f"{url}/reviews/cycles/{cycle.pk}/")
    reviewer.get_by_role("link", name="结束考核…").click()
    reviewer.get_by_role("heading", name="缺项清单").wait_for()
    assert "民主测评尚未结束" in reviewer.locator("#gaps").inner_text()
    reviewer.get_by_label("我已核对以上缺项，确认结束考核并生成结果").check()
    reviewer.get_by_role("button", name="结束考核并生成结果").click()
    reviewer.locator(".field-error", has_text="此项须说明理由才能结束考核。").first.wait_for()
    for reason in reviewer.locator("#gaps textarea").all():
        reason.fill("党员大会上集中测评已完成，其余评议人回避")
    reviewer.get_by_label("我已核对以上缺项，确认结束考核并生成结果").check()
    shoot(reviewer, "review-closing-1280.png")
    reviewer.get_by_role("button", name="结束考核并生成结果").click()
    reviewer.get_by_role("heading", name="结果排名").wait_for()
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.CLOSED
    result = Result.objects.get(report=report)
    # Every result names the rule that decided its grade.
    village = reviewer.locator("tr[data-org]", has_text="柳塘村")
    assert result.rule_label in village.inner_text()
    assert reviewer.locator("tr[data-rule]").count() == cycle.reports.count()
    assert "党员大会上集中测评已完成" in reviewer.locator("main").inner_text()
    assert result.ballots_published
    shoot(reviewer, "review-ranking-1280.png")

    # The secretary is notified, and the home page keeps a card for the result.
    assert Notification.objects.filter(recipient__username="demo-secretary", kind="review_result").exists()
    secretary.goto(f"{url}/")
    assert "查看结果和点评意见" in secretary.locator("main").inner_text()

    # The secretary sees the grade, the rank and the comment.
    secretary.goto(f"{url}/reviews/mine/")
    secretary.get_by_role("link", name="查看结果").first.click()
    page_text = secretary.locator("main").inner_text()
    assert result.get_grade_display() in page_text
    assert COMMENT in page_text
    assert str(result.shown_composite) in page_text
    assert timezone.localdate().year == cycle.year
    shoot(secretary, "review-result-375.png")
