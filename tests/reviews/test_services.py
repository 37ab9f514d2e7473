"""Every write of 述职评议考核 (reviews/services/): the rules, the refusals, and that a refusal changes nothing.

Why one long file: the review services' cases share the cycle, report and scoring builders defined at the top;
the sections below follow a cycle's year from opening to closing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, User
from foundation.errors import DomainError
from responsibility import services as responsibility_services
from responsibility.models import Category, DutyRecord, DutyType, Period, ResponsibilityList
from reviews import services
from reviews.models import (
    DEFAULT_SECTIONS,
    BallotCode,
    BallotTally,
    Classification,
    ClosingNote,
    Cycle,
    DutyReport,
    GapKind,
    Grade,
    GradeRule,
    Indicator,
    IndicatorKind,
    MissingRule,
    PendingBallot,
    Problem,
    Rating,
    ReportVersion,
    Result,
    ReviewerAssignment,
    RubricTemplate,
    Score,
    SelfAssessment,
    SpentCode,
)
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.reviews.conftest import counted_after_window

STANDARD_60 = "“三会一课”落实"
STANDARD_40 = "为民办实事"
BONUS = "获上级表彰"
DEDUCTION = "台账缺失"
VETO = "发生严重违纪"


def indicators(cycle: Cycle) -> dict[str, Indicator]:
    return {indicator.name: indicator for indicator in cycle.indicators.all()}


def report_of(cycle: Cycle, organization: Organization) -> DutyReport:
    return DutyReport.objects.select_related("cycle", "organization").get(cycle=cycle, organization=organization)


def filled_sections(cycle: Cycle) -> dict[str, str]:
    return {title: f"<p>{title}：已按要求完成。</p>" for title in cycle.section_titles()}


def write(report: DutyReport, by: User) -> DutyReport:
    report.refresh_from_db()
    return services.report_save(report=report, sections=filled_sections(report.cycle), revision=report.revision, by=by)


def submitted(report: DutyReport, by: User) -> DutyReport:
    write(report, by)
    return services.report_submit(report=report, by=by)


def assignment_of(report: DutyReport, reviewer: User) -> ReviewerAssignment:
    return ReviewerAssignment.objects.get(report=report, reviewer=reviewer)


def score(report: DutyReport, reviewer: User, values: dict[str, Any], *, submit: bool = True) -> ReviewerAssignment:
    """Saves a reviewer's points by indicator name (True for a veto hit), then submits them."""
    by_name = indicators(report.cycle)
    entries = {
        by_name[name].pk: {"vetoed": value} if isinstance(value, bool) else {"points": value}
        for name, value in values.items()
    }
    assignment = services.scores_save(
        assignment=assignment_of(report, reviewer), entries=entries, comment="", by=reviewer
    )
    if submit:
        assignment = services.scores_submit(assignment=assignment, by=reviewer)
    return assignment


def cast(cycle: Cycle, organization: Organization, ratings: list[str], by: User) -> None:
    codes = services.ballot_codes_generate(
        cycle=cycle, organization=organization, count=len(ratings), by=by, reason="测试：列席人员"
    )
    for ballot_code, rating in zip(codes, ratings, strict=True):
        services.ballot_cast(code=ballot_code.code, rating=rating)


def explained(cycle: Cycle) -> dict[str, str]:
    """A reason for every gap that needs one, so a test may close whatever is missing."""
    return {gap.key: f"测试说明：{gap.label}" for gap in services.closing_gaps(cycle) if gap.needs_reason}


def close(cycle: Cycle, by: User) -> Cycle:
    return services.cycle_close(cycle=cycle, by=by, reasons=explained(cycle))


def draft_cycle(tree: Tree, people: SimpleNamespace, rubric: RubricTemplate | None = None, **kwargs: Any) -> Cycle:
    today = timezone.localdate()
    arguments: dict[str, Any] = {
        "organization": tree.township,
        "year": today.year,
        "title": "草稿考核",
        "report_due": today + timedelta(days=10),
        "scoring_due": today + timedelta(days=20),
        "ballot_opens": today,
        "ballot_closes": today + timedelta(days=5),
        "template": rubric,
        "by": people.committee_secretary,
    }
    arguments.update(kwargs)
    return services.cycle_create(**arguments)


# 考核指标模板 ------------------------------------------------------------------


def test_only_committees_keep_rubric_templates(tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="只有党委、党工委、党总支可以制定考核指标"):
        services.rubric_template_create(organization=tree.branch, name="模板", by=people.branch_secretary)
    with pytest.raises(DomainError, match="请填写名称"):
        services.rubric_template_create(organization=tree.township, name="  ", by=people.committee_secretary)
    assert not RubricTemplate.objects.exists()


@pytest.mark.parametrize(
    ("kind", "points", "message"),
    [
        ("unknown", 10, "请选择有效的指标类型"),
        (IndicatorKind.STANDARD, 0, "分值须大于 0 且不超过 100"),
        (IndicatorKind.STANDARD, 101, "分值须大于 0 且不超过 100"),
        (IndicatorKind.BONUS, -1, "分值须大于 0 且不超过 100"),
        (IndicatorKind.STANDARD, "十分", "分值须是数字"),
        (IndicatorKind.STANDARD, "NaN", "分值须是数字"),
    ],
)
def test_indicators_with_a_bad_kind_or_points_are_refused(
    rubric: RubricTemplate, people: SimpleNamespace, kind: str, points: Any, message: str
) -> None:
    before = rubric.indicators.count()
    with pytest.raises(DomainError, match=message):
        services.template_indicator_add(
            template=rubric, category="类别", name="指标", guidance="", kind=kind, max_points=points, by=people.admin
        )
    assert rubric.indicators.count() == before


def test_a_veto_indicator_carries_no_points(rubric: RubricTemplate, people: SimpleNamespace) -> None:
    veto = services.template_indicator_add(
        template=rubric,
        category="否决",
        name="新否决项",
        guidance="",
        kind=IndicatorKind.VETO,
        max_points=50,
        by=people.admin,
    )
    assert veto.max_points == 0
    assert veto.order == 6


# 考核 ------------------------------------------------------------------------


def test_a_cycle_copies_the_rubric_and_covers_the_chosen_organizations(
    tree: Tree, people: SimpleNamespace, rubric: RubricTemplate
) -> None:
    children = draft_cycle(tree, people, rubric)
    branches = draft_cycle(tree, people, rubric, scope="branches")

    assert children.status == Cycle.Status.DRAFT
    assert {report.organization for report in children.reports.all()} == {tree.general, tree.direct_branch}
    assert {report.organization for report in branches.reports.all()} == {
        tree.branch,
        tree.branch_sibling,
        tree.direct_branch,
    }
    assert children.section_titles() == DEFAULT_SECTIONS
    assert [indicator.name for indicator in children.indicators.all()] == [
        STANDARD_60,
        STANDARD_40,
        BONUS,
        DEDUCTION,
        VETO,
    ]
    # A later change to the template never reaches a cycle already made.
    rubric.indicators.filter(name=STANDARD_60).update(max_points=10)
    assert indicators(children)[STANDARD_60].max_points == 60


def test_participants_outside_the_subtree_are_refused(tree: Tree, people: SimpleNamespace) -> None:
    for outside in (tree.sibling_branch, tree.unrelated_branch, tree.township):
        with pytest.raises(DomainError, match="不是本组织的下级组织"):
            draft_cycle(tree, people, participants=[tree.branch, outside])
    with pytest.raises(DomainError, match="没有可参加述职评议的下级组织"):
        draft_cycle(tree, people, participants=[])
    assert not Cycle.objects.exists()
    assert not DutyReport.objects.exists()


def test_only_committees_run_cycles_for_valid_years(tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="只有党委、党工委、党总支"):
        draft_cycle(tree, people, organization=tree.branch)
    with pytest.raises(DomainError, match="年度 1999 无效"):
        draft_cycle(tree, people, year=1999)
    with pytest.raises(DomainError, match="请填写名称"):
        draft_cycle(tree, people, title="")
    assert not Cycle.objects.exists()


def test_a_template_of_a_sibling_committee_is_refused_and_nothing_is_saved(tree: Tree, people: SimpleNamespace) -> None:
    foreign = RubricTemplate.objects.create(organization=tree.sibling_township, name="乙镇模板")
    with pytest.raises(DomainError, match="只能使用本组织或上级组织的考核指标模板"):
        draft_cycle(tree, people, foreign)
    assert not Cycle.objects.exists()


@pytest.mark.parametrize(
    ("bad_settings", "message"),
    [
        ({"weight_daily": 50, "weight_review": 30, "weight_ballot": 30}, "三项权重之和须为 100（当前为 110）"),
        ({"weight_daily": 10, "weight_review": 10, "weight_ballot": 10}, "三项权重之和须为 100（当前为 30）"),
        ({"band_good": Decimal(70)}, "等次分数线须满足"),
        ({"band_average": Decimal(85)}, "等次分数线须满足"),
        ({"band_good": Decimal(101)}, "等次分数线须满足"),
        ({"advanced_floor": Decimal(50)}, "分类定级分数线须满足"),
        ({"poor_ballot_share": Decimal("1.5")}, "“差”票比例须在 0 到 1 之间"),
        ({"points_poor": 90}, "测评票分值须满足"),
        ({"sections": ["履职情况", "履职情况"]}, "报告栏目不能为空，也不能重复"),
        ({"sections": ["履职情况", " "]}, "报告栏目不能为空，也不能重复"),
    ],
)
def test_bad_settings_are_refused_when_creating_and_when_updating(
    tree: Tree, people: SimpleNamespace, bad_settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        draft_cycle(tree, people, settings=bad_settings)
    assert not Cycle.objects.exists()

    cycle = draft_cycle(tree, people)
    with pytest.raises(DomainError, match=message):
        services.cycle_update(cycle=cycle, by=people.committee_secretary, **bad_settings)
    cycle.refresh_from_db()
    assert (cycle.weight_daily, cycle.weight_review, cycle.weight_ballot) == (40, 30, 30)
    assert (cycle.band_good, cycle.band_fair, cycle.band_average) == (90, 80, 60)


def test_dates_out_of_order_are_refused(tree: Tree, people: SimpleNamespace) -> None:
    today = timezone.localdate()
    with pytest.raises(DomainError, match="民主测评开始日期不能晚于结束日期"):
        draft_cycle(tree, people, ballot_opens=today + timedelta(days=3), ballot_closes=today)
    with pytest.raises(DomainError, match="评分截止不能早于述职报告截止"):
        draft_cycle(tree, people, report_due=today + timedelta(days=3), scoring_due=today)


def test_a_draft_cycle_takes_new_settings(tree: Tree, people: SimpleNamespace) -> None:
    cycle = draft_cycle(tree, people)
    updated = services.cycle_update(
        cycle=cycle, by=people.committee_secretary, weight_daily=20, weight_review=50, weight_ballot=30
    )
    assert (updated.weight_daily, updated.weight_review, updated.weight_ballot) == (20, 50, 30)


def test_an_open_cycle_keeps_its_settings_and_rubric(open_cycle: Cycle, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="考核已启动，设置不能再修改"):
        services.cycle_update(cycle=open_cycle, by=people.committee_secretary, weight_daily=40)
    with pytest.raises(DomainError, match="考核已启动，指标不能再修改"):
        services.indicator_add(
            cycle=open_cycle,
            category="新",
            name="新指标",
            guidance="",
            kind=IndicatorKind.STANDARD,
            max_points=10,
            by=people.committee_secretary,
        )
    assert open_cycle.indicators.count() == 5


def test_a_cycle_opens_only_with_a_standard_indicator(tree: Tree, people: SimpleNamespace) -> None:
    cycle = draft_cycle(tree, people)
    with pytest.raises(DomainError, match="请先设置至少一项考核指标"):
        services.cycle_open(cycle=cycle, by=people.committee_secretary)
    services.indicator_add(
        cycle=cycle, category="否决", name="否决", guidance="", kind=IndicatorKind.VETO, max_points=0, by=people.admin
    )
    with pytest.raises(DomainError, match="请先设置至少一项考核指标"):
        services.cycle_open(cycle=cycle, by=people.committee_secretary)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.DRAFT

    services.indicator_add(
        cycle=cycle,
        category="建设",
        name="建设",
        guidance="",
        kind=IndicatorKind.STANDARD,
        max_points=100,
        by=people.admin,
    )
    opened = services.cycle_open(cycle=cycle, by=people.committee_secretary)
    assert opened.status == Cycle.Status.OPEN
    assert opened.opened_at is not None


def test_a_cycle_opens_once_and_a_draft_cannot_be_closed(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    with pytest.raises(DomainError, match="当前状态为“进行中”"):
        services.cycle_open(cycle=open_cycle, by=people.committee_secretary)
    draft = draft_cycle(tree, people)
    with pytest.raises(DomainError, match="当前状态为“筹备中”"):
        services.cycle_close(cycle=draft, by=people.committee_secretary)
    draft.refresh_from_db()
    assert draft.status == Cycle.Status.DRAFT
    assert not Result.objects.exists()


def test_a_cycle_closes_once(open_cycle: Cycle, people: SimpleNamespace) -> None:
    close(open_cycle, people.committee_secretary)
    with pytest.raises(DomainError, match="当前状态为“已结束”"):
        services.cycle_close(cycle=open_cycle, by=people.committee_secretary)
    assert Result.objects.count() == 3


# 评议人 ----------------------------------------------------------------------


def test_reviewers_must_supervise_every_report_they_are_given(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    reports = list(open_cycle.reports.order_by("organization__path"))
    for stranger in (people.branch_secretary, people.outsider, people.committee_party_member):
        with pytest.raises(DomainError, match="不能担任评议人"):
            services.reviewer_assign(reports=reports, reviewer=stranger, by=people.committee_secretary)
    # Granted the 党总支 only: the two branches below it, not 三村 directly under the township.
    partial = UserFactory(username="general_grantee")
    account_services.supervision_grant(user=partial, organization=tree.general)
    with pytest.raises(DomainError, match="不能担任评议人"):
        services.reviewer_assign(reports=reports, reviewer=partial, by=people.committee_secretary)
    assert not ReviewerAssignment.objects.exclude(reviewer=people.committee_member).exists()

    assert services.reviewer_assign(reports=reports[:2], reviewer=partial, by=people.committee_secretary) == 2
    # Assigning again is harmless.
    assert services.reviewer_assign(reports=reports, reviewer=people.grantee, by=people.admin) == 3
    assert services.reviewer_assign(reports=reports, reviewer=people.grantee, by=people.admin) == 0


def test_a_reviewer_who_submitted_cannot_be_removed(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    assignment = score(report, people.committee_member, {STANDARD_60: 50, STANDARD_40: 30})
    with pytest.raises(DomainError, match="该评议人已提交评分，不能撤销"):
        services.reviewer_unassign(assignment=assignment, by=people.committee_secretary)
    other = report_of(open_cycle, tree.branch_sibling)
    services.reviewer_unassign(assignment=assignment_of(other, people.committee_member), by=people.admin)
    assert ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
    assert not ReviewerAssignment.objects.filter(report=other).exists()


# 述职报告 --------------------------------------------------------------------


def test_a_draft_is_saved_sanitized_and_its_revision_bumped(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = report_of(open_cycle, tree.branch)
    saved = services.report_save(
        report=report,
        sections={
            "履职情况": '<p onclick="steal()" style="color:red">认真<strong>履职</strong><script>alert(1)</script>'
            '<a href="https://evil.example">链接</a><img src="x" onerror="alert(2)"></p><ul><li>一</li></ul>',
            "不存在的栏目": "<p>丢弃</p>",
        },
        revision=0,
        by=people.branch_secretary,
    )
    assert saved.sections["履职情况"] == "<p>认真<strong>履职</strong>链接</p><ul><li>一</li></ul>"
    assert set(saved.sections) == set(DEFAULT_SECTIONS)
    assert saved.revision == 1
    assert saved.last_edited_by == people.branch_secretary


def test_sanitize_keeps_paragraphs_lists_and_emphasis_only() -> None:
    dirty = (
        '<h3 id="x">标题</h3><p class="a"><em>强调</em><u>下划线</u></p><ol><li>一</li></ol>'
        '<iframe src="https://x"></iframe><style>p{}</style><a href="javascript:alert(1)">点</a>'
    )
    clean = services.sanitize(dirty)
    assert clean == "<h3>标题</h3><p><em>强调</em><u>下划线</u></p><ol><li>一</li></ol>点"
    assert services.sanitize("") == ""


def test_a_save_from_a_stale_page_keeps_the_stored_text(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    services.report_save(report=report, sections={"履职情况": "<p>第一版</p>"}, revision=0, by=people.branch_secretary)
    with pytest.raises(DomainError, match="报告已在别处更新"):
        services.report_save(report=report, sections={"履职情况": "<p>旧页面</p>"}, revision=0, by=people.branch_staff)
    report.refresh_from_db()
    assert report.sections["履职情况"] == "<p>第一版</p>"
    assert report.revision == 1


def test_a_section_too_long_is_refused(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    too_long = "<p>" + "字" * services.MAX_SECTION_CHARS + "</p>"
    with pytest.raises(DomainError, match="过长"):
        services.report_save(report=report, sections={"履职情况": too_long}, revision=0, by=people.branch_secretary)
    report.refresh_from_db()
    assert report.revision == 0


def test_a_report_cannot_be_written_before_the_cycle_opens(
    tree: Tree, people: SimpleNamespace, rubric: RubricTemplate
) -> None:
    cycle = draft_cycle(tree, people, rubric, scope="branches")
    with pytest.raises(DomainError, match="考核尚未启动或已结束"):
        services.report_save(report=report_of(cycle, tree.branch), sections={}, revision=0, by=people.branch_secretary)


def test_a_report_is_submitted_once_with_every_section_and_a_frozen_version(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = report_of(open_cycle, tree.branch)
    services.report_save(report=report, sections={"履职情况": "<p>写了</p>"}, revision=0, by=people.branch_secretary)
    with pytest.raises(DomainError, match="请先填写“存在问题”"):
        services.report_submit(report=report, by=people.branch_secretary)

    done = submitted(report, people.branch_secretary)
    assert done.status == DutyReport.Status.SUBMITTED
    version = ReportVersion.objects.get(report=report)
    assert (version.number, version.submitted_by, version.on_behalf_of) == (1, people.branch_secretary, None)
    assert version.sections == filled_sections(open_cycle)

    with pytest.raises(DomainError, match="当前状态为“已提交”"):
        services.report_submit(report=report, by=people.branch_secretary)
    with pytest.raises(DomainError, match="报告已提交，不能再修改"):
        services.report_save(
            report=report, sections={"履职情况": "<p>改</p>"}, revision=done.revision, by=people.branch_secretary
        )
    assert ReportVersion.objects.filter(report=report).count() == 1


def test_a_section_of_empty_tags_counts_as_empty(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    sections = {**filled_sections(open_cycle), "原因分析": "<p><br></p><p>&nbsp; </p><ul><li></li></ul>"}
    services.report_save(report=report, sections=sections, revision=0, by=people.branch_secretary)
    with pytest.raises(DomainError, match="请先填写“原因分析”"):
        services.report_submit(report=report, by=people.branch_secretary)
    report.refresh_from_db()
    assert report.status == DutyReport.Status.DRAFT
    assert not ReportVersion.objects.exists()


def test_staff_submitting_for_the_secretary_is_recorded(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    submitted(report_of(open_cycle, tree.branch), people.branch_staff)
    version = ReportVersion.objects.get()
    assert (version.submitted_by, version.on_behalf_of) == (people.branch_staff, people.branch_secretary)


def test_returning_reopens_a_submitted_report_only(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    with pytest.raises(DomainError, match="当前状态为“撰写中”"):
        services.report_return(report=report, by=people.committee_secretary, reason="请补充")
    submitted(report, people.branch_secretary)
    with pytest.raises(DomainError, match="请填写退回理由"):
        services.report_return(report=report, by=people.committee_secretary, reason=" ")

    returned = services.report_return(report=report, by=people.committee_secretary, reason="请补充问题分析")
    assert (returned.status, returned.return_reason) == (DutyReport.Status.RETURNED, "请补充问题分析")
    with pytest.raises(DomainError, match="当前状态为“退回修改”"):
        services.report_return(report=report, by=people.committee_secretary, reason="再退")

    resubmitted = submitted(report, people.branch_secretary)
    assert (resubmitted.status, resubmitted.return_reason) == (DutyReport.Status.SUBMITTED, "")
    assert list(ReportVersion.objects.filter(report=report).values_list("number", flat=True)) == [2, 1]


# 自评 ------------------------------------------------------------------------


def record_for(organization: Organization, by: User, year: int) -> DutyRecord:
    responsibility_list = responsibility_services.list_start(organization=organization, year=year, by=by)
    item = responsibility_services.list_item_add(
        responsibility_list=responsibility_list,
        category=Category.objects.get(name="组织建设"),
        duty_type=DutyType.ORGANIZATION,
        content="每月召开支委会",
        target_period=Period.MONTH,
        target_count=1,
        by=by,
    )
    return responsibility_services.record_add(
        item=item, occurred_on=timezone.localdate(), content="召开支委会", done_by=by, by=by
    )


def test_a_self_assessment_takes_points_in_range_and_own_records(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = report_of(open_cycle, tree.branch)
    indicator = indicators(open_cycle)[STANDARD_40]
    own = record_for(tree.branch, people.branch_secretary, open_cycle.year)
    assessment = services.self_assessment_save(
        report=report, indicator=indicator, points="35.5", note="自评", record_ids=[own.pk], by=people.branch_secretary
    )
    assert assessment.points == Decimal("35.5")
    assert list(assessment.records.all()) == [own]


@pytest.mark.parametrize(
    ("points", "message"), [("41", "自评分须在 0 到 40"), ("-1", "自评分须在 0 到 40"), ("好", "自评分须是数字")]
)
def test_a_self_assessment_out_of_range_is_refused(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, points: str, message: str
) -> None:
    report = report_of(open_cycle, tree.branch)
    with pytest.raises(DomainError, match=message):
        services.self_assessment_save(
            report=report,
            indicator=indicators(open_cycle)[STANDARD_40],
            points=points,
            note="",
            record_ids=[],
            by=people.branch_secretary,
        )
    assert not SelfAssessment.objects.exists()


def test_a_self_assessment_cannot_cite_another_organizations_records_or_another_cycles_indicator(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, rubric: RubricTemplate
) -> None:
    report = report_of(open_cycle, tree.branch)
    foreign = record_for(tree.branch_sibling, people.admin, open_cycle.year)
    with pytest.raises(DomainError, match="只能引用本组织本年度的履责记实"):
        services.self_assessment_save(
            report=report,
            indicator=indicators(open_cycle)[STANDARD_40],
            points="30",
            note="",
            record_ids=[foreign.pk],
            by=people.branch_secretary,
        )
    other_cycle = draft_cycle(tree, people, rubric)
    with pytest.raises(DomainError, match="该指标不属于本次考核"):
        services.self_assessment_save(
            report=report,
            indicator=indicators(other_cycle)[STANDARD_40],
            points="30",
            note="",
            record_ids=[],
            by=people.branch_secretary,
        )
    assert not SelfAssessment.objects.exists()


# 评分 ------------------------------------------------------------------------


def test_scores_wait_for_the_report_to_be_submitted(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    with pytest.raises(DomainError, match="报告尚未提交，暂不能评分"):
        score(report, people.committee_member, {STANDARD_60: 50}, submit=False)
    assert not Score.objects.exists()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({STANDARD_40: "41"}, "“为民办实事”的得分须在 0 到 40.0 之间"),
        ({STANDARD_40: "-0.5"}, "“为民办实事”的得分须在 0 到 40.0 之间"),
        ({BONUS: "6"}, "“获上级表彰”的得分须在 0 到 5.0 之间"),
        ({DEDUCTION: "10.5"}, "“台账缺失”的得分须在 0 到 10.0 之间"),
        ({STANDARD_40: "三十"}, "为民办实事须是数字"),
    ],
)
def test_a_score_out_of_range_is_refused_and_nothing_is_saved(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, bad: dict[str, str], message: str
) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    with pytest.raises(DomainError, match=message):
        score(report, people.committee_member, {STANDARD_60: "55", **bad}, submit=False)
    assert not Score.objects.exists()
    assert assignment_of(report, people.committee_member).comment == ""


def test_a_score_for_another_cycles_indicator_is_refused_and_nothing_is_saved(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, rubric: RubricTemplate
) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    other = indicators(draft_cycle(tree, people, rubric))[STANDARD_40]
    own = indicators(open_cycle)[STANDARD_60]
    with pytest.raises(DomainError, match="该指标不属于本次考核"):
        services.scores_save(
            assignment=assignment_of(report, people.committee_member),
            entries={own.pk: {"points": "50"}, other.pk: {"points": "30"}},
            comment="评议意见",
            by=people.committee_member,
        )
    assert not Score.objects.exists()


def test_scores_are_saved_and_submitted_once_every_standard_indicator_is_scored(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    assignment = score(report, people.committee_member, {STANDARD_60: "50.5", VETO: True}, submit=False)
    with pytest.raises(DomainError, match="还有 1 项考核指标未评分"):
        services.scores_submit(assignment=assignment, by=people.committee_member)
    assert assignment_of(report, people.committee_member).submitted_at is None

    # Saving again updates the reviewer's own rows.
    score(report, people.committee_member, {STANDARD_60: "52", STANDARD_40: "", BONUS: "2"}, submit=False)
    done = services.scores_submit(assignment=assignment, by=people.committee_member)
    assert done.submitted_at is not None
    points = dict(Score.objects.filter(assignment=assignment).values_list("indicator__name", "points"))
    assert points == {STANDARD_60: Decimal("52"), STANDARD_40: Decimal("0"), BONUS: Decimal("2"), VETO: Decimal("0")}
    assert Score.objects.get(assignment=assignment, indicator__name=VETO).vetoed


def test_scores_after_the_reviewer_submitted_are_refused(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    score(report, people.committee_member, {STANDARD_60: 50, STANDARD_40: 30})
    with pytest.raises(DomainError, match="您已提交评分，不能再修改"):
        score(report, people.committee_member, {STANDARD_60: 10}, submit=False)
    with pytest.raises(DomainError, match="您已提交评分，不能再修改"):
        services.scores_submit(assignment=assignment_of(report, people.committee_member), by=people.committee_member)
    assert Score.objects.get(indicator__name=STANDARD_60).points == 50


def test_two_reviewers_never_overwrite_each_other(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)
    score(report, people.committee_member, {STANDARD_60: 40}, submit=False)
    score(report, people.committee_deputy, {STANDARD_60: 55}, submit=False)
    score(report, people.committee_member, {STANDARD_40: 20}, submit=False)
    scores = Score.objects.filter(indicator__name=STANDARD_60)
    assert dict(scores.values_list("assignment__reviewer__username", "points")) == {
        "committee_member": Decimal(40),
        "committee_deputy": Decimal(55),
    }


# 点评与问题 ------------------------------------------------------------------


def test_the_committee_comment_and_a_manual_daily_score_need_a_reason(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = report_of(open_cycle, tree.branch)
    for value, message in (
        ("101", "日常考核得分须在 0 到 100 之间"),
        ("-1", "日常考核得分须在 0 到 100 之间"),
        ("x", "须是数字"),
    ):
        with pytest.raises(DomainError, match=message):
            services.report_comment_save(
                report=report, comment="点评", daily_score=value, daily_reason="理由", by=people.committee_secretary
            )
    with pytest.raises(DomainError, match="请填写人工评定理由"):
        services.report_comment_save(report=report, comment="点评", daily_score="88", by=people.committee_secretary)
    report.refresh_from_db()
    assert (report.comment, report.daily_score) == ("", None)

    saved = services.report_comment_save(
        report=report, comment="点评", daily_score="88.5", daily_reason="督查结果", by=people.committee_secretary
    )
    assert (saved.comment, saved.daily_score, saved.daily_reason) == ("点评", Decimal("88.5"), "督查结果")
    cleared = services.report_comment_save(report=report, comment="点评", daily_score="", by=people.committee_secretary)
    assert (cleared.daily_score, cleared.daily_reason) == (None, "")


def test_problems_are_listed_one_by_one(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    report = report_of(open_cycle, tree.branch)
    with pytest.raises(DomainError, match="请填写问题"):
        services.problem_add(report=report, text=" ", by=people.committee_secretary)
    first = services.problem_add(report=report, text="三会一课记录不全", by=people.committee_secretary)
    second = services.problem_add(report=report, text="联系群众不够", by=people.committee_secretary)
    assert (first.order, second.order) == (1, 2)
    services.problem_remove(problem=first, by=people.committee_secretary)
    assert list(Problem.objects.values_list("text", flat=True)) == ["联系群众不够"]


def test_problems_cannot_change_once_the_cycle_closed_even_from_a_page_loaded_before(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = report_of(open_cycle, tree.branch)
    problem = services.problem_add(report=report, text="问题", by=people.committee_secretary)
    close(open_cycle, people.committee_secretary)
    # `report` and `problem` still hold the open cycle in memory.
    with pytest.raises(DomainError, match="考核已结束，不能修改"):
        services.problem_add(report=report, text="迟到的问题", by=people.committee_secretary)
    with pytest.raises(DomainError, match="考核已结束，不能修改"):
        services.problem_remove(problem=problem, by=people.committee_secretary)
    assert list(Problem.objects.values_list("text", flat=True)) == ["问题"]


# 民主测评 --------------------------------------------------------------------


def test_codes_are_one_time_unique_and_readable(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    first = services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count=50, by=people.committee_secretary, reason="列席"
    )
    second = services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count="3", by=people.committee_secretary, reason="列席"
    )
    codes = [ballot_code.code for ballot_code in first + second]
    assert len(set(codes)) == 53
    assert all(len(code) == services.BALLOT_CODE_LENGTH for code in codes)
    assert all(set(code) <= set(services.BALLOT_CODE_ALPHABET) for code in codes)
    assert not set("".join(codes)) & set("01ILO")
    assert {ballot_code.batch for ballot_code in first} == {1}
    assert {ballot_code.batch for ballot_code in second} == {2}
    # The rows are not stored in the order of the printed sheet (which sorts by code).
    stored = list(BallotCode.objects.filter(batch=1).order_by("pk").values_list("code", flat=True))
    assert stored != sorted(stored)


def test_codes_are_capped_at_the_members_on_record_unless_a_reason_is_kept(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    by = people.committee_secretary
    assert services.members_on_record(tree.branch) == 5
    services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=4, by=by)
    with pytest.raises(DomainError, match="在册党员 5 人，已发放有效测评码 4 个，再生成 2 个将超过在册人数"):
        services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=2, by=by)
    services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=1, by=by)
    extra = services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=2, by=by, reason="列席")
    assert [batch.reason for batch in open_cycle.ballot_batches.order_by("number")] == ["", "", "列席"]
    # A voided code frees its place under the cap.
    services.ballot_code_void(cycle=open_cycle, code=extra[0].code, reason="发错", by=by)
    with pytest.raises(DomainError, match="已发放有效测评码 6 个"):
        services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=1, by=by)
    # A member whose position ended is no longer on record.
    position = people.branch_member.positions.get(organization=tree.branch)
    account_services.position_end(position=position)
    assert services.members_on_record(tree.branch) == 4


@pytest.mark.parametrize("count", [0, -1, 501, "", None, "十", "2.5"])
def test_a_number_of_codes_out_of_range_is_refused(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, count: Any
) -> None:
    with pytest.raises(DomainError, match="测评码数量须在 1 到 500 之间"):
        services.ballot_codes_generate(
            cycle=open_cycle, organization=tree.branch, count=count, by=people.committee_secretary, reason="列席"
        )
    assert not BallotCode.objects.exists()


def test_codes_only_for_participating_organizations_of_an_unclosed_cycle(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    for outside in (tree.general, tree.sibling_branch):
        with pytest.raises(DomainError, match="不在本次考核范围内"):
            services.ballot_codes_generate(
                cycle=open_cycle, organization=outside, count=5, by=people.committee_secretary
            )
    assert not BallotCode.objects.exists()


def test_a_ballot_is_cast_once_with_a_code_typed_loosely(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    [ballot_code] = services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count=1, by=people.committee_secretary
    )
    loose = f" {ballot_code.code[:4].lower()} {ballot_code.code[4:]}\n"
    services.ballot_cast(code=loose, rating=Rating.FAIR, item_ratings={"政治建设": Rating.GOOD, "联系群众": ""})

    assert SpentCode.objects.get().organization == tree.branch
    with pytest.raises(DomainError, match="该测评码已使用过，每个测评码只能投票一次"):
        services.ballot_cast(code=ballot_code.code, rating=Rating.POOR)
    assert SpentCode.objects.count() == PendingBallot.objects.count() == 1
    assert counted_after_window(open_cycle) == {tree.branch.pk: {Rating.FAIR: 1}}
    assert services.ballot_counts(open_cycle)[tree.branch.pk].items == {"政治建设": {Rating.GOOD: 1}}


def test_votes_wait_sealed_until_a_batch_of_the_minimum_is_complete(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    codes = services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count=12, by=people.committee_secretary, reason="列席"
    )
    tally = BallotTally.objects.get(cycle=open_cycle, organization=tree.branch)
    for number, ballot_code in enumerate(codes[:11], start=1):
        services.ballot_cast(code=ballot_code.code, rating=Rating.GOOD if number % 2 else Rating.AVERAGE)
        tally.refresh_from_db()
        assert sum(tally.counts().values()) == 5 * (number // 5)
        assert PendingBallot.objects.count() == number % 5
    # Once the window has closed the waiting one counts too: on every page at once, and in the tally by beat.
    assert counted_after_window(open_cycle) == {tree.branch.pk: {Rating.GOOD: 6, Rating.AVERAGE: 5}}
    assert services.ballots_count(cycle=open_cycle) == 1
    assert not PendingBallot.objects.exists()
    tally.refresh_from_db()
    assert tally.counts() == {"good": 6, "fair": 0, "average": 5, "poor": 0}


def test_the_nightly_count_adds_only_the_votes_of_closed_windows(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    from reviews.tasks import count_ballots

    cast(open_cycle, tree.branch, [Rating.GOOD, Rating.POOR], people.committee_secretary)
    assert count_ballots() == 0
    assert PendingBallot.objects.count() == 2
    Cycle.objects.filter(pk=open_cycle.pk).update(ballot_closes=timezone.localdate() - timedelta(days=1))
    assert count_ballots() == 2
    assert BallotTally.objects.get(organization=tree.branch).counts() == {"good": 1, "fair": 0, "average": 0, "poor": 1}
    with pytest.raises(DomainError, match="民主测评尚未结束"):
        services.ballots_count(cycle=draft_cycle(tree, people, ballot_closes=timezone.localdate() + timedelta(days=2)))


@pytest.fixture
def fresh_code(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> BallotCode:
    return services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count=1, by=people.committee_secretary
    )[0]


def assert_nothing_counted(ballot_code: BallotCode) -> None:
    assert not SpentCode.objects.exists()
    assert not PendingBallot.objects.exists()
    assert all(sum(tally.counts().values()) == 0 for tally in BallotTally.objects.all())


@pytest.mark.parametrize(
    ("rating", "items", "message"),
    [
        ("excellent", {}, "请选择评价：好、较好、一般或差"),
        ("", {}, "请选择评价：好、较好、一般或差"),
        (Rating.GOOD, {"政治建设": "excellent"}, "分项评价无效"),
        (Rating.GOOD, {"伪造的分项" * 20: Rating.GOOD}, "分项评价无效"),
    ],
)
def test_a_bad_rating_is_refused_and_the_code_kept(
    fresh_code: BallotCode, rating: str, items: dict[str, str], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        services.ballot_cast(code=fresh_code.code, rating=rating, item_ratings=items)
    assert_nothing_counted(fresh_code)


def test_a_forged_code_is_refused(fresh_code: BallotCode) -> None:
    for forged in ("ABCDEFGHJK", "", fresh_code.code + "X", fresh_code.code[:-1]):
        with pytest.raises(DomainError, match="测评码无效，请核对后重新输入"):
            services.ballot_cast(code=forged, rating=Rating.GOOD)
    assert_nothing_counted(fresh_code)


def test_a_code_outside_the_ballot_window_is_refused_in_plain_words(fresh_code: BallotCode, open_cycle: Cycle) -> None:
    before, after = open_cycle.ballot_opens - timedelta(days=1), open_cycle.ballot_closes + timedelta(days=1)
    with pytest.raises(DomainError, match=f"民主测评尚未开始，开始日期为 {open_cycle.ballot_opens.isoformat()}"):
        services.ballot_cast(code=fresh_code.code, rating=Rating.GOOD, today=before)
    with pytest.raises(DomainError, match=f"民主测评已于 {open_cycle.ballot_closes.isoformat()} 结束，不能再投票"):
        services.ballot_cast(code=fresh_code.code, rating=Rating.GOOD, today=after)
    assert_nothing_counted(fresh_code)
    # The first and the last day are inside the window.
    services.ballot_cast(code=fresh_code.code, rating=Rating.GOOD, today=open_cycle.ballot_closes)
    assert SpentCode.objects.count() == 1


def test_a_code_of_a_draft_or_closed_cycle_is_refused(
    tree: Tree, people: SimpleNamespace, rubric: RubricTemplate, fresh_code: BallotCode, open_cycle: Cycle
) -> None:
    draft = draft_cycle(tree, people, rubric, scope="branches")
    [draft_code] = services.ballot_codes_generate(
        cycle=draft, organization=tree.branch, count=1, by=people.committee_secretary
    )
    with pytest.raises(DomainError, match="民主测评尚未开始"):
        services.ballot_cast(code=draft_code.code, rating=Rating.GOOD)
    close(open_cycle, people.committee_secretary)
    with pytest.raises(DomainError, match="本次考核已结束，民主测评已关闭"):
        services.ballot_cast(code=fresh_code.code, rating=Rating.GOOD)
    assert_nothing_counted(fresh_code)
    assert_nothing_counted(draft_code)


def test_a_cast_ballot_leaves_its_code_untouched_and_nothing_ties_them(fresh_code: BallotCode) -> None:
    before = BallotCode.objects.filter(pk=fresh_code.pk).values().get()
    history = fresh_code.history.count()
    services.ballot_cast(code=fresh_code.code, rating=Rating.AVERAGE)
    after = BallotCode.objects.filter(pk=fresh_code.pk).values().get()

    assert after == before
    assert fresh_code.history.count() == history
    for model in (SpentCode, PendingBallot, BallotTally):
        for field in model._meta.get_fields():
            assert getattr(field, "related_model", None) is not BallotCode
            assert not isinstance(field, models.DateField | models.TimeField)  # no time to match against a code
    assert isinstance(SpentCode._meta.pk, models.UUIDField)  # a random key, not an order of casting
    assert isinstance(PendingBallot._meta.pk, models.UUIDField)
    assert fresh_code.code not in str(list(SpentCode.objects.values_list()))
    assert fresh_code.code.encode() not in bytes(PendingBallot.objects.get().sealed)


# 结束考核 --------------------------------------------------------------------


def give_list(organization: Organization, year: int, by: User, *, required: int, done: int) -> None:
    responsibility_list = responsibility_services.list_start(organization=organization, year=year, by=by)
    ResponsibilityList.objects.filter(pk=responsibility_list.pk).update(required_total=required, done_total=done)


def test_closing_computes_every_result_on_a_worked_example(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    secretary = people.committee_secretary
    year = open_cycle.year

    # 一村: daily from its list (8 of 10 = 80); five reviewers, so the highest and lowest are dropped.
    branch = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    give_list(tree.branch, year, people.branch_secretary, required=10, done=8)
    reviewers = [people.committee_member, secretary, people.committee_deputy, people.committee_staff, people.grantee]
    services.reviewer_assign(reports=[branch], reviewer=secretary, by=secretary)
    services.reviewer_assign(reports=[branch], reviewer=people.committee_deputy, by=secretary)
    services.reviewer_assign(reports=[branch], reviewer=people.committee_staff, by=secretary)
    services.reviewer_assign(reports=[branch], reviewer=people.grantee, by=secretary)
    for reviewer, first, second, bonus in zip(
        reviewers, (60, 50, 55, 20, 45), (40, 30, 30, 30, 0), (5, 5, 5, 0, 0), strict=True
    ):
        score(branch, reviewer, {STANDARD_60: first, STANDARD_40: second, BONUS: bonus, DEDUCTION: 0})
    # Trimmed: 60 → (50 + 55 + 45) / 3 = 50; 40 → 30; bonus (0 + 5 + 5) / 3 = 3.33; review = 83.3.
    cast(open_cycle, tree.branch, [Rating.GOOD] * 6 + [Rating.FAIR] * 2 + [Rating.AVERAGE, Rating.POOR], secretary)
    # Ballots: (600 + 160 + 60 + 40) / 10 = 86.

    # 二村: the committee's manual daily score wins over its list; one reviewer (below the minimum of
    # three, so the committee explains) hit the veto; no ballots.
    sibling = submitted(report_of(open_cycle, tree.branch_sibling), people.admin)
    give_list(tree.branch_sibling, year, secretary, required=10, done=5)
    services.report_comment_save(
        report=sibling, comment="作风扎实", daily_score="95", daily_reason="督查优秀", by=secretary
    )
    score(sibling, people.committee_member, {STANDARD_60: 60, STANDARD_40: 40, VETO: True})
    # A reviewer who has not submitted does not count.
    services.reviewer_assign(reports=[sibling], reviewer=people.committee_deputy, by=secretary)
    score(sibling, people.committee_deputy, {STANDARD_60: 0, STANDARD_40: 0}, submit=False)

    # 三村: never submitted, no list; three ballots, two 差 (below the minimum of five: not published).
    cast(open_cycle, tree.direct_branch, [Rating.POOR, Rating.POOR, Rating.GOOD], secretary)

    reasons = {
        "ballots_open:cycle": "测评已于会上集中完成",
        f"few_reviewers:{tree.branch_sibling.pk}": "其余评议人回避",
    }
    closed = services.cycle_close(cycle=open_cycle, by=secretary, reasons=reasons)

    assert closed.status == Cycle.Status.CLOSED
    assert closed.closed_at is not None
    results = {result.report.organization: result for result in Result.objects.select_related("report__organization")}
    first = results[tree.branch]
    assert (first.daily_score, first.review_score, first.ballot_score) == (
        Decimal("80.0"),
        Decimal("83.3"),
        Decimal("86.0"),
    )
    # 80 × 0.4 + 83.3 × 0.3 + 86 × 0.3 = 32 + 24.99 + 25.8 = 82.79
    assert first.composite == Decimal("82.8")
    assert (first.grade, first.grade_reason, first.classification) == (
        Grade.FAIR,
        GradeRule.BAND,
        Classification.STANDARD,
    )
    assert (first.ballots_valid, first.ballots_poor, first.reviewers, first.rank) == (10, 1, 5, 1)
    assert first.notes == [{"gap": GapKind.BALLOTS_OPEN, "reason": "测评已于会上集中完成"}]

    second = results[tree.branch_sibling]
    # No ballots: never a 0. Their weight goes to the others: (95 × 40 + 100 × 30) / 70 = 97.14.
    assert (second.daily_score, second.review_score, second.ballot_score) == (Decimal("95.0"), Decimal("100.0"), None)
    assert second.composite == Decimal("97.1")
    assert second.weights == {"daily": "57.1", "review": "42.9"}
    assert (second.grade, second.grade_reason, second.classification) == (
        Grade.POOR,
        GradeRule.VETO,
        Classification.LAGGING,
    )
    # Vetoed: below everyone not vetoed, whatever its composite.
    assert (second.reviewers, second.rank) == (1, 3)
    assert {note["gap"] for note in second.notes} == {GapKind.BALLOTS_OPEN, GapKind.FEW_REVIEWERS}

    third = results[tree.direct_branch]
    assert (third.daily_score, third.review_score, third.ballot_score, third.composite) == (None, None, None, None)
    assert (third.grade, third.grade_reason, third.classification) == (
        Grade.POOR,
        GradeRule.NOT_SUBMITTED,
        Classification.LAGGING,
    )
    assert (third.ballots_valid, third.ballots_published, third.rank) == (0, False, 2)
    assert ClosingNote.objects.filter(cycle=open_cycle).count() == 2


def test_closing_is_refused_over_gaps_that_need_a_reason_and_nothing_changes(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    score(report, people.committee_member, {STANDARD_60: 50, STANDARD_40: 30})

    gaps = services.closing_gaps(open_cycle)
    assert {(gap.kind, gap.organization) for gap in gaps if gap.needs_reason} == {
        (GapKind.BALLOTS_OPEN, None),
        (GapKind.FEW_REVIEWERS, tree.branch),
    }
    listed = {(gap.kind, gap.organization) for gap in gaps}
    assert (GapKind.REPORT_MISSING, tree.branch_sibling) in listed
    assert (GapKind.FEW_BALLOTS, tree.branch) in listed
    assert (GapKind.NO_DAILY, tree.direct_branch) in listed

    with pytest.raises(services.ClosingRefused) as refused:
        services.cycle_close(cycle=open_cycle, by=people.committee_secretary, reasons={"ballots_open:cycle": "  "})
    assert {gap.kind for gap in refused.value.gaps} == {GapKind.BALLOTS_OPEN, GapKind.FEW_REVIEWERS}
    assert "还有 2 项缺项需要填写情况说明才能结束考核" in str(refused.value)
    open_cycle.refresh_from_db()
    assert open_cycle.status == Cycle.Status.OPEN
    assert not Result.objects.exists()
    assert not ClosingNote.objects.exists()


def test_only_the_cycles_committee_may_close_it(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    for outsider in (people.grantee, people.branch_secretary, people.committee_party_member):
        with pytest.raises(DomainError, match="只有组织本次考核的党组织可以结束考核"):
            services.cycle_close(cycle=open_cycle, by=outsider, reasons=explained(open_cycle))
    assert not Result.objects.exists()


def test_the_pending_rule_holds_a_grade_with_missing_data_and_leaves_it_unranked(
    tree: Tree, people: SimpleNamespace, rubric: RubricTemplate
) -> None:
    cycle = draft_cycle(
        tree, people, rubric, scope="branches", settings={"missing_rule": MissingRule.PENDING, "min_reviewers": 1}
    )
    services.cycle_open(cycle=cycle, by=people.committee_secretary)
    services.reviewer_assign(
        reports=cycle.reports.all(), reviewer=people.committee_member, by=people.committee_secretary
    )
    report = submitted(report_of(cycle, tree.branch), people.branch_secretary)
    score(report, people.committee_member, {STANDARD_60: 60, STANDARD_40: 40})

    close(cycle, people.committee_secretary)

    result = Result.objects.get(report=report)
    assert (result.grade, result.grade_reason, result.classification) == (
        Grade.PENDING,
        GradeRule.PENDING,
        Classification.PENDING,
    )
    assert (result.composite, result.rank, result.review_score) == (None, None, Decimal("100.0"))


def test_closing_tells_each_secretary_the_result_and_the_comment(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    from notifications.models import Notification

    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    services.report_comment_save(report=report, comment="基础扎实，台账规范。", by=people.committee_secretary)

    close(open_cycle, people.committee_secretary)

    notice = Notification.objects.get(recipient=people.branch_secretary, kind="review_result")
    assert open_cycle.title in notice.title
    assert "等次：" in notice.body
    assert "基础扎实，台账规范。" in notice.body
    assert notice.url.endswith(f"/reviews/reports/{report.pk}/result/")


def test_an_unsubmitted_report_is_poor_by_its_rule_and_scores_no_review(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    cast(open_cycle, tree.branch, [Rating.GOOD] * 5, people.committee_secretary)
    close(open_cycle, people.committee_secretary)
    result = Result.objects.get(report__organization=tree.branch)
    assert (result.review_score, result.ballot_score, result.composite) == (None, 100, 100)
    assert (result.grade, result.grade_reason) == (Grade.POOR, GradeRule.NOT_SUBMITTED)


def test_tied_composites_share_a_rank(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    cast(open_cycle, tree.branch, [Rating.GOOD] * 5, people.committee_secretary)
    cast(open_cycle, tree.branch_sibling, [Rating.GOOD] * 5, people.committee_secretary)
    close(open_cycle, people.committee_secretary)
    ranks = dict(Result.objects.values_list("report__organization__name", "rank"))
    assert ranks == {tree.branch.name: 1, tree.branch_sibling.name: 1, tree.direct_branch.name: 3}


@pytest.fixture
def closed_cycle(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> SimpleNamespace:
    """A closed cycle with a submitted report half scored, a returned-ready report, a problem and an unused code."""
    report = submitted(report_of(open_cycle, tree.branch), people.branch_secretary)
    draft = report_of(open_cycle, tree.branch_sibling)
    services.report_save(report=draft, sections={"履职情况": "<p>草稿</p>"}, revision=0, by=people.admin)
    score(report, people.committee_member, {STANDARD_60: 30}, submit=False)
    problem = services.problem_add(report=report, text="问题", by=people.committee_secretary)
    [ballot_code] = services.ballot_codes_generate(
        cycle=open_cycle, organization=tree.branch, count=1, by=people.committee_secretary
    )
    close(open_cycle, people.committee_secretary)
    return SimpleNamespace(
        cycle=Cycle.objects.get(pk=open_cycle.pk),
        report=report_of(open_cycle, tree.branch),
        draft=report_of(open_cycle, tree.branch_sibling),
        problem=problem,
        code=ballot_code,
    )


WRITES: dict[str, Callable[[SimpleNamespace, SimpleNamespace], Any]] = {
    "report_save": lambda c, p: services.report_save(
        report=c.draft, sections={"履职情况": "<p>改</p>"}, revision=c.draft.revision, by=p.admin
    ),
    "report_submit": lambda c, p: services.report_submit(report=c.draft, by=p.admin),
    "report_return": lambda c, p: services.report_return(report=c.report, reason="退回", by=p.committee_secretary),
    "self_assessment_save": lambda c, p: services.self_assessment_save(
        report=c.draft,
        indicator=indicators(c.cycle)[STANDARD_40],
        points="1",
        note="",
        record_ids=[],
        by=p.admin,
    ),
    "scores_save": lambda c, p: services.scores_save(
        assignment=assignment_of(c.report, p.committee_member),
        entries={indicators(c.cycle)[STANDARD_60].pk: {"points": "60"}},
        comment="",
        by=p.committee_member,
    ),
    "scores_submit": lambda c, p: services.scores_submit(
        assignment=assignment_of(c.report, p.committee_member), by=p.committee_member
    ),
    "report_comment_save": lambda c, p: services.report_comment_save(
        report=c.report, comment="迟到的点评", daily_score="90", daily_reason="理由", by=p.committee_secretary
    ),
    "problem_add": lambda c, p: services.problem_add(report=c.report, text="新问题", by=p.committee_secretary),
    "problem_remove": lambda c, p: services.problem_remove(problem=c.problem, by=p.committee_secretary),
    "ballot_codes_generate": lambda c, p: services.ballot_codes_generate(
        cycle=c.cycle, organization=c.report.organization, count=1, by=p.committee_secretary
    ),
    "ballot_cast": lambda c, p: services.ballot_cast(code=c.code.code, rating=Rating.GOOD, today=c.cycle.ballot_opens),
    "reviewer_assign": lambda c, p: services.reviewer_assign(
        reports=[c.report], reviewer=p.committee_deputy, by=p.committee_secretary
    ),
    "reviewer_unassign": lambda c, p: services.reviewer_unassign(
        assignment=assignment_of(c.report, p.committee_member), by=p.committee_secretary
    ),
    "cycle_update": lambda c, p: services.cycle_update(cycle=c.cycle, by=p.committee_secretary, weight_daily=40),
    "cycle_open": lambda c, p: services.cycle_open(cycle=c.cycle, by=p.committee_secretary),
    "cycle_close": lambda c, p: services.cycle_close(cycle=c.cycle, by=p.committee_secretary),
    "ballot_code_void": lambda c, p: services.ballot_code_void(
        cycle=c.cycle, code=c.code.code, reason="迟到的作废", by=p.committee_secretary
    ),
}


def snapshot() -> list[Any]:
    """Every row a write could touch, to show a refused write changed nothing."""
    return [
        list(DutyReport.objects.order_by("pk").values()),
        list(Score.objects.order_by("pk").values()),
        list(ReviewerAssignment.objects.order_by("pk").values()),
        list(Problem.objects.order_by("pk").values()),
        list(BallotCode.objects.order_by("pk").values()),
        list(SpentCode.objects.order_by("pk").values()),
        list(PendingBallot.objects.order_by("pk").values()),
        list(BallotTally.objects.order_by("pk").values()),
        list(SelfAssessment.objects.order_by("pk").values()),
        list(Result.objects.order_by("pk").values()),
        list(Cycle.objects.order_by("pk").values()),
        list(ReportVersion.objects.order_by("pk").values()),
    ]


@pytest.mark.parametrize("write", list(WRITES))
def test_a_closed_cycle_refuses_every_further_write(
    closed_cycle: SimpleNamespace, people: SimpleNamespace, write: str
) -> None:
    before = snapshot()
    with pytest.raises(DomainError):
        WRITES[write](closed_cycle, people)
    assert snapshot() == before


def test_results_are_written_once_at_closing(closed_cycle: SimpleNamespace) -> None:
    assert Result.objects.filter(report__cycle=closed_cycle.cycle).count() == 3
    assert closed_cycle.cycle.is_closed


def test_normalize_code_forgives_spaces_and_case() -> None:
    assert services.normalize_code(" ab cd\tef ") == "ABCDEF"
    assert services.normalize_code("") == ""


def test_a_bonus_left_blank_by_one_reviewer_counts_as_zero_in_the_mean(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = submitted(open_cycle.reports.get(organization=tree.branch), people.branch_secretary)
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)
    full = {"“三会一课”落实": 60, "为民办实事": 40}
    score(report, people.committee_member, {**full, "获上级表彰": 4})
    score(report, people.committee_deputy, full)

    row = next(row for row in services.compute_results(open_cycle) if row["report"].pk == report.pk)

    # Standard 100 plus the bonus mean (4 + 0) / 2 = 2, clamped to 100.
    assert row["reviewers"] == 2
    assert row["review_score"] == Decimal("100.0")
    score_report = open_cycle.reports.get(organization=tree.branch_sibling)
    score_report = submitted(score_report, people.admin)
    reduced = {"“三会一课”落实": 50, "为民办实事": 30}
    score(score_report, people.committee_member, {**reduced, "获上级表彰": 4})
    services.reviewer_assign(reports=[score_report], reviewer=people.committee_deputy, by=people.committee_secretary)
    score(score_report, people.committee_deputy, reduced)
    row = next(row for row in services.compute_results(open_cycle) if row["report"].pk == score_report.pk)
    assert row["review_score"] == Decimal("82.0")
