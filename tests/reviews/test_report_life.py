"""The duty report's 组织生活 section, filled in by the system (一次录入，多处使用): the year's meetings of each
kind held against required, late and missed periods, 党课 given by the secretary, attendance, members not
seen all year and 流动党员 not reached, on the report's page and in its PDF, read from what the meetings
stored; and the self-assessment citing held meetings as it cites records."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from foundation.errors import DomainError
from meetings import services as meetings
from meetings.models import Meeting, MeetingKind
from reviews import services
from reviews.models import Cycle, DutyReport, IndicatorKind, SelfAssessment
from reviews.selectors import report_body, report_document, report_facts
from tests.clients import signed_in
from tests.meetings.conftest import branch_roll, plan
from workbench.yearly import organization_report_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def life(tree: Any, people: SimpleNamespace) -> SimpleNamespace:
    """The branch's roll, as tests/meetings builds it."""
    return branch_roll(tree, people)


@pytest.fixture
def report(open_cycle: Cycle, tree: Any) -> DutyReport:
    return open_cycle.reports.select_related("cycle", "organization").get(organization=tree.branch)


def _hold(tree: Any, people: SimpleNamespace, code: str, present: list[Any], **extra: Any) -> Meeting:
    meeting = plan(tree.branch, people.branch_secretary, code, **extra)
    for member in present:
        row = meeting.attendances.get(member=member)
        meetings.attendance_mark(row=row, by=people.branch_secretary, status="present")
    return meetings.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="会议记录")


@pytest.fixture
def held(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> list[Meeting]:
    """A 支委会 with its three members present, and a 党课 the secretary gave to the secretary and one member."""
    return [
        _hold(tree, people, MeetingKind.COMMITTEE, [life.secretary, life.deputy, life.committee]),
        _hold(tree, people, MeetingKind.LECTURE, [life.secretary, life.member], lecturer=life.secretary),
    ]


def test_the_facts_carry_the_years_organizational_life(
    report: DutyReport, held: list[Meeting], life: SimpleNamespace
) -> None:
    facts = report_facts(report).life
    assert facts is not None
    assert facts.year == timezone.localdate().year
    assert facts.summary is not None
    assert facts.summary.meetings_held == 2
    assert facts.summary.lectures_by_secretary == 1
    # 3 + 6 expected, 3 + 2 present.
    assert (facts.summary.expected_total, facts.summary.present_total) == (9, 5)
    assert facts.attendance_rate == 56
    # 王无账号 and 钱流动 took part in nothing; 钱流动 is the 流动党员 not reached.
    assert (facts.summary.members_unseen, facts.summary.migrants_unreached) == (2, 1)
    kinds = {row.kind.code: row for row in facts.required_kinds}
    assert kinds[MeetingKind.COMMITTEE].held_total == 1
    assert kinds[MeetingKind.LECTURE].held_total == 1
    assert MeetingKind.DEMOCRATIC_LIFE not in kinds


def test_the_report_pages_show_the_section(report: DutyReport, people: SimpleNamespace, held: list[Meeting]) -> None:
    year = report.cycle.year
    for who, url in [
        (people.branch_secretary, reverse("report_edit", args=[report.pk])),
        (people.branch_secretary, reverse("report_detail", args=[report.pk])),
    ]:
        page = signed_in(who).get(url).content.decode()
        assert f"组织生活（{year} 年度，系统填写）" in page
        assert "支部委员会" in page
        assert "实到 5 / 应到 9 人次" in page
        assert "2 人（共 6 人）" in page
        assert "1 人（共 1 人）" in page
        assert "书记全年未讲党课" not in page


def test_a_year_without_meetings_says_so_and_a_missing_lecture_is_flagged(
    report: DutyReport, people: SimpleNamespace, tree: Any, life: SimpleNamespace
) -> None:
    year = report.cycle.year
    page = signed_in(people.branch_secretary).get(reverse("report_edit", args=[report.pk])).content.decode()
    assert f"本组织没有 {year} 年度组织生活记录。" in page
    _hold(tree, people, MeetingKind.COMMITTEE, [life.secretary])
    page = signed_in(people.branch_secretary).get(reverse("report_edit", args=[report.pk])).content.decode()
    assert "书记全年未讲党课" in page


def test_the_reports_pdf_prints_the_section(report: DutyReport, tree: Any, held: list[Meeting]) -> None:
    document = report_document(report)
    assert document.facts.life is not None
    assert document.facts.life.summary is not None
    html = organization_report_html(tree.branch, report.cycle.year)
    assert f"组织生活（{report.cycle.year} 年度，系统填写）" in html
    assert "实到 5 / 应到 9 人次" in html


def test_the_self_assessment_cites_held_meetings_as_it_cites_records(
    report: DutyReport, people: SimpleNamespace, held: list[Meeting], tree: Any, life: SimpleNamespace
) -> None:
    indicator = report.cycle.indicators.exclude(kind=IndicatorKind.VETO).order_by("order", "id").first()
    assert indicator is not None
    url = reverse("report_self_assessment", args=[report.pk])
    secretary = signed_in(people.branch_secretary)
    form = secretary.get(url, {"indicator": indicator.pk}).content.decode()
    assert "佐证会议" in form
    assert held[0].topic in form
    response = secretary.post(
        url, {"indicator": indicator.pk, "points": "1", "note": "按月召开支委会", "meetings": [held[0].pk]}
    )
    assert response.status_code == 302
    assessment = SelfAssessment.objects.get(report=report, indicator=indicator)
    assert list(assessment.meetings.all()) == [held[0]]
    detail = secretary.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "支部委员会：" + held[0].topic[:20] in detail
    # The reviewers read it in the submitted report, and the version keeps it.
    services.report_save(
        report=report,
        sections=dict.fromkeys(report.cycle.section_titles(), "<p>内容</p>"),
        revision=report.revision,
        by=people.branch_secretary,
    )
    services.report_submit(report=report, by=people.branch_secretary)
    body = report_body(DutyReport.objects.select_related("cycle").get(pk=report.pk))
    row = next(row for row in body.self_assessment if row.indicator_id == indicator.pk)
    assert [link.pk for link in row.meetings] == [held[0].pk]
    assert report.versions.get().self_assessment[0]["meetings"] == [held[0].pk]


def test_a_meeting_of_another_organization_or_not_held_is_refused(
    report: DutyReport, people: SimpleNamespace, held: list[Meeting], tree: Any, life: SimpleNamespace
) -> None:
    indicator = report.cycle.indicators.exclude(kind=IndicatorKind.VETO).order_by("order", "id").first()
    assert indicator is not None
    planned = plan(tree.branch, people.branch_secretary, MeetingKind.THEME_DAY)
    sibling_secretary = people.admin
    elsewhere = plan(tree.branch_sibling, sibling_secretary, MeetingKind.ASSEMBLY)
    for meeting in (planned, elsewhere):
        with pytest.raises(DomainError, match="只能引用本组织本年度已召开的会议"):
            services.self_assessment_save(
                report=report,
                indicator=indicator,
                points=None,
                note="",
                record_ids=[],
                meeting_ids=[meeting.pk],
                by=people.branch_secretary,
            )
    assert not SelfAssessment.objects.filter(report=report).exists()
