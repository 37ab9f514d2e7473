"""述职报告 pages: writing with autosave, sanitizing, submitting, versions, permissions, the result, query counts.

Why one long file: the report's pages are one flow (write, autosave, submit, version, result) sharing the
report builders at the top; each step is a section below.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from responsibility import services as responsibility_services
from responsibility.models import Category, DutyRecord, DutyType, Period, ResponsibilityList
from reviews import services
from reviews.models import Cycle, DutyReport, IndicatorKind, ReportVersion, SelfAssessment
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.reviews.conftest import close_cycle

TITLES = ["履职情况", "存在问题", "原因分析", "下步打算"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"


def report_of(cycle: Cycle, organization: Organization) -> DutyReport:
    return cycle.reports.select_related("cycle", "organization").get(organization=organization)


def holder(username: str, organization: Organization, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username, full_name=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def body_of(client: Client, user: User, url: str) -> str:
    response = as_user(client, user).get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section_post(revision: int, texts: list[str], **extra: str) -> dict[str, str]:
    data = {"revision": str(revision), **extra}
    for index, text in enumerate(texts):
        data[f"section_{index}"] = text
    return data


def fill(report: DutyReport, by: User, text: str = "<p>内容</p>") -> DutyReport:
    report.refresh_from_db()
    return services.report_save(report=report, sections=dict.fromkeys(TITLES, text), revision=report.revision, by=by)


def submitted(report: DutyReport, by: User) -> DutyReport:
    fill(report, by)
    return services.report_submit(report=report, by=by)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return len(queries)


@pytest.fixture
def report(open_cycle: Cycle, tree: Tree) -> DutyReport:
    return report_of(open_cycle, tree.branch)


# 我的述职 -----------------------------------------------------------------------------


def test_my_reports_lists_the_branch_report_with_its_due_date_and_status(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    body = body_of(client, people.branch_secretary, reverse("my_reports"))
    assert report.cycle.title in body
    assert report.cycle.report_due.isoformat() in body
    assert "撰写中" in body
    assert reverse("report_edit", args=[report.pk]) in body
    assert "二村党支部" not in body


def test_my_reports_explains_when_a_report_will_appear(client: Client, people: SimpleNamespace) -> None:
    for person in (people.outsider, people.branch_member):
        body = body_of(client, person, reverse("my_reports"))
        assert "暂无述职报告" in body
        assert "启动述职评议考核后" in body


def test_a_draft_cycle_is_not_listed_yet(client: Client, people: SimpleNamespace, open_cycle: Cycle) -> None:
    Cycle.objects.filter(pk=open_cycle.pk).update(status=Cycle.Status.DRAFT)
    assert "暂无述职报告" in body_of(client, people.branch_secretary, reverse("my_reports"))


def test_the_navigation_links_to_my_reports(client: Client, people: SimpleNamespace) -> None:
    assert reverse("my_reports") in body_of(client, people.branch_secretary, reverse("home"))


# Writing -----------------------------------------------------------------------------


def test_the_edit_page_shows_each_section_the_editor_and_the_facts(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    body = body_of(client, people.branch_secretary, reverse("report_edit", args=[report.pk]))
    for title in TITLES:
        assert title in body
    assert body.count("data-rich") == 4
    assert "js/report-editor.js" in body
    assert reverse("report_autosave", args=[report.pk]) in body
    assert "上年度无整改任务。" in body
    assert "年度责任清单。" in body


def test_the_facts_show_this_years_list_completion_and_lights(
    client: Client, people: SimpleNamespace, report: DutyReport, tree: Tree
) -> None:
    year = report.cycle.year
    responsibility_list = responsibility_services.list_start(
        organization=tree.branch, year=year, by=people.branch_secretary
    )
    ResponsibilityList.objects.filter(pk=responsibility_list.pk).update(
        required_total=10, done_total=4, red_items=2, yellow_items=1, green_items=3, late_items=1, warning="red"
    )
    body = body_of(client, people.branch_secretary, reverse("report_edit", args=[report.pk]))
    assert "40%" in body
    assert "2 / 1 / 3" in body
    assert reverse("list_detail", args=[responsibility_list.pk]) in body


def test_saving_the_form_stores_sanitized_html(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    dirty = (
        '<p onclick="steal()" style="color:red">一年来<strong class="x">抓党建</strong></p><script>alert(1)</script>'
    )
    response = as_user(client, people.branch_secretary).post(
        reverse("report_edit", args=[report.pk]), section_post(0, [dirty, "<ul><li>问题一</li></ul>", "", ""])
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>一年来<strong>抓党建</strong></p>"
    assert report.sections["存在问题"] == "<ul><li>问题一</li></ul>"
    assert report.revision == 1
    assert report.last_edited_by == people.branch_secretary


def test_plain_text_from_a_browser_without_javascript_becomes_paragraphs(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    as_user(client, people.branch_secretary).post(
        reverse("report_edit", args=[report.pk]), section_post(0, ["第一段\n第二行\n\n第二段 <b", "", "", ""])
    )
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>第一段<br>第二行</p><p>第二段 &lt;b</p>"


def test_autosave_answers_the_new_revision_and_time(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    response = as_user(client, people.branch_secretary).post(
        reverse("report_autosave", args=[report.pk]), section_post(0, ["<p>草稿</p>", "", "", ""])
    )
    assert response.status_code == 200
    data = response.json()
    assert data["revision"] == 1
    assert re.fullmatch(r"\d\d:\d\d", data["saved_at"])
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>草稿</p>"


def test_autosave_takes_a_json_body_too(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    payload = {"revision": 0, "sections": {"履职情况": "<p>JSON 草稿</p><img src=x onerror=alert(1)>"}}
    response = as_user(client, people.branch_secretary).post(
        reverse("report_autosave", args=[report.pk]), json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["revision"] == 1
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>JSON 草稿</p>"


def test_autosave_refuses_a_malformed_body(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    client = as_user(client, people.branch_secretary)
    url = reverse("report_autosave", args=[report.pk])
    assert client.post(url, "{not json", content_type="application/json").status_code == 400
    assert client.post(url, {"section_0": "<p>没有修订号</p>"}).status_code == 400
    assert client.get(url).status_code == 405
    report.refresh_from_db()
    assert report.revision == 0


def test_a_stale_autosave_gets_409_and_keeps_the_stored_text(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    fill(report, people.branch_deputy, "<p>副书记写的</p>")
    response = as_user(client, people.branch_secretary).post(
        reverse("report_autosave", args=[report.pk]), section_post(0, ["<p>旧页面</p>"] * 4)
    )
    assert response.status_code == 409
    assert "报告已在别处更新" in response.json()["error"]
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>副书记写的</p>"
    assert report.revision == 1


def test_a_stale_save_shows_the_message_and_keeps_what_was_typed(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    fill(report, people.branch_deputy, "<p>副书记写的</p>")
    response = as_user(client, people.branch_secretary).post(
        reverse("report_edit", args=[report.pk]), section_post(0, ["<p>我刚写的一大段</p>", "", "", ""])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "报告已在别处更新" in body
    assert "我刚写的一大段" in body
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>副书记写的</p>"


def test_a_partial_post_never_erases_a_section(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    fill(report, people.branch_secretary, "<p>已写好</p>")
    as_user(client, people.branch_secretary).post(
        reverse("report_autosave", args=[report.pk]), {"revision": "1", "section_0": "<p>只改第一栏</p>"}
    )
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>只改第一栏</p>"
    assert report.sections["下步打算"] == "<p>已写好</p>"


# Submitting ---------------------------------------------------------------------------


def test_submitting_asks_for_confirmation_then_locks_and_keeps_a_version(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    fill(report, people.branch_secretary, "<p>第一版</p>")
    client = as_user(client, people.branch_secretary)
    confirm = client.get(reverse("report_submit", args=[report.pk])).content.decode()
    assert "确认提交" in confirm
    assert "代书记提交" not in confirm
    response = client.post(reverse("report_submit", args=[report.pk]), follow=True)
    assert "述职报告已提交" in response.content.decode()
    report.refresh_from_db()
    assert report.status == DutyReport.Status.SUBMITTED
    version = ReportVersion.objects.get(report=report)
    assert version.number == 1
    assert version.on_behalf_of is None
    assert version.sections["履职情况"] == "<p>第一版</p>"


def test_submitting_with_an_empty_section_is_refused_with_the_reason(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    client = as_user(client, people.branch_secretary)
    confirm = client.get(reverse("report_submit", args=[report.pk])).content.decode()
    assert "以下栏目尚未填写" in confirm
    response = client.post(reverse("report_submit", args=[report.pk]), follow=True)
    assert "请先填写“履职情况”" in response.content.decode()
    report.refresh_from_db()
    assert report.status == DutyReport.Status.DRAFT
    assert not report.versions.exists()


def test_save_and_submit_leads_to_the_confirmation(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    response = as_user(client, people.branch_secretary).post(
        reverse("report_edit", args=[report.pk]), section_post(0, ["<p>x</p>"] * 4, then="submit")
    )
    assert response["Location"] == reverse("report_submit", args=[report.pk])


def test_edits_after_submission_are_refused_with_the_services_message(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    submitted(report, people.branch_secretary)
    client = as_user(client, people.branch_secretary)
    page = client.get(reverse("report_edit", args=[report.pk]), follow=True).content.decode()
    assert "报告已提交，不能再修改" in page
    autosave = client.post(reverse("report_autosave", args=[report.pk]), section_post(1, ["<p>改</p>"] * 4))
    assert autosave.status_code == 409
    assert "报告已提交，不能再修改" in autosave.json()["error"]
    client.post(reverse("report_edit", args=[report.pk]), section_post(1, ["<p>改</p>"] * 4))
    again = client.post(reverse("report_submit", args=[report.pk]), follow=True).content.decode()
    assert "不能执行此操作" in again
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>内容</p>"
    assert report.versions.count() == 1


def test_staff_submitting_for_the_secretary_is_recorded_and_shown(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    client = as_user(client, people.branch_staff)
    client.post(reverse("report_edit", args=[report.pk]), section_post(0, ["<p>代写</p>"] * 4))
    assert "代书记提交" in client.get(reverse("report_submit", args=[report.pk])).content.decode()
    client.post(reverse("report_submit", args=[report.pk]))
    version = ReportVersion.objects.get(report=report)
    assert version.submitted_by == people.branch_staff
    assert version.on_behalf_of == people.branch_secretary
    for url in (reverse("report_detail", args=[report.pk]), reverse("report_version", args=[report.pk, 1])):
        assert "由 branch_staff 代为提交" in body_of(client, people.branch_secretary, url)


def test_a_returned_report_shows_the_reason_and_is_editable_again(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    submitted(report, people.branch_secretary)
    services.report_return(report=report, by=people.committee_secretary, reason="问题分析不够深入")
    client = as_user(client, people.branch_secretary)
    for url in (reverse("report_detail", args=[report.pk]), reverse("report_edit", args=[report.pk])):
        body = client.get(url).content.decode()
        assert "问题分析不够深入" in body
        assert "上级党组织已退回" in body
    report.refresh_from_db()
    client.post(reverse("report_edit", args=[report.pk]), section_post(report.revision, ["<p>第二版</p>"] * 4))
    client.post(reverse("report_submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == DutyReport.Status.SUBMITTED
    assert report.versions.count() == 2
    first = body_of(client, people.branch_secretary, reverse("report_version", args=[report.pk, 1]))
    assert "<p>内容</p>" in first
    assert "第二版" not in first
    assert client.get(reverse("report_version", args=[report.pk, 3])).status_code == 404


# Self-assessment -------------------------------------------------------------------------


@pytest.fixture
def records(tree: Tree, people: SimpleNamespace, report: DutyReport) -> list[DutyRecord]:
    category = Category.objects.get(name="组织建设")
    year = report.cycle.year
    responsibility_list = responsibility_services.list_start(
        organization=tree.branch, year=year, by=people.branch_secretary
    )
    item = responsibility_services.list_item_add(
        responsibility_list=responsibility_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="每月召开支委会",
        target_period=Period.MONTH,
        target_count=1,
        by=people.branch_secretary,
    )
    return [
        responsibility_services.record_add(
            item=item,
            occurred_on=timezone.localdate(),
            content=f"召开第 {index} 次支委会",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
        )
        for index in range(3)
    ]


def test_self_assessment_lists_every_indicator_but_the_veto(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    body = body_of(client, people.branch_secretary, reverse("report_self_assessment", args=[report.pk]))
    assert "“三会一课”落实" in body
    assert "获上级表彰" in body
    assert "台账缺失" in body
    assert "发生严重违纪" not in body


def test_self_assessment_saves_points_note_and_evidence(
    client: Client, people: SimpleNamespace, report: DutyReport, records: list[DutyRecord]
) -> None:
    indicator = report.cycle.indicators.get(kind=IndicatorKind.STANDARD, max_points=60)
    url = reverse("report_self_assessment", args=[report.pk])
    client = as_user(client, people.branch_secretary)
    form = client.get(url, {"indicator": indicator.pk}).content.decode()
    assert "召开第 2 次支委会" in form
    assert "每月召开支委会" in form
    response = client.post(
        url,
        {"indicator": indicator.pk, "points": "55.5", "note": "按月召开", "records": [records[0].pk, records[2].pk]},
    )
    assert response.status_code == 302
    assessment = SelfAssessment.objects.get(report=report, indicator=indicator)
    assert assessment.points == Decimal("55.5")
    assert assessment.note == "按月召开"
    assert set(assessment.records.values_list("pk", flat=True)) == {records[0].pk, records[2].pk}
    assert "55.5" in body_of(client, people.branch_secretary, reverse("report_detail", args=[report.pk]))


def test_self_assessment_out_of_range_is_refused_and_nothing_changes(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    indicator = report.cycle.indicators.get(kind=IndicatorKind.STANDARD, max_points=40)
    response = as_user(client, people.branch_secretary).post(
        reverse("report_self_assessment", args=[report.pk]), {"indicator": indicator.pk, "points": "41", "note": "多"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "自评分须在 0 到 40.0 之间" in body
    assert "多" in body
    assert not SelfAssessment.objects.exists()


def test_self_assessment_cannot_cite_another_organizations_record(
    client: Client, people: SimpleNamespace, report: DutyReport, records: list[DutyRecord], tree: Tree
) -> None:
    other = holder("sibling_secretary", tree.branch_sibling)
    category = Category.objects.get(name="组织建设")
    other_list = responsibility_services.list_start(organization=tree.branch_sibling, year=report.cycle.year, by=other)
    item = responsibility_services.list_item_add(
        responsibility_list=other_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="别人的条目",
        target_period=Period.YEAR,
        target_count=1,
        by=other,
    )
    foreign = responsibility_services.record_add(
        item=item, occurred_on=timezone.localdate(), content="别人的记实", done_by=other, by=other
    )
    indicator = report.cycle.indicators.filter(kind=IndicatorKind.STANDARD).first()
    assert indicator is not None
    response = as_user(client, people.branch_secretary).post(
        reverse("report_self_assessment", args=[report.pk]),
        {"indicator": indicator.pk, "points": "10", "records": [foreign.pk]},
    )
    assert response.status_code == 200
    assert "别人的记实" not in response.content.decode()
    assert not SelfAssessment.objects.exists()


def test_filtering_records_keeps_what_was_typed_and_chosen(
    client: Client, people: SimpleNamespace, report: DutyReport, records: list[DutyRecord]
) -> None:
    indicator = report.cycle.indicators.filter(kind=IndicatorKind.STANDARD).first()
    assert indicator is not None
    response = as_user(client, people.branch_secretary).post(
        reverse("report_self_assessment", args=[report.pk]),
        {
            "indicator": indicator.pk,
            "points": "12",
            "note": "还在写",
            "records": [records[0].pk],
            "q": "第 1 次",
            "action": "filter",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "还在写" in body
    assert "召开第 1 次支委会" in body
    assert "召开第 2 次支委会" not in body
    assert f'value="{records[0].pk}" checked' in body
    assert not SelfAssessment.objects.exists()


# Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_deputy", 200),
        ("branch_staff", 200),
        ("branch_member", 403),
        ("outsider", 404),
        ("committee_secretary", 403),
        ("committee_member", 403),
        ("grantee", 403),
    ],
)
def test_who_reads_a_draft_report(
    client: Client, people: SimpleNamespace, report: DutyReport, who: str, status: int
) -> None:
    response = as_user(client, getattr(people, who)).get(reverse("report_detail", args=[report.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_member", 403),
        ("outsider", 404),
        ("committee_secretary", 200),
        ("committee_member", 200),
        ("grantee", 200),
        ("committee_party_member", 404),
    ],
)
def test_who_reads_a_submitted_report(
    client: Client, people: SimpleNamespace, report: DutyReport, who: str, status: int
) -> None:
    submitted(report, people.branch_secretary)
    for url in (reverse("report_detail", args=[report.pk]), reverse("report_version", args=[report.pk, 1])):
        assert as_user(client, getattr(people, who)).get(url).status_code == status


def test_sibling_and_unrelated_secretaries_get_404(
    client: Client, tree: Tree, people: SimpleNamespace, report: DutyReport
) -> None:
    submitted(report, people.branch_secretary)
    for organization in (tree.branch_sibling, tree.sibling_township, tree.unrelated, tree.sibling_branch):
        person = holder(f"secretary_{organization.code}", organization)
        client.force_login(person)
        for name in ("report_detail", "report_edit", "report_self_assessment", "report_submit", "report_result"):
            assert client.get(reverse(name, args=[report.pk])).status_code == 404, (organization, name)
        assert client.post(reverse("report_autosave", args=[report.pk]), section_post(1, [""])).status_code == 404


def test_a_reviewer_outside_the_supervising_line_sees_the_assigned_report_only_once_submitted(
    client: Client, tree: Tree, people: SimpleNamespace, report: DutyReport
) -> None:
    reviewer = holder("general_secretary", tree.general)
    services.reviewer_assign(reports=[report], reviewer=reviewer, by=people.committee_secretary)
    client.force_login(reviewer)
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 403
    other = report_of(report.cycle, tree.direct_branch)
    submitted(other, holder("direct_secretary", tree.direct_branch))
    assert client.get(reverse("report_detail", args=[other.pk])).status_code == 404
    submitted(report, people.branch_secretary)
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 200


@pytest.mark.parametrize("who", ["branch_member", "committee_secretary", "committee_member", "grantee"])
def test_only_the_organizations_leaders_write(
    client: Client, people: SimpleNamespace, report: DutyReport, who: str
) -> None:
    client = as_user(client, getattr(people, who))
    for name in ("report_edit", "report_self_assessment", "report_submit"):
        assert client.get(reverse(name, args=[report.pk])).status_code == 403, name
    assert client.post(reverse("report_edit", args=[report.pk]), section_post(0, ["<p>x</p>"] * 4)).status_code == 403
    assert (
        client.post(reverse("report_autosave", args=[report.pk]), section_post(0, ["<p>x</p>"] * 4)).status_code == 403
    )
    assert client.post(reverse("report_submit", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.revision == 0


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, report: DutyReport) -> None:
    response = client.get(reverse("report_detail", args=[report.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# The result -------------------------------------------------------------------------------


def test_the_result_waits_for_the_cycle_to_close(client: Client, people: SimpleNamespace, report: DutyReport) -> None:
    submitted(report, people.branch_secretary)
    body = body_of(client, people.branch_secretary, reverse("report_result", args=[report.pk]))
    assert "结果将在考核结束后公布" in body
    assert "综合得分" not in body


def test_the_closed_cycle_shows_grade_rank_comment_and_problems(
    client: Client, people: SimpleNamespace, report: DutyReport, open_cycle: Cycle
) -> None:
    submitted(report, people.branch_secretary)
    services.report_comment_save(
        report=report,
        comment="工作扎实，特色鲜明",
        daily_score="85",
        daily_reason="督查台账",
        by=people.committee_secretary,
    )
    services.problem_add(report=report, text="“三会一课”记录不全", by=people.committee_secretary)
    close_cycle(open_cycle, people.committee_secretary)
    body = body_of(client, people.branch_secretary, reverse("report_result", args=[report.pk]))
    result = report.result
    assert result.get_grade_display() in body
    # Shown at the cycle's one place, though the column keeps two.
    assert f"<dd>{result.shown_composite}</dd>" in body
    assert str(result.shown_composite) == "85.0"
    assert "等次依据：按综合得分分数段" in body
    assert body.count("无数据") == 2  # nobody scored and nobody voted: no data, never 0
    assert "情况说明" in body
    assert f"第 {result.rank} 名 / 共 3 个" in body
    assert "工作扎实，特色鲜明" in body
    assert "“三会一课”记录不全" in body
    listing = body_of(client, people.branch_secretary, reverse("my_reports"))
    assert result.get_grade_display() in listing
    assert reverse("report_result", args=[report.pk]) in listing


def test_a_report_never_submitted_says_so_in_its_result(
    client: Client, people: SimpleNamespace, report: DutyReport, open_cycle: Cycle
) -> None:
    close_cycle(open_cycle, people.committee_secretary)
    body = body_of(client, people.branch_secretary, reverse("report_result", args=[report.pk]))
    assert "未提交述职报告" in body
    assert "差" in body


@pytest.mark.parametrize(("who", "status"), [("branch_member", 403), ("outsider", 404), ("committee_secretary", 200)])
def test_who_sees_the_result(
    client: Client, people: SimpleNamespace, report: DutyReport, open_cycle: Cycle, who: str, status: int
) -> None:
    close_cycle(open_cycle, people.committee_secretary)
    assert as_user(client, getattr(people, who)).get(reverse("report_result", args=[report.pk])).status_code == status


# Query counts ------------------------------------------------------------------------------


def _another_cycle(tree: Tree, people: SimpleNamespace, index: int) -> Cycle:
    today = timezone.localdate()
    cycle = services.cycle_create(
        organization=tree.township,
        year=today.year - index,
        title=f"第 {index} 次述职",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today,
        ballot_closes=today + timedelta(days=10),
        scope="branches",
        by=people.committee_secretary,
    )
    services.indicator_add(
        cycle=cycle,
        category="c",
        name="n",
        guidance="",
        kind=IndicatorKind.STANDARD,
        max_points=10,
        by=people.committee_secretary,
    )
    services.cycle_open(cycle=cycle, by=people.committee_secretary)
    return cycle


def test_my_reports_query_count_does_not_grow(
    client: Client, people: SimpleNamespace, tree: Tree, report: DutyReport, open_cycle: Cycle
) -> None:
    client = as_user(client, people.branch_secretary)
    url = reverse("my_reports")
    small = count_queries(client, url)
    for index in range(1, 4):
        _another_cycle(tree, people, index)
    close_cycle(open_cycle, people.committee_secretary)
    account_services.position_assign(
        person=people.branch_secretary, organization=tree.branch_sibling, role=Position.Role.DEPUTY
    )
    assert count_queries(client, url) == small


def test_report_pages_query_counts_do_not_grow(
    client: Client, people: SimpleNamespace, report: DutyReport, records: list[DutyRecord]
) -> None:
    client = as_user(client, people.branch_secretary)
    indicators = list(report.cycle.indicators.exclude(kind=IndicatorKind.VETO))
    first = indicators[0]
    urls = [
        reverse("report_detail", args=[report.pk]),
        reverse("report_edit", args=[report.pk]),
        reverse("report_self_assessment", args=[report.pk]),
        reverse("report_self_assessment", args=[report.pk]) + f"?indicator={first.pk}",
        reverse("report_submit", args=[report.pk]),
    ]
    services.self_assessment_save(
        report=report, indicator=first, points=1, note="", record_ids=[records[0].pk], by=people.branch_secretary
    )
    small = [count_queries(client, url) for url in urls]
    item = records[0].item
    more = [
        responsibility_services.record_add(
            item=item,
            occurred_on=timezone.localdate(),
            content=f"更多 {index}",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
        )
        for index in range(6)
    ]
    for indicator in indicators:
        services.self_assessment_save(
            report=report,
            indicator=indicator,
            points=1,
            note="说明",
            record_ids=[record.pk for record in [*records, *more]],
            by=people.branch_secretary,
        )
    fill(report, people.branch_secretary)
    assert [count_queries(client, url) for url in urls] == small


def test_the_detail_query_count_does_not_grow_with_versions(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    submitted(report, people.branch_secretary)
    client = as_user(client, people.committee_secretary)
    url = reverse("report_detail", args=[report.pk])
    small = count_queries(client, url)
    for _ in range(3):
        services.report_return(report=report, by=people.committee_secretary, reason="再改")
        submitted(report, people.branch_staff)
    assert count_queries(client, url) == small


# Static files ----------------------------------------------------------------------------


def test_the_editor_script_is_served_by_the_app(client: Client, settings, db: None) -> None:  # type: ignore[no-untyped-def]
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/report-editor.js")
    assert response.status_code == 200
    script = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"report" in script
    assert b"http://" not in script
    assert b"https://" not in script


def test_report_templates_reference_no_cdn() -> None:
    folder = Path(__file__).resolve().parents[2] / "templates" / "reviews" / "reports"
    for template in folder.glob("*.html"):
        text = template.read_text()
        assert "http://" not in text, template.name
        assert "https://" not in text, template.name


# The editor in real Chromium ----------------------------------------------------------------


@pytest.mark.browser
def test_the_editor_autosaves_stops_on_a_conflict_and_offers_the_local_draft_back(  # type: ignore[no-untyped-def]
    live_server, phone, transactional_db, people: SimpleNamespace, report: DutyReport
) -> None:
    from tests.factories import TEST_PASSWORD

    page = phone
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("登录名").fill("branch_secretary")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的工作").wait_for()
    page.goto(f"{live_server.url}{reverse('report_edit', args=[report.pk])}")

    editor = page.locator(".editor").first
    assert page.locator(".editor-toolbar").first.get_by_role("button", name="加粗").is_visible()
    assert not page.locator("textarea[data-rich]").first.is_visible()
    editor.click()
    page.get_by_role("button", name="加粗").first.click()
    page.keyboard.type("一年来抓党建")
    page.locator("[data-autosave-status]", has_text="已自动保存").wait_for()
    report.refresh_from_db()
    assert report.revision == 1
    assert "一年来抓党建" in report.sections["履职情况"]
    assert "<b>" in report.sections["履职情况"] or "<strong>" in report.sections["履职情况"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-editor-phone.png"), full_page=True)

    # Someone else saves: the page's next autosave is refused and autosaving stops, the text stays.
    services.report_save(report=report, sections={"存在问题": "<p>副书记补充</p>"}, revision=1, by=people.branch_deputy)
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type("，成效明显")
    page.locator("[data-autosave-status]", has_text="报告已在别处更新").wait_for()
    assert "成效明显" in editor.inner_text()
    report.refresh_from_db()
    assert report.revision == 2
    assert "成效明显" not in report.sections["履职情况"]

    # After a reload the draft kept in this browser is offered back, and saving it goes through.
    page.reload()
    page.get_by_role("button", name="恢复草稿").click()
    assert "成效明显" in page.locator(".editor").first.inner_text()
    page.locator("[data-autosave-status]", has_text="已自动保存").wait_for()
    report.refresh_from_db()
    assert "成效明显" in report.sections["履职情况"]
    assert report.sections["存在问题"] == "<p>副书记补充</p>"
