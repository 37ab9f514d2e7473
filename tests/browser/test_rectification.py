"""In real Chromium: the committee raises a finding from a duty-report review and assigns it to the demo
secretary; the secretary plans it on a phone, reports progress with a photo and applies for acceptance; the
committee returns it, the secretary sees why, works on and resubmits; the committee accepts; the next year's
duty report shows the task under 上年度整改落实情况 as 已销号."""

from __future__ import annotations

import struct
import zlib
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organization, User
from rectification.models import Finding, RectificationTask, TaskEvidence
from reviews import services as review_services
from reviews.models import Cycle, DutyReport, RubricTemplate
from seeding.demo.people import FIRST_TOWNSHIP_CODE, FIRST_VILLAGE_CODE
from tests.clients import sign_in

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"
PROBLEM = "党员积分管理台账未及时更新，积分公示流于形式。"
REASON = "积分公示照片不清晰，缺少党员签字确认。"


def new_page(chromium: Any, *, phone: bool) -> Any:
    size = {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}
    context = chromium.new_context(viewport=size, locale="zh-CN", is_mobile=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 375)


def photo(path: Path) -> Path:
    """A real 8×8 PNG on disk, for the file chooser."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes((200, 30, 30)) * 8
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * 8)) + chunk(b"IEND", b"")
    )
    return path


def next_years_cycle(year: int) -> Cycle:
    """东湖镇's review of the following year over its branches, opened through the services."""
    township = Organization.objects.get(code=FIRST_TOWNSHIP_CODE)
    by = User.objects.get(username="demo-township")
    cycle = review_services.cycle_create(
        organization=township,
        year=year,
        title=f"东湖镇{year}年度述职评议考核",
        report_due=date(year, 12, 20),
        scoring_due=date(year + 1, 1, 10),
        ballot_opens=date(year, 12, 25),
        ballot_closes=date(year + 1, 1, 5),
        scope="branches",
        template=RubricTemplate.objects.filter(organization=township).first(),
        by=by,
    )
    return review_services.cycle_open(cycle=cycle, by=by)


def test_a_review_problem_is_rectified_returned_resubmitted_accepted_and_carried_into_next_year(  # type: ignore[no-untyped-def]
    live_server, chromium, transactional_db, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    year = timezone.localdate().year
    report = DutyReport.objects.get(
        cycle__year=year, cycle__status=Cycle.Status.OPEN, organization__code=FIRST_VILLAGE_CODE
    )
    url = live_server.url

    # The township committee names a problem in this year's review of 柳塘村 and lists it as a finding.
    committee = new_page(chromium, phone=False)
    sign_in(committee, url, "demo-township")
    committee.goto(f"{url}/reviews/reports/{report.pk}/assess/")
    committee.get_by_label("发现的问题").fill(PROBLEM)
    committee.get_by_role("button", name="添加问题").click()
    committee.get_by_text(PROBLEM).first.wait_for()
    committee.get_by_role("link", name="列入问题清单并下达整改").click()
    row = committee.locator("#problems-table tr", has_text=PROBLEM)
    row.get_by_role("checkbox").check()
    row.locator("select").first.select_option(label="组织建设")
    shoot(committee, "rectification-from-review-1280.png")
    committee.get_by_role("button", name="列入问题清单").click()
    committee.get_by_text("已将 1 个问题列入问题清单").wait_for()
    finding = Finding.objects.get(description=PROBLEM)
    assert finding.problem is not None
    assert finding.source == Finding.Source.REVIEW

    # … and assigns it to the branch secretary.
    committee.get_by_role("link", name="为已列入的问题下达整改任务").click()
    committee.get_by_label("责任人").select_option(label="李建国")
    committee.get_by_role("button", name="下达整改任务").click()
    committee.get_by_text("整改任务已下达").wait_for()
    task = RectificationTask.objects.get(findings=finding)
    assert task.responsible.username == "demo-secretary"
    assert task.status == RectificationTask.Status.AWAITING_PLAN

    # The secretary plans it on a phone, reports progress with a photo and applies for acceptance.
    secretary = new_page(chromium, phone=True)
    sign_in(secretary, url, "demo-secretary")
    secretary.goto(f"{url}/rectification/mine/")
    secretary.locator(f'a[href="/rectification/tasks/{task.pk}/"]').first.click()
    secretary.get_by_label("整改措施").fill("每月 5 日前更新党员积分台账，支部党员大会公示并签字确认。")
    secretary.get_by_label("整改标准").fill("台账逐月更新，公示有照片和签字。")
    secretary.get_by_label("整改承诺").fill("一个月内整改到位。")
    secretary.get_by_role("button", name="保存方案，开始整改").click()
    secretary.get_by_label("进展情况").wait_for()
    secretary.get_by_label("进展情况").fill("已补记 1 至 10 月积分，并在党员大会上公示。")
    secretary.get_by_label("佐证材料").set_input_files(str(photo(tmp_path / "积分公示.png")))
    secretary.get_by_role("button", name="提交进展").click()
    secretary.get_by_role("region", name="整改佐证").get_by_role("link", name="积分公示.png").wait_for()
    assert TaskEvidence.objects.filter(event__task=task, content_type="image/png").count() == 1
    secretary.get_by_label("整改完成情况").fill("已按方案完成整改，申请销号。")
    assert fits_the_phone(secretary)
    shoot(secretary, "rectification-task-375.png")
    secretary.get_by_role("button", name="申请销号").click()
    secretary.get_by_text("已申请销号，等待上级党组织验收").first.wait_for()
    task.refresh_from_db()
    assert task.status == RectificationTask.Status.AWAITING_ACCEPTANCE

    # The committee returns it with a reason.
    committee.goto(f"{url}/rectification/tasks/{task.pk}/")
    committee.get_by_label("退回理由").fill(REASON)
    committee.get_by_role("button", name="退回", exact=True).click()
    committee.get_by_text("已退回").first.wait_for()
    task.refresh_from_db()
    assert (task.status, task.returned_count) == (RectificationTask.Status.IN_PROGRESS, 1)

    # The secretary sees why, works on and resubmits.
    secretary.goto(f"{url}/rectification/tasks/{task.pk}/")
    assert REASON in secretary.locator(".review-reason").inner_text()
    shoot(secretary, "rectification-returned-375.png")
    secretary.get_by_label("进展情况").fill("重新拍摄公示照片，补齐党员签字。")
    secretary.get_by_label("佐证材料").set_input_files(str(photo(tmp_path / "签字确认.png")))
    secretary.get_by_role("button", name="提交进展").click()
    secretary.get_by_role("region", name="整改佐证").get_by_role("link", name="签字确认.png").wait_for()
    secretary.get_by_label("整改完成情况").fill("照片和签字已补齐，再次申请销号。")
    secretary.get_by_role("button", name="申请销号").click()
    secretary.get_by_text("已申请销号，等待上级党组织验收").first.wait_for()

    # The committee accepts.
    committee.goto(f"{url}/rectification/tasks/{task.pk}/")
    committee.get_by_label("验收意见").fill("整改到位，同意销号。")
    committee.get_by_role("button", name="验收通过，销号").click()
    committee.locator(".event-accepted").wait_for()
    task.refresh_from_db()
    assert task.status == RectificationTask.Status.ACCEPTED
    assert task.accepted_at is not None
    shoot(committee, "rectification-accepted-1280.png")

    # Next year's duty report of 柳塘村 shows it under 上年度整改落实情况, and the secretary cannot remove it.
    following = next_years_cycle(year + 1)
    next_report = following.reports.get(organization__code=FIRST_VILLAGE_CODE)
    secretary.goto(f"{url}/reviews/reports/{next_report.pk}/")
    carried = secretary.locator(f'.carried-tasks tr[data-task="{task.pk}"]')
    carried.wait_for()
    text = carried.inner_text()
    assert PROBLEM in text
    assert "已销号" in text
    assert timezone.localdate(task.accepted_at).strftime("%Y-%m-%d") in text
    assert "上年度整改落实情况" in secretary.locator(".report-facts").inner_text()
    assert fits_the_phone(secretary)
    shoot(secretary, "rectification-next-year-report-375.png")
    secretary.goto(f"{url}/reviews/reports/{next_report.pk}/edit/")
    assert secretary.locator(f'form .carried-tasks tr[data-task="{task.pk}"]').count() == 0
    assert secretary.locator(f'.report-facts .carried-tasks tr[data-task="{task.pk}"]').count() == 1
