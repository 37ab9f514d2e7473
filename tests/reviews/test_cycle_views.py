"""The committee's cycle pages: start, configure, open, close, reviewers, progress, ranking; who may, at what cost.

Why one long file: a cycle's pages are one flow (start, configure, open, close) and the other review test
files import its data builders (create_data, busy_cycle, ...) from here; each page is a section below.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position
from reviews import services
from reviews.models import (
    Cycle,
    DutyReport,
    GapKind,
    Indicator,
    IndicatorKind,
    Result,
    ReviewerAssignment,
    RubricTemplate,
)
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import OrganizationFactory, UserFactory
from tests.reviews.conftest import close_cycle, make_codes

Status = Cycle.Status


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def create_data(organization: Organization, **changes: Any) -> dict[str, Any]:
    """A valid POST of the create form for ORGANIZATION, with CHANGES."""
    today = timezone.localdate()
    data: dict[str, Any] = {
        "organization": organization.pk,
        "year": today.year,
        "title": "年度述职评议",
        "scope": "children",
        "template": "",
        "report_due": (today + timedelta(days=10)).isoformat(),
        "scoring_due": (today + timedelta(days=20)).isoformat(),
        "ballot_opens": today.isoformat(),
        "ballot_closes": (today + timedelta(days=20)).isoformat(),
        "weight_daily": 40,
        "weight_review": 30,
        "weight_ballot": 30,
        "band_good": "90",
        "band_fair": "80",
        "band_average": "60",
        "poor_ballot_percent": "33.3",
        "points_good": 100,
        "points_fair": 80,
        "points_average": 60,
        "points_poor": 40,
        "trim_extremes": "on",
        "advanced_floor": "90",
        "standard_floor": "60",
        "min_ballots": 5,
        "min_reviewers": 3,
        "missing_rule": "redistribute",
        "score_places": 1,
        "sections": "履职情况\n存在问题\n原因分析\n下步打算",
    }
    data.update(changes)
    return data


def settings_data(cycle: Cycle, **changes: Any) -> dict[str, Any]:
    data = create_data(cycle.organization, **{"title": cycle.title, "year": cycle.year, **changes})
    for name in ("organization", "scope", "template"):
        data.pop(name)
    return data


def draft_cycle(tree: Tree, people: SimpleNamespace, template: RubricTemplate | None = None) -> Cycle:
    today = timezone.localdate()
    return services.cycle_create(
        organization=tree.township,
        year=today.year,
        title="筹备中的考核",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=10),
        scope="branches",
        template=template,
        by=people.committee_secretary,
    )


def add_branches(tree: Tree, count: int) -> None:
    for index in range(count):
        OrganizationFactory(
            parent=tree.township,
            kind=Organization.Kind.BRANCH,
            code=f"C-T1-X{index}",
            name=f"新建支部{index}",
        )


def busy_cycle(tree: Tree, people: SimpleNamespace, rubric: RubricTemplate) -> Cycle:
    """An open cycle over every branch of the township, a reviewer on each report, one ballot code each."""
    cycle = draft_cycle(tree, people, rubric)
    services.cycle_open(cycle=cycle, by=people.committee_secretary)
    reports = cycle.reports.select_related("cycle", "organization")
    services.reviewer_assign(reports=reports, reviewer=people.committee_member, by=people.committee_secretary)
    for report in reports:
        services.ballot_codes_generate(
            cycle=cycle, organization=report.organization, count=2, by=people.committee_secretary, reason="列席"
        )
    return cycle


def submit_report(report: DutyReport, by: Any) -> None:
    report.refresh_from_db()
    services.report_save(
        report=report,
        sections=dict.fromkeys(report.cycle.section_titles(), "<p>内容</p>"),
        revision=report.revision,
        by=by,
    )
    report.refresh_from_db()
    services.report_submit(report=report, by=by)


def score_fully(assignment: ReviewerAssignment, *, note: str = "") -> None:
    """The reviewer gives every standard indicator its full points and submits."""
    entries = {
        indicator.pk: {"points": indicator.max_points, "note": note}
        for indicator in assignment.report.cycle.indicators.filter(kind=IndicatorKind.STANDARD)
    }
    services.scores_save(assignment=assignment, entries=entries, comment="", by=assignment.reviewer)
    services.scores_submit(assignment=assignment, by=assignment.reviewer)


def set_daily(report: DutyReport, score: str, by: Any) -> None:
    services.report_comment_save(report=report, comment="", by=by, daily_score=score, daily_reason="按日常考核台账")


# 列表与发起 -------------------------------------------------------------------


def test_committee_sees_its_cycles_and_the_start_button(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).get(reverse("cycles"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [open_cycle]
    assert response.context["page"].object_list[0].report_count == 3
    assert "发起述职评议" in response.content.decode()
    assert f'href="{reverse("cycles")}?year=' in response.content.decode()  # the menu entry


def test_grantee_sees_the_cycle_but_cannot_start_one(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    response = signed_in(people.grantee, client).get(reverse("cycles"))
    assert list(response.context["page"].object_list) == [open_cycle]
    assert not response.context["may_create"]
    assert signed_in(people.grantee, client).get(reverse("cycle_create")).status_code == 403


@pytest.mark.parametrize("who", ["branch_secretary", "committee_party_member", "outsider"])
def test_people_who_do_not_run_the_review_see_no_cycles(
    client: Client, people: SimpleNamespace, open_cycle: Cycle, who: str
) -> None:
    response = signed_in(getattr(people, who), client).get(reverse("cycles"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert "发起述职评议" not in response.content.decode()


def test_committee_starts_a_draft_cycle_with_a_copy_of_the_template(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    data = create_data(tree.township, template=rubric.pk, scope="branches", sections="履职情况\n\n下步打算\n")
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_create"), data)
    cycle = Cycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cycle_detail", args=[cycle.pk])
    assert cycle.status == Status.DRAFT
    assert cycle.poor_ballot_share == Decimal("0.333")
    assert cycle.sections == ["履职情况", "下步打算"]
    assert cycle.indicators.count() == 5
    assert set(cycle.reports.values_list("organization__code", flat=True)) == {
        tree.branch.code,
        tree.branch_sibling.code,
        tree.direct_branch.code,
    }


def test_direct_children_are_the_default_participants(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    signed_in(people.committee_secretary, client).post(reverse("cycle_create"), create_data(tree.township))
    codes = set(Cycle.objects.get().reports.values_list("organization__code", flat=True))
    assert codes == {tree.general.code, tree.direct_branch.code}


def test_weights_not_summing_to_100_are_refused_and_nothing_is_saved(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    data = create_data(tree.township, weight_daily=50)
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_create"), data)
    assert response.status_code == 200
    assert "三项权重之和须为 100（当前为 110）。" in response.content.decode()
    assert not Cycle.objects.exists()
    assert not DutyReport.objects.exists()


def test_a_template_from_a_sibling_committee_cannot_be_chosen(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    foreign = RubricTemplate.objects.create(organization=tree.sibling_township, name="乙镇模板")
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_create"), create_data(tree.township, template=foreign.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["template"]
    assert not Cycle.objects.exists()


def test_a_committee_the_user_does_not_keep_cannot_be_chosen(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_create"), create_data(tree.sibling_township)
    )
    assert response.context["form"].errors["organization"]
    assert not Cycle.objects.exists()


def test_branch_secretary_may_not_start_a_cycle(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    response = signed_in(people.branch_secretary, client).post(reverse("cycle_create"), create_data(tree.branch))
    assert response.status_code == 403
    assert not Cycle.objects.exists()


# 设置与指标 -------------------------------------------------------------------


def test_committee_changes_a_draft_cycles_settings(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    data = settings_data(cycle, weight_daily=20, weight_review=50, poor_ballot_percent="50")
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_settings", args=[cycle.pk]), data)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.weight_daily, cycle.weight_review, cycle.weight_ballot) == (20, 50, 30)
    assert cycle.poor_ballot_share == Decimal("0.5")


def test_bad_settings_leave_the_cycle_as_it_was(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    data = settings_data(cycle, weight_daily=10, title="改过的名称")
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_settings", args=[cycle.pk]), data)
    assert "三项权重之和须为 100（当前为 70）。" in response.content.decode()
    cycle.refresh_from_db()
    assert (cycle.weight_daily, cycle.title) == (40, "筹备中的考核")


def test_settings_page_shows_the_stored_share_as_a_percentage(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    cycle = draft_cycle(tree, people)
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_settings", args=[cycle.pk]))
    assert response.context["form"].initial["poor_ballot_percent"] == Decimal("33.3")


def test_indicators_page_adds_an_indicator_and_warns_when_the_total_is_not_100(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    cycle = draft_cycle(tree, people)
    url = reverse("cycle_indicators", args=[cycle.pk])
    data = {"category": "组织建设", "name": "三会一课", "guidance": "", "kind": "standard", "max_points": "60"}
    response = signed_in(people.committee_secretary, client).post(url, data)
    assert response.status_code == 302
    response = client.get(url)
    assert response.context["standard_total"] == Decimal("60")
    assert "按比例折算为百分制" in response.content.decode()
    client.post(url, {**data, "name": "为民办实事", "max_points": "40"})
    response = client.get(url)
    assert response.context["standard_total"] == Decimal("100")
    assert "按比例折算为百分制" not in response.content.decode()


def test_indicator_out_of_range_shows_the_services_message(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    data = {"category": "组织建设", "name": "三会一课", "guidance": "", "kind": "standard", "max_points": "0"}
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_indicators", args=[cycle.pk]), data)
    assert "分值须大于 0 且不超过 100。" in response.content.decode()
    assert not cycle.indicators.exists()


# 启动与结束 -------------------------------------------------------------------


def test_open_requires_an_indicator(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_action", args=[cycle.pk, "open"]))
    assert response.status_code == 302
    assert "请先设置至少一项考核指标。" in messages_of(response)
    cycle.refresh_from_db()
    assert cycle.status == Status.DRAFT


def test_committee_opens_a_draft_with_indicators(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    cycle = draft_cycle(tree, people, rubric)
    signed_in(people.committee_secretary, client).post(reverse("cycle_action", args=[cycle.pk, "open"]))
    cycle.refresh_from_db()
    assert cycle.status == Status.OPEN


def test_closing_a_draft_is_refused(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_close", args=[cycle.pk]), {"confirm": "on"}
    )
    assert "只有进行中的考核可以结束。" in messages_of(response)
    cycle.refresh_from_db()
    assert cycle.status == Status.DRAFT


def test_closing_lists_every_gap_by_organization_before_anything_happens(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)
    score_fully(ReviewerAssignment.objects.get(report=report, reviewer=people.committee_member))
    client = signed_in(people.committee_secretary, client)

    detail = client.get(reverse("cycle_detail", args=[open_cycle.pk])).content.decode()
    page = client.get(reverse("cycle_close", args=[open_cycle.pk]))

    # The cycle page links to the closing page, after the progress, instead of closing with one button.
    assert reverse("cycle_close", args=[open_cycle.pk]) in detail
    assert detail.index('id="progress-title"') < detail.index('id="close-link"')
    assert reverse("cycle_action", args=[open_cycle.pk, "close"]) not in detail
    body = page.content.decode()
    gaps = {(gap.kind, gap.organization) for gap, _field in page.context["form"].rows()}
    assert (GapKind.BALLOTS_OPEN, None) in gaps
    assert (GapKind.FEW_REVIEWERS, tree.branch) in gaps
    assert (GapKind.REVIEWERS_PENDING, tree.branch) in gaps
    assert (GapKind.REPORT_MISSING, tree.branch_sibling) in gaps
    assert (GapKind.FEW_BALLOTS, tree.direct_branch) in gaps
    assert people.committee_deputy.get_full_name() in body
    assert "已评分 1 人，规定至少 3 人。" in body
    assert page.context["blocking"] == 2


def test_closing_without_a_reason_for_each_gap_that_needs_one_is_refused_and_keeps_what_was_typed(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=report, reviewer=people.committee_member))
    client = signed_in(people.committee_secretary, client)
    url = reverse("cycle_close", args=[open_cycle.pk])

    unconfirmed = client.post(url, {"reason-ballots_open-cycle": "会上集中测评已完成"})
    assert "请先勾选确认：结束后考核结果一次生成，不能再修改。" in unconfirmed.content.decode()
    missing = client.post(url, {"confirm": "on", "reason-ballots_open-cycle": "会上集中测评已完成"})
    body = missing.content.decode()
    assert missing.status_code == 200
    assert "还有 1 项缺项需要填写情况说明才能结束考核" in body
    assert "此项须说明理由才能结束考核。" in body
    assert "会上集中测评已完成" in body  # what was typed stays on the page
    open_cycle.refresh_from_db()
    assert open_cycle.status == Status.OPEN
    assert not Result.objects.exists()

    closed = client.post(
        url,
        {
            "confirm": "on",
            "reason-ballots_open-cycle": "会上集中测评已完成",
            f"reason-few_reviewers-{tree.branch.pk}": "其余评议人回避",
        },
        follow=True,
    )
    open_cycle.refresh_from_db()
    assert open_cycle.status == Status.CLOSED
    assert closed.redirect_chain == [(reverse("cycle_ranking", args=[open_cycle.pk]), 302)]
    page = closed.content.decode()
    assert "其余评议人回避" in page
    assert "会上集中测评已完成" in page
    assert Result.objects.filter(report__cycle=open_cycle).count() == 3


@pytest.mark.parametrize("who", ["county_secretary", "grantee", "committee_party_member"])
def test_only_the_cycles_committee_may_open_its_closing_page(
    client: Client, people: SimpleNamespace, open_cycle: Cycle, county_secretary: Any, who: str
) -> None:
    client = signed_in(county_secretary if who == "county_secretary" else getattr(people, who), client)
    assert client.get(reverse("cycle_close", args=[open_cycle.pk])).status_code == 403
    assert client.post(reverse("cycle_close", args=[open_cycle.pk]), {"confirm": "on"}).status_code == 403
    open_cycle.refresh_from_db()
    assert open_cycle.status == Status.OPEN


def test_opening_a_closed_cycle_is_refused(client: Client, people: SimpleNamespace, open_cycle: Cycle) -> None:
    close_cycle(open_cycle, people.committee_secretary)
    response = signed_in(people.committee_secretary, client).post(reverse("cycle_action", args=[open_cycle.pk, "open"]))
    assert "当前状态为“已结束”，不能执行此操作。" in messages_of(response)
    open_cycle.refresh_from_db()
    assert open_cycle.status == Status.CLOSED


def test_an_unknown_action_is_not_found(client: Client, people: SimpleNamespace, open_cycle: Cycle) -> None:
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_action", args=[open_cycle.pk, "reopen"])
    )
    assert response.status_code == 404


def test_a_closed_cycle_cannot_be_changed(client: Client, people: SimpleNamespace, open_cycle: Cycle) -> None:
    close_cycle(open_cycle, people.committee_secretary)
    client = signed_in(people.committee_secretary, client)
    response = client.post(reverse("cycle_settings", args=[open_cycle.pk]), settings_data(open_cycle, title="新"))
    assert "考核已启动，设置不能再修改。" in messages_of(response)
    indicator = {"category": "新", "name": "新指标", "guidance": "", "kind": "standard", "max_points": "10"}
    response = client.post(reverse("cycle_indicators", args=[open_cycle.pk]), indicator)
    assert "考核已启动，指标不能再修改。" in response.content.decode()
    reviewers = reverse("cycle_reviewers", args=[open_cycle.pk])
    response = client.post(reviewers, {"action": "assign", "reviewer": people.committee_deputy.pk, "target": "all"})
    assert "考核已结束。" in response.content.decode()
    assignment = ReviewerAssignment.objects.filter(report__cycle=open_cycle).first()
    assert assignment is not None
    response = client.post(reviewers, {"action": "unassign", "assignment": assignment.pk})
    assert "考核已结束。" in messages_of(response)
    open_cycle.refresh_from_db()
    assert open_cycle.title != "新"
    assert not Indicator.objects.filter(cycle=open_cycle, name="新指标").exists()
    assert set(ReviewerAssignment.objects.filter(report__cycle=open_cycle).values_list("reviewer", flat=True)) == {
        people.committee_member.pk
    }


# 谁可以看 ---------------------------------------------------------------------


@pytest.fixture
def county_secretary(tree: Tree) -> Any:
    person = UserFactory(username="county_secretary")
    account_services.position_assign(person=person, organization=tree.county, role=Position.Role.SECRETARY)
    return person


@pytest.fixture
def sibling_secretary(tree: Tree) -> Any:
    person = UserFactory(username="sibling_secretary")
    account_services.position_assign(person=person, organization=tree.sibling_township, role=Position.Role.SECRETARY)
    return person


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee_secretary", 200),
        ("committee_member", 200),
        ("committee_staff", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("branch_member", 403),
        ("committee_party_member", 403),
        # The committee above supervises the township: it reads the township's cycles (and acts on none).
        ("county_secretary", 200),
        ("sibling_secretary", 404),
        ("outsider", 404),
    ],
)
@pytest.mark.parametrize("page", ["cycle_detail", "cycle_indicators", "cycle_reviewers", "cycle_ranking"])
def test_who_may_follow_a_cycle(
    client: Client,
    people: SimpleNamespace,
    open_cycle: Cycle,
    county_secretary: Any,
    sibling_secretary: Any,
    who: str,
    status: int,
    page: str,
) -> None:
    user = {"county_secretary": county_secretary, "sibling_secretary": sibling_secretary}.get(who) or getattr(
        people, who
    )
    assert signed_in(user, client).get(reverse(page, args=[open_cycle.pk])).status_code == status


def test_the_county_reads_a_townships_cycles_ranking_and_export_but_changes_nothing(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, county_secretary: Any
) -> None:
    client = signed_in(county_secretary, client)

    listed = client.get(reverse("cycles"))
    assert open_cycle in list(listed.context["page"].object_list)
    assert "暂无述职评议考核" not in listed.content.decode()
    assert client.get(reverse("cycle_ranking", args=[open_cycle.pk])).status_code == 200
    assert client.get(reverse("cycle_export", args=[open_cycle.pk])).status_code == 200
    assert client.get(reverse("ballot_codes", args=[open_cycle.pk])).status_code == 403
    assert client.post(reverse("cycle_close", args=[open_cycle.pk]), {"confirm": "on"}).status_code == 403
    report = open_cycle.reports.get(organization=tree.branch)
    assert (
        client.post(
            reverse("cycle_reviewers", args=[open_cycle.pk]), {"action": "assign", "reviewer": county_secretary.pk}
        ).status_code
        == 403
    )
    assert not ReviewerAssignment.objects.filter(reviewer=county_secretary, report=report).exists()


def test_grantee_follows_but_cannot_change_a_cycle(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    cycle = draft_cycle(tree, people, rubric)
    client = signed_in(people.grantee, client)
    response = client.get(reverse("cycle_detail", args=[cycle.pk]))
    assert response.status_code == 200
    assert "open" not in response.context["actions"]
    assert client.post(reverse("cycle_action", args=[cycle.pk, "open"])).status_code == 403
    assert client.get(reverse("cycle_settings", args=[cycle.pk])).status_code == 403
    indicator = {"category": "新", "name": "新指标", "guidance": "", "kind": "standard", "max_points": "10"}
    assert client.post(reverse("cycle_indicators", args=[cycle.pk]), indicator).status_code == 403
    reviewers = reverse("cycle_reviewers", args=[cycle.pk])
    assert (
        client.post(reviewers, {"action": "assign", "reviewer": people.grantee.pk, "target": "all"}).status_code == 403
    )
    cycle.refresh_from_db()
    assert cycle.status == Status.DRAFT
    assert cycle.indicators.count() == 5
    assert not ReviewerAssignment.objects.exists()


def test_branch_secretary_cannot_open_the_townships_cycle(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    cycle = draft_cycle(tree, people, rubric)
    response = signed_in(people.branch_secretary, client).post(reverse("cycle_action", args=[cycle.pk, "open"]))
    assert response.status_code == 403
    cycle.refresh_from_db()
    assert cycle.status == Status.DRAFT


# 进度 -------------------------------------------------------------------------


def test_progress_table_counts_each_organizations_work(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    cycle = busy_cycle(tree, people, rubric)
    branch_report = cycle.reports.get(organization=tree.branch)
    submit_report(branch_report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=branch_report))
    services.reviewer_assign(reports=[branch_report], reviewer=people.committee_deputy, by=people.committee_secretary)
    services.problem_add(report=branch_report, text="台账不全", by=people.committee_secretary)
    code = cycle.ballot_codes.filter(organization=tree.branch).first()
    assert code is not None
    services.ballot_cast(code=code.code, rating="good")

    response = signed_in(people.committee_secretary, client).get(reverse("cycle_detail", args=[cycle.pk]))
    assert response.status_code == 200
    rows = {report.organization.code: report for report in response.context["page"].object_list}
    assert list(rows) == [tree.branch.code, tree.branch_sibling.code, tree.direct_branch.code]
    branch = rows[tree.branch.code]
    assert (branch.status, branch.reviewers_assigned, branch.reviewers_submitted) == ("submitted", 2, 1)
    assert (branch.ballots_cast, branch.codes_issued, branch.problem_count) == (1, 2, 1)
    sibling = rows[tree.branch_sibling.code]
    assert (sibling.reviewers_assigned, sibling.ballots_cast, sibling.codes_issued, sibling.problem_count) == (
        1,
        0,
        2,
        0,
    )
    summary = response.context["summary"]
    assert (summary.reports, summary.submitted, summary.draft) == (3, 1, 2)
    assert (summary.assignments, summary.assignments_submitted) == (4, 1)
    assert (summary.codes, summary.ballots, summary.problems) == (6, 1, 1)
    page = response.content.decode()
    assert reverse("report_assess", args=[branch_report.pk]) in page
    assert reverse("report_detail", args=[branch_report.pk]) in page
    assert reverse("ballot_codes", args=[cycle.pk]) in page
    assert reverse("cycle_ranking", args=[cycle.pk]) in page

    filtered = client.get(reverse("cycle_detail", args=[cycle.pk]), {"status": "submitted"})
    assert [report.organization.code for report in filtered.context["page"].object_list] == [tree.branch.code]
    ignored = client.get(reverse("cycle_detail", args=[cycle.pk]), {"status": "bogus"})
    assert ignored.context["page"].paginator.count == 3


def test_progress_page_costs_the_same_for_3_or_12_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(cycle: Cycle) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cycle_detail", args=[cycle.pk]), {"status": "draft"}).status_code == 200
        return len(queries)

    small = busy_cycle(tree, people, rubric)
    assert small.reports.count() == 3
    small_count = count(small)
    add_branches(tree, 9)
    large = busy_cycle(tree, people, rubric)
    assert large.reports.count() == 12
    assert count(large) == small_count


# 评议人 -----------------------------------------------------------------------


def test_reviewer_choices_are_the_committee_and_grantees(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_reviewers", args=[open_cycle.pk]))
    choices = set(response.context["form"].fields["reviewer"].queryset.values_list("username", flat=True))
    assert choices == {
        "committee_secretary",
        "committee_deputy",
        "committee_member",
        "committee_staff",
        "grantee",
    }


def test_committee_assigns_a_reviewer_to_chosen_reports(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    chosen = open_cycle.reports.get(organization=tree.branch)
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]),
        {"action": "assign", "reviewer": people.grantee.pk, "target": "selected", "reports": [chosen.pk]},
    )
    assert response.status_code == 302
    assert list(ReviewerAssignment.objects.filter(reviewer=people.grantee).values_list("report", flat=True)) == [
        chosen.pk
    ]
    page = client.get(reverse("cycle_reviewers", args=[open_cycle.pk]))
    assert 'data-reviewer="grantee"' in page.content.decode()


def test_assigning_to_selected_reports_needs_a_selection(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]),
        {"action": "assign", "reviewer": people.grantee.pk, "target": "selected"},
    )
    assert "请在下表中勾选要分配的述职报告。" in response.content.decode()
    assert not ReviewerAssignment.objects.filter(reviewer=people.grantee).exists()


def test_someone_outside_the_committee_cannot_be_made_a_reviewer(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]),
        {"action": "assign", "reviewer": people.branch_secretary.pk, "target": "all"},
    )
    assert response.context["form"].errors["reviewer"]
    assert not ReviewerAssignment.objects.filter(reviewer=people.branch_secretary).exists()


def test_committee_withdraws_a_reviewer_who_has_not_scored(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    assignment = ReviewerAssignment.objects.get(report__organization=tree.branch)
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]), {"action": "unassign", "assignment": assignment.pk}
    )
    assert response.status_code == 302
    assert not ReviewerAssignment.objects.filter(pk=assignment.pk).exists()


def test_a_reviewer_who_submitted_cannot_be_withdrawn(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    assignment = ReviewerAssignment.objects.get(report=report)
    score_fully(assignment)
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]), {"action": "unassign", "assignment": assignment.pk}
    )
    assert "该评议人已提交评分，不能撤销。" in messages_of(response)
    assert ReviewerAssignment.objects.filter(pk=assignment.pk).exists()


def test_an_assignment_of_another_cycle_is_not_found(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, rubric: RubricTemplate
) -> None:
    other = busy_cycle(tree, people, rubric)
    assignment = ReviewerAssignment.objects.filter(report__cycle=other).first()
    assert assignment is not None
    response = signed_in(people.committee_secretary, client).post(
        reverse("cycle_reviewers", args=[open_cycle.pk]), {"action": "unassign", "assignment": assignment.pk}
    )
    assert response.status_code == 404


# 排名 -------------------------------------------------------------------------


@pytest.fixture
def scored_cycle(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> Cycle:
    """一村: daily 90, review 100 and one 好 ballot, which does not count (the window is open, then below the
    minimum of five): (90 × 40 + 100 × 30) / 70 = 94.3 (好, 先进). 二村 and 三村: daily 90 only → 90, but
    never submitted, so 差 by that rule and ranked after 一村."""
    for report in open_cycle.reports.all():
        set_daily(report, "90", people.committee_secretary)
    branch_report = open_cycle.reports.get(organization=tree.branch)
    submit_report(branch_report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=branch_report))
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    services.ballot_cast(code=code, rating="good")
    return open_cycle


def _ranking(response: Any) -> list[tuple[int, str, Decimal, str, str]]:
    return [
        (row.rank, row.organization.code, row.composite, row.grade, row.classification)
        for row in response.context["rows"]
    ]


def test_provisional_ranking_while_open_ties_share_a_rank(
    client: Client, people: SimpleNamespace, tree: Tree, scored_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_ranking", args=[scored_cycle.pk]))
    assert response.status_code == 200
    assert response.context["provisional"]
    assert "暂定排名" in response.content.decode()
    assert _ranking(response) == [
        (1, tree.branch.code, Decimal("94.3"), "good", "advanced"),
        (2, tree.branch_sibling.code, Decimal("90.0"), "poor", "lagging"),
        (2, tree.direct_branch.code, Decimal("90.0"), "poor", "lagging"),
    ]
    grades = {tally.value: tally.count for tally in response.context["grades"]}
    classes = {tally.value: tally.count for tally in response.context["classes"]}
    assert grades == {"good": 1, "fair": 0, "average": 0, "poor": 2, "pending": 0}
    assert classes == {"advanced": 1, "standard": 0, "lagging": 2, "pending": 0}
    page = response.content.decode()
    assert "未提交述职报告，定为“差”" in page
    assert "测评中 · 已投 1 张" in page
    assert "实际权重：日常考核 57.1% · 述职评议 42.9%" in page


def test_closed_ranking_shows_the_stored_results(
    client: Client, people: SimpleNamespace, tree: Tree, scored_cycle: Cycle
) -> None:
    close_cycle(scored_cycle, people.committee_secretary)
    # Stored results never change: even if a figure were altered afterwards, the page shows the stored one.
    Result.objects.filter(report__organization=tree.direct_branch).update(grade_reason="veto")
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_ranking", args=[scored_cycle.pk]))
    assert not response.context["provisional"]
    assert "结果排名" in response.content.decode()
    assert _ranking(response) == [
        (1, tree.branch.code, Decimal("94.3"), "good", "advanced"),
        (2, tree.branch_sibling.code, Decimal("90.0"), "poor", "lagging"),
        (2, tree.direct_branch.code, Decimal("90.0"), "poor", "lagging"),
    ]
    page = response.content.decode()
    assert "触发一票否决" in page
    assert "有效票不足 5 张，不公布" in page
    assert "测试说明" in page  # the committee's reasons for closing over the gaps


def test_a_reviewer_on_the_committee_sees_no_review_figures_before_scoring(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    branch_report = open_cycle.reports.get(organization=tree.branch)
    submit_report(branch_report, people.branch_secretary)
    services.reviewer_assign(reports=[branch_report], reviewer=people.committee_deputy, by=people.committee_secretary)
    score_fully(ReviewerAssignment.objects.get(report=branch_report, reviewer=people.committee_deputy))
    response = signed_in(people.committee_member, client).get(reverse("cycle_ranking", args=[open_cycle.pk]))
    rows = {row.organization.code: row for row in response.context["rows"]}
    assert rows[tree.branch.code].hidden
    assert "提交本人评分后显示" in response.content.decode()
    # The member is assigned to all three and has scored none. Nothing else gives the hidden figures
    # away: no rank, and the grade distribution leaves the reports out (it showed 好 1 before).
    assert all(row.hidden and row.rank is None for row in response.context["rows"])
    assert sum(tally.count for tally in response.context["grades"]) == 0
    assert response.context["hidden"] == 3
    assert "不含您尚未评分的 3 份报告。" in response.content.decode()
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_ranking", args=[open_cycle.pk]))
    assert not any(row.hidden for row in response.context["rows"])


def test_a_reviewer_with_one_report_to_score_sees_the_others_ranked_among_themselves(
    client: Client, people: SimpleNamespace, tree: Tree, scored_cycle: Cycle
) -> None:
    report = scored_cycle.reports.get(organization=tree.branch)
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)

    response = signed_in(people.committee_deputy, client).get(reverse("cycle_ranking", args=[scored_cycle.pk]))

    rows = {row.organization: row for row in response.context["rows"]}
    assert rows[tree.branch].hidden
    assert rows[tree.branch].rank is None
    # The two others rank 1 and 1 among themselves, not 2 and 2 (which would tell 一村 is ahead of them).
    assert (rows[tree.branch_sibling].rank, rows[tree.direct_branch].rank) == (1, 1)
    grades = {tally.value: tally.count for tally in response.context["grades"]}
    assert grades["good"] == 0
    assert grades["poor"] == 2


def test_a_draft_has_no_ranking(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    cycle = draft_cycle(tree, people)
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_ranking", args=[cycle.pk]))
    assert response.context["rows"] == []
    assert "考核尚未启动，暂无排名。" in response.content.decode()


@pytest.mark.parametrize("close", [False, True])
def test_ranking_page_costs_the_same_for_3_or_12_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate, close: bool
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(cycle: Cycle) -> int:
        if close:
            close_cycle(cycle, people.committee_secretary)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cycle_ranking", args=[cycle.pk])).status_code == 200
        return len(queries)

    small = count(busy_cycle(tree, people, rubric))
    add_branches(tree, 9)
    large_cycle = busy_cycle(tree, people, rubric)
    assert large_cycle.reports.count() == 12
    assert count(large_cycle) == small


# 考核指标模板 -----------------------------------------------------------------


def test_committee_creates_a_template_and_adds_indicators(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    client = signed_in(people.committee_secretary, client)
    response = client.post(reverse("rubric_templates"), {"organization": tree.township.pk, "name": "社区模板"})
    template = RubricTemplate.objects.get()
    assert response["Location"] == reverse("rubric_template_detail", args=[template.pk])
    data = {"category": "组织建设", "name": "三会一课", "guidance": "按次计分", "kind": "standard", "max_points": "30"}
    assert client.post(reverse("rubric_template_detail", args=[template.pk]), data).status_code == 302
    response = client.get(reverse("rubric_template_detail", args=[template.pk]))
    assert [indicator.name for indicator in response.context["indicators"]] == ["三会一课"]
    assert response.context["standard_total"] == Decimal("30")
    listing = client.get(reverse("rubric_templates"))
    assert [item.indicator_count for item in listing.context["page"].object_list] == [1]


def test_a_template_of_the_county_is_usable_below_but_kept_above(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    county_template = RubricTemplate.objects.create(organization=tree.county, name="县委模板")
    client = signed_in(people.committee_secretary, client)
    response = client.get(reverse("rubric_template_detail", args=[county_template.pk]))
    assert response.status_code == 200
    assert not response.context["may_manage"]
    data = {"category": "组织建设", "name": "三会一课", "guidance": "", "kind": "standard", "max_points": "30"}
    assert client.post(reverse("rubric_template_detail", args=[county_template.pk]), data).status_code == 403
    create = client.get(reverse("cycle_create"))
    assert county_template in create.context["form"].fields["template"].queryset


def test_templates_follow_who_keeps_them(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate, sibling_secretary: Any
) -> None:
    assert signed_in(people.branch_secretary, client).get(reverse("rubric_templates")).status_code == 403
    url = reverse("rubric_template_detail", args=[rubric.pk])
    assert signed_in(people.branch_secretary, client).get(url).status_code == 404
    assert signed_in(sibling_secretary, client).get(url).status_code == 404
    assert signed_in(people.committee_member, client).get(url).status_code == 200
    assert signed_in(people.admin, client).get(url).status_code == 200


def test_reviewers_page_costs_the_same_for_3_or_12_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(cycle: Cycle) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cycle_reviewers", args=[cycle.pk])).status_code == 200
        return len(queries)

    small = count(busy_cycle(tree, people, rubric))
    add_branches(tree, 9)
    assert count(busy_cycle(tree, people, rubric)) == small
