"""Scoring pages: the reviewer's queue and scoring sheet, and the committee's assessment of one report.

Why one long file: the reviewer's sheet and the committee's assessment score the same reports, built once
by the helpers at the top; each page is a section below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Position, User
from accounts.services import position_assign
from reviews import services
from reviews.models import (
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    Problem,
    Rating,
    ReviewerAssignment,
    Score,
)
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.reviews.conftest import close_cycle, counted_after_window, make_codes

# Helpers ---------------------------------------------------------------------------


def report_of(cycle: Cycle, organization: Organization) -> DutyReport:
    return cycle.reports.select_related("cycle", "organization").get(organization=organization)


def submit_report(report: DutyReport, by: User, text: str = "<p>全年召开支委会十二次。</p>") -> DutyReport:
    titles = report.cycle.section_titles()
    services.report_save(report=report, sections=dict.fromkeys(titles, text), revision=report.revision, by=by)
    report.refresh_from_db()
    services.report_submit(report=report, by=by)
    report.refresh_from_db()
    return report


def assignment_of(report: DutyReport, reviewer: User) -> ReviewerAssignment:
    return ReviewerAssignment.objects.select_related("report__cycle").get(report=report, reviewer=reviewer)


def assign(report: DutyReport, reviewer: User, by: User) -> ReviewerAssignment:
    services.reviewer_assign(reports=[report], reviewer=reviewer, by=by)
    return assignment_of(report, reviewer)


def indicators(cycle: Cycle) -> dict[str, Indicator]:
    return {indicator.name: indicator for indicator in cycle.indicators.all()}


def full_marks(cycle: Cycle, points: Decimal | None = None) -> dict[int, dict[str, Any]]:
    """An entry for every standard indicator: POINTS each, or the maximum."""
    return {
        indicator.pk: {"points": points if points is not None else indicator.max_points, "note": ""}
        for indicator in cycle.indicators.filter(kind=IndicatorKind.STANDARD)
    }


def score_and_submit(assignment: ReviewerAssignment, entries: dict[int, dict[str, Any]], by: User) -> None:
    services.scores_save(assignment=assignment, entries=entries, comment="", by=by)
    services.scores_submit(assignment=assignment, by=by)


def sheet_data(cycle: Cycle, values: dict[str, str], **extra: str) -> dict[str, str]:
    """The scoring form's POST data, by indicator name: points, or "on" for a veto indicator."""
    by_name = indicators(cycle)
    data: dict[str, str] = {"comment": extra.pop("comment", ""), "action": extra.pop("action", "save")}
    for name, value in values.items():
        indicator = by_name[name]
        if indicator.kind == IndicatorKind.VETO:
            data[f"vetoed_{indicator.pk}"] = value
        else:
            data[f"points_{indicator.pk}"] = value
    data.update(extra)
    return data


def body_of(client: Client, user: User, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def holder(username: str, organization: Organization, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username)
    position_assign(person=person, organization=organization, role=role)
    return person


def queries_for(client: Client, user: User, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def small_cycle(tree: Tree, people: SimpleNamespace, standard_count: int, reviewers: Sequence[User]) -> Cycle:
    """A cycle of the township over 一村 alone, with STANDARD_COUNT standard indicators, a bonus and a veto."""
    today = timezone.localdate()
    by = people.committee_secretary
    cycle = services.cycle_create(
        organization=tree.township,
        year=today.year,
        title=f"专项述职 {standard_count}",
        report_due=today + timedelta(days=5),
        scoring_due=today + timedelta(days=9),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=5),
        participants=[tree.branch],
        by=by,
    )
    for number in range(standard_count):
        services.indicator_add(
            cycle=cycle,
            category=f"类别{number % 3}",
            name=f"指标{number}",
            guidance="按会议记录评分",
            kind=IndicatorKind.STANDARD,
            max_points=10,
            by=by,
        )
    services.indicator_add(cycle=cycle, category="加分", name="表彰", guidance="", kind="bonus", max_points=5, by=by)
    services.indicator_add(cycle=cycle, category="否决", name="违纪", guidance="", kind="veto", max_points=0, by=by)
    services.cycle_open(cycle=cycle, by=by)
    report = report_of(cycle, tree.branch)
    for indicator in cycle.indicators.filter(kind=IndicatorKind.STANDARD):
        services.self_assessment_save(
            report=report, indicator=indicator, points=8, note="自评说明", record_ids=[], by=people.branch_secretary
        )
    submit_report(report, people.branch_secretary)
    for reviewer in reviewers:
        assignment = assign(report, reviewer, by)
        score_and_submit(assignment, full_marks(cycle, Decimal("7.5")), reviewer)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def report(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    """一村's report, submitted by its secretary."""
    return submit_report(report_of(open_cycle, tree.branch), people.branch_secretary)


@pytest.fixture
def member_assignment(report: DutyReport, people: SimpleNamespace) -> ReviewerAssignment:
    return assignment_of(report, people.committee_member)


@pytest.fixture
def deputy_assignment(report: DutyReport, people: SimpleNamespace) -> ReviewerAssignment:
    """A second reviewer on the same report: the township's deputy secretary."""
    return assign(report, people.committee_deputy, people.committee_secretary)


# The queue --------------------------------------------------------------------------


def test_queue_lists_assigned_reports_with_draft_ones_waiting_for_submission(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace, tree: Tree
) -> None:
    body = body_of(client, people.committee_member, reverse("review_queue"))
    assert body.count("data-assignment=") == 3
    for name in ("一村党支部", "二村党支部", "三村党支部"):
        assert name in body
    assert body.count('data-status="pending"') == 2  # 二村 and 三村 are still drafts
    assert "待提交" in body
    assert 'data-scored="none"' in body
    assert reverse("report_score", args=[assignment_of(report, people.committee_member).pk]) in body


def test_queue_shows_whether_my_scores_are_saved_or_submitted(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    services.scores_save(
        assignment=member_assignment, entries=full_marks(open_cycle), comment="", by=people.committee_member
    )
    assert 'data-scored="saved"' in body_of(client, people.committee_member, reverse("review_queue"))
    services.scores_submit(assignment=member_assignment, by=people.committee_member)
    assert 'data-scored="submitted"' in body_of(client, people.committee_member, reverse("review_queue"))


def test_queue_leaves_out_closed_cycles_and_other_reviewers_assignments(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace
) -> None:
    assert "data-assignment=" not in body_of(client, people.committee_deputy, reverse("review_queue"))
    close_cycle(open_cycle, people.committee_secretary)
    body = body_of(client, people.committee_member, reverse("review_queue"))
    assert "data-assignment=" not in body
    assert "暂无分配给您的评分任务" in body


def test_queue_links_to_the_assessment_only_for_those_who_may_assess(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    assert reverse("report_assess", args=[report.pk]) in body_of(
        client, people.committee_member, reverse("review_queue")
    )


def test_queue_query_count_does_not_grow_with_the_number_of_assignments(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace
) -> None:
    assign(report, people.committee_deputy, people.committee_secretary)
    one = queries_for(client, people.committee_deputy, reverse("review_queue"))
    three = queries_for(client, people.committee_member, reverse("review_queue"))
    assert one == three


def test_nav_shows_scoring_to_committee_people_only(client: Client, people: SimpleNamespace) -> None:
    url = reverse("review_queue")
    assert f'href="{url}?year=' in body_of(client, people.committee_member, reverse("home"))
    assert f'href="{url}?year=' not in body_of(client, people.branch_secretary, reverse("home"))


# The scoring page: who sees it ------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["committee_deputy", "committee_secretary", "branch_secretary", "grantee", "admin", "outsider"]
)
def test_only_the_assigned_reviewer_opens_a_scoring_page(
    client: Client, member_assignment: ReviewerAssignment, people: SimpleNamespace, who: str
) -> None:
    client.force_login(getattr(people, who))
    assert client.get(reverse("report_score", args=[member_assignment.pk])).status_code == 404


def test_a_reviewer_not_assigned_gets_404_posting_to_someone_elses_assignment(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_deputy)
    response = client.post(
        reverse("report_score", args=[member_assignment.pk]), sheet_data(open_cycle, {"“三会一课”落实": "50"})
    )
    assert response.status_code == 404
    assert not Score.objects.exists()


def test_sign_in_is_required(client: Client, member_assignment: ReviewerAssignment) -> None:
    response = client.get(reverse("report_score", args=[member_assignment.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# The scoring page: the sheet ----------------------------------------------------------


def test_scoring_page_shows_the_report_beside_the_rubric(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    body = body_of(client, people.committee_member, reverse("report_score", args=[member_assignment.pk]))
    assert 'class="score-layout"' in body
    assert "<p>全年召开支委会十二次。</p>" in body  # sanitized on save, rendered as HTML
    for title in open_cycle.section_titles():
        assert title in body
    by_name = indicators(open_cycle)
    first = by_name["“三会一课”落实"]
    assert f'name="points_{first.pk}"' in body
    assert 'step="0.5"' in body
    assert 'max="60.0"' in body
    assert f'name="vetoed_{by_name["发生严重违纪"].pk}"' in body
    assert "触发否决" in body
    assert "加分上限 5 分" in body
    assert "扣分上限 10 分" in body
    assert 'value="save"' in body
    assert 'value="submit"' in body


def test_scoring_page_shows_the_self_assessment_beside_each_indicator(
    client: Client, open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    draft = report_of(open_cycle, tree.branch)
    first = indicators(open_cycle)["“三会一课”落实"]
    services.self_assessment_save(
        report=draft, indicator=first, points="58.5", note="每月按时召开", record_ids=[], by=people.branch_secretary
    )
    report = submit_report(draft, people.branch_secretary)
    body = body_of(
        client,
        people.committee_member,
        reverse("report_score", args=[assignment_of(report, people.committee_member).pk]),
    )
    assert "每月按时召开" in body
    assert "自评 58.5 分" in body


def test_a_draft_report_cannot_be_scored_and_says_it_waits_for_submission(
    client: Client, open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    draft = report_of(open_cycle, tree.branch_sibling)
    assignment = assignment_of(draft, people.committee_member)
    url = reverse("report_score", args=[assignment.pk])
    body = body_of(client, people.committee_member, url)
    assert "待提交" in body
    assert 'name="points_' not in body
    response = client.post(url, sheet_data(open_cycle, {"“三会一课”落实": "50"}), follow=True)
    assert "当前不能评分" in response.content.decode()
    assert not Score.objects.exists()


def test_saving_keeps_the_scores_and_the_comment(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_member)
    url = reverse("report_score", args=[member_assignment.pk])
    data = sheet_data(
        open_cycle,
        {"“三会一课”落实": "55.5", "获上级表彰": "2", "发生严重违纪": "on"},
        comment="总体扎实",
    )
    data[f"note_{indicators(open_cycle)['“三会一课”落实'].pk}"] = "记录齐全"
    response = client.post(url, data)
    assert response.status_code == 302
    scores = {score.indicator.name: score for score in Score.objects.select_related("indicator")}
    assert scores["“三会一课”落实"].points == Decimal("55.5")
    assert scores["“三会一课”落实"].note == "记录齐全"
    assert scores["获上级表彰"].points == Decimal("2")
    assert scores["发生严重违纪"].vetoed
    assert "为民办实事" not in scores  # a standard indicator left empty stays unscored
    member_assignment.refresh_from_db()
    assert member_assignment.comment == "总体扎实"
    assert member_assignment.submitted_at is None
    body = client.get(url).content.decode()
    assert 'value="55.5"' in body
    assert "记录齐全" in body


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-1", "须在 0 到 60.0 之间"), ("60.5", "须在 0 到 60.0 之间"), ("abc", "须是数字")],
)
def test_an_out_of_range_score_is_refused_with_the_message_and_nothing_is_saved(
    client: Client,
    open_cycle: Cycle,
    member_assignment: ReviewerAssignment,
    people: SimpleNamespace,
    typed: str,
    message: str,
) -> None:
    client.force_login(people.committee_member)
    data = sheet_data(open_cycle, {"“三会一课”落实": typed, "为民办实事": "30"}, comment="不应保存")
    response = client.post(reverse("report_score", args=[member_assignment.pk]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert f'value="{typed}"' in body  # the form keeps what was typed
    assert 'value="30"' in body
    assert not Score.objects.exists()
    member_assignment.refresh_from_db()
    assert member_assignment.comment == ""


def test_a_bad_score_leaves_earlier_saved_scores_untouched(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    services.scores_save(
        assignment=member_assignment, entries=full_marks(open_cycle), comment="", by=people.committee_member
    )
    client.force_login(people.committee_member)
    client.post(
        reverse("report_score", args=[member_assignment.pk]),
        sheet_data(open_cycle, {"“三会一课”落实": "20", "为民办实事": "41"}),
    )
    assert sorted(Score.objects.values_list("points", flat=True)) == [Decimal("40"), Decimal("60")]


def test_an_emptied_score_is_refused_rather_than_silently_kept(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    services.scores_save(
        assignment=member_assignment, entries=full_marks(open_cycle), comment="", by=people.committee_member
    )
    client.force_login(people.committee_member)
    response = client.post(
        reverse("report_score", args=[member_assignment.pk]),
        sheet_data(open_cycle, {"“三会一课”落实": "", "为民办实事": "10"}),
    )
    assert "不能清空" in response.content.decode()
    assert sorted(Score.objects.values_list("points", flat=True)) == [Decimal("40"), Decimal("60")]


def test_submitting_requires_every_standard_indicator_scored(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_member)
    data = sheet_data(open_cycle, {"“三会一课”落实": "50"}, action="submit", confirm="on")
    response = client.post(reverse("report_score", args=[member_assignment.pk]), data, follow=True)
    assert "还有 1 项考核指标未评分" in response.content.decode()
    member_assignment.refresh_from_db()
    assert member_assignment.submitted_at is None
    assert Score.objects.get(indicator__kind="standard").points == Decimal("50")  # what was typed is saved


def test_submitting_needs_the_confirmation(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_member)
    data = sheet_data(open_cycle, {"“三会一课”落实": "50", "为民办实事": "30"}, action="submit")
    response = client.post(reverse("report_score", args=[member_assignment.pk]), data, follow=True)
    assert "尚未提交" in response.content.decode()
    member_assignment.refresh_from_db()
    assert member_assignment.submitted_at is None
    assert Score.objects.count() == 5  # two standard, the bonus and deduction entries (0), the veto


def test_submitting_locks_the_sheet(
    client: Client, open_cycle: Cycle, member_assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_member)
    url = reverse("report_score", args=[member_assignment.pk])
    data = sheet_data(open_cycle, {"“三会一课”落实": "50", "为民办实事": "30"}, action="submit", confirm="on")
    body = client.post(url, data, follow=True).content.decode()
    assert "评分已提交" in body
    assert 'name="points_' not in body
    member_assignment.refresh_from_db()
    assert member_assignment.submitted_at is not None
    response = client.post(url, sheet_data(open_cycle, {"“三会一课”落实": "10", "为民办实事": "10"}), follow=True)
    assert "当前不能评分" in response.content.decode()
    assert sorted(Score.objects.filter(indicator__kind="standard").values_list("points", flat=True)) == [30, 50]


def test_other_reviewers_scores_stay_hidden_until_i_submit(
    client: Client,
    open_cycle: Cycle,
    member_assignment: ReviewerAssignment,
    deputy_assignment: ReviewerAssignment,
    people: SimpleNamespace,
) -> None:
    by_name = indicators(open_cycle)
    first, second = by_name["“三会一课”落实"], by_name["为民办实事"]
    score_and_submit(
        deputy_assignment,
        {first.pk: {"points": "57.5", "note": "副书记的说明"}, second.pk: {"points": "33.5", "note": ""}},
        people.committee_deputy,
    )
    url = reverse("report_score", args=[member_assignment.pk])
    body = body_of(client, people.committee_member, url)
    assert "57.5" not in body
    assert "33.5" not in body
    assert "副书记的说明" not in body
    assert "data-mean=" not in body
    assert "data-reviewers=" not in body

    score_and_submit(
        member_assignment,
        {first.pk: {"points": "52.5", "note": ""}, second.pk: {"points": "36.5", "note": ""}},
        people.committee_member,
    )
    body = body_of(client, people.committee_member, url)
    assert f'data-mean="{first.pk}">55</td>' in body  # (57.5 + 52.5) / 2
    assert f'data-mean="{second.pk}">35</td>' in body
    assert 'data-reviewers="2"' in body
    assert "副书记的说明" not in body  # the others' notes stay theirs


def test_means_drop_the_highest_and_lowest_from_five_reviewers(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace
) -> None:
    by_name = indicators(open_cycle)
    first, second = by_name["“三会一课”落实"], by_name["为民办实事"]
    reviewers = [
        people.committee_member,
        people.committee_deputy,
        people.committee_secretary,
        people.committee_staff,
        people.grantee,
    ]
    for reviewer, points in zip(reviewers, ["10", "50", "52", "54", "60"], strict=True):
        assignment = assign(report, reviewer, people.committee_secretary)
        score_and_submit(assignment, {first.pk: {"points": points}, second.pk: {"points": "40"}}, reviewer)
    body = body_of(
        client,
        people.committee_member,
        reverse("report_score", args=[assignment_of(report, people.committee_member).pk]),
    )
    assert f'data-mean="{first.pk}">52</td>' in body
    assert 'data-reviewers="5"' in body


def test_two_reviewers_saving_in_turn_keep_each_others_work(
    client: Client,
    open_cycle: Cycle,
    member_assignment: ReviewerAssignment,
    deputy_assignment: ReviewerAssignment,
    people: SimpleNamespace,
) -> None:
    member, deputy = Client(), Client()
    member.force_login(people.committee_member)
    deputy.force_login(people.committee_deputy)
    member_url = reverse("report_score", args=[member_assignment.pk])
    deputy_url = reverse("report_score", args=[deputy_assignment.pk])
    # Both open their sheets, then save in turn, each twice, interleaved.
    assert member.get(member_url).status_code == 200
    assert deputy.get(deputy_url).status_code == 200
    assert member.post(member_url, sheet_data(open_cycle, {"“三会一课”落实": "40"})).status_code == 302
    assert deputy.post(deputy_url, sheet_data(open_cycle, {"“三会一课”落实": "45"})).status_code == 302
    assert (
        member.post(member_url, sheet_data(open_cycle, {"为民办实事": "30", "“三会一课”落实": "41"})).status_code == 302
    )
    assert (
        deputy.post(deputy_url, sheet_data(open_cycle, {"为民办实事": "35", "“三会一课”落实": "45"})).status_code == 302
    )
    by_reviewer = {
        (score.assignment.reviewer_id, score.indicator.name): score.points
        for score in Score.objects.select_related("assignment", "indicator").filter(indicator__kind="standard")
    }
    assert by_reviewer == {
        (people.committee_member.pk, "“三会一课”落实"): Decimal("41"),
        (people.committee_member.pk, "为民办实事"): Decimal("30"),
        (people.committee_deputy.pk, "“三会一课”落实"): Decimal("45"),
        (people.committee_deputy.pk, "为民办实事"): Decimal("35"),
    }


def test_scoring_page_query_count_does_not_grow_with_reviewers_or_indicators(
    client: Client, tree: Tree, people: SimpleNamespace, rubric: Any
) -> None:
    small = small_cycle(tree, people, 3, [people.committee_member])
    reviewers = [people.committee_member, people.committee_deputy, people.committee_staff]
    # The same organization reports once per cycle: the larger case lives in a second cycle.
    large = small_cycle(tree, people, 9, reviewers)
    small_assignment = assignment_of(report_of(small, tree.branch), people.committee_member)
    large_assignment = assignment_of(report_of(large, tree.branch), people.committee_member)
    one = queries_for(client, people.committee_member, reverse("report_score", args=[small_assignment.pk]))
    many = queries_for(client, people.committee_member, reverse("report_score", args=[large_assignment.pk]))
    assert one == many


# The committee's assessment ---------------------------------------------------------


@pytest.mark.parametrize("who", ["committee_secretary", "committee_member", "grantee", "admin"])
def test_the_committee_above_assesses_the_report(
    client: Client, report: DutyReport, people: SimpleNamespace, who: str
) -> None:
    body = body_of(client, getattr(people, who), reverse("report_assess", args=[report.pk]))
    assert "点评意见" in body
    assert "<p>全年召开支委会十二次。</p>" in body


@pytest.mark.parametrize("who", ["branch_secretary", "branch_deputy", "branch_member"])
def test_the_branch_itself_cannot_assess_its_report(
    client: Client, report: DutyReport, people: SimpleNamespace, who: str
) -> None:
    client.force_login(getattr(people, who))
    assert client.get(reverse("report_assess", args=[report.pk])).status_code == 403


def test_a_general_branch_between_them_cannot_assess_outside_the_cycle_committee(
    client: Client, report: DutyReport, tree: Tree
) -> None:
    # 甲镇机关党总支 supervises 一村 but the cycle belongs to 甲镇党委, above it.
    client.force_login(holder("general_secretary", tree.general))
    assert client.get(reverse("report_assess", args=[report.pk])).status_code == 403


@pytest.mark.parametrize("where", ["sibling_township", "unrelated", "branch_sibling"])
def test_a_sibling_or_unrelated_organization_gets_404(
    client: Client, report: DutyReport, tree: Tree, where: str
) -> None:
    client.force_login(holder(f"{where}_secretary", getattr(tree, where)))
    assert client.get(reverse("report_assess", args=[report.pk])).status_code == 404
    assert client.post(reverse("report_return", args=[report.pk]), {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["committee_party_member", "outsider"])
def test_members_and_outsiders_get_404(client: Client, report: DutyReport, people: SimpleNamespace, who: str) -> None:
    client.force_login(getattr(people, who))
    assert client.get(reverse("report_assess", args=[report.pk])).status_code == 404


def test_assessment_shows_submitted_reviewers_scores_and_the_review_component(
    client: Client,
    open_cycle: Cycle,
    member_assignment: ReviewerAssignment,
    deputy_assignment: ReviewerAssignment,
    report: DutyReport,
    people: SimpleNamespace,
) -> None:
    by_name = indicators(open_cycle)
    first, second = by_name["“三会一课”落实"], by_name["为民办实事"]
    score_and_submit(
        member_assignment,
        {first.pk: {"points": "48"}, second.pk: {"points": "32"}, by_name["获上级表彰"].pk: {"points": "5"}},
        people.committee_member,
    )
    services.scores_save(  # saved, not submitted: stays out of the table
        assignment=deputy_assignment, entries={first.pk: {"points": "13.5"}}, comment="", by=people.committee_deputy
    )
    body = body_of(client, people.committee_secretary, reverse("report_assess", args=[report.pk]))
    assert f'data-reviewer-total="{member_assignment.pk}"><strong>85.0</strong>' in body  # 80 + 5 bonus
    assert "data-review-score>85.0<" in body
    assert "13.5" not in body
    assert "尚未提交" in body
    assert people.committee_deputy.get_full_name() in body


def test_assessment_shows_turnout_while_the_window_is_open_and_the_tally_after_it(
    client: Client, open_cycle: Cycle, report: DutyReport, tree: Tree, people: SimpleNamespace
) -> None:
    for code, rating in zip(
        make_codes(open_cycle, tree.branch, 5, people),
        [Rating.GOOD, Rating.GOOD, Rating.FAIR, Rating.POOR, Rating.GOOD],
        strict=True,
    ):
        services.ballot_cast(code=code, rating=rating)
    services.ballot_cast(code=make_codes(open_cycle, tree.branch_sibling, 1, people)[0], rating=Rating.POOR)
    url = reverse("report_assess", args=[report.pk])

    body = body_of(client, people.committee_secretary, url)
    assert "已投票 5 张 / 测评码 5 个" in body
    assert "data-rating=" not in body
    assert "测评中，结束后公布" in body

    counted_after_window(open_cycle)
    body = body_of(client, people.committee_secretary, url)
    assert '<li data-rating="good"><span class="count">3</span>' in body
    assert '<li data-rating="poor"><span class="count">1</span>' in body
    assert "有效票 5 张，其中“差” 1 票，测评得分 84.0" in body  # (300 + 80 + 40) / 5
    assert "无清单" in body


def test_comment_and_a_manual_daily_score_are_saved(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_secretary)
    url = reverse("report_assess", args=[report.pk])
    response = client.post(
        url, {"form": "comment", "comment": "班子团结，工作扎实。", "daily_score": "88", "daily_reason": "督查优秀"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.comment == "班子团结，工作扎实。"
    assert report.daily_score == Decimal("88")
    assert report.daily_reason == "督查优秀"
    body = client.get(url).content.decode()
    assert "人工评定" in body
    assert "督查优秀" in body


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [("88", "", "请填写人工评定理由"), ("101", "优秀", "须在 0 到 100 之间"), ("abc", "优秀", "须是数字")],
)
def test_a_bad_daily_score_is_refused_and_the_comment_is_kept_as_typed(
    client: Client, report: DutyReport, people: SimpleNamespace, score: str, reason: str, message: str
) -> None:
    client.force_login(people.committee_secretary)
    response = client.post(
        reverse("report_assess", args=[report.pk]),
        {"form": "comment", "comment": "尚未保存的点评", "daily_score": score, "daily_reason": reason},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "尚未保存的点评" in body
    report.refresh_from_db()
    assert report.comment == ""
    assert report.daily_score is None


def test_problems_are_added_one_entry_each_and_removed(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_secretary)
    url = reverse("report_assess", args=[report.pk])
    assert client.post(url, {"form": "problem", "text": "组织生活会质量不高"}).status_code == 302
    assert client.post(url, {"form": "problem", "text": "发展党员程序不规范"}).status_code == 302
    assert list(report.problems.values_list("text", flat=True)) == ["组织生活会质量不高", "发展党员程序不规范"]
    body = client.get(url).content.decode()
    assert body.count("data-problem=") == 2
    first = report.problems.first()
    assert first is not None
    assert client.post(reverse("problem_remove", args=[first.pk])).status_code == 302
    assert list(report.problems.values_list("text", flat=True)) == ["发展党员程序不规范"]


def test_an_empty_problem_is_refused(client: Client, report: DutyReport, people: SimpleNamespace) -> None:
    client.force_login(people.committee_secretary)
    response = client.post(reverse("report_assess", args=[report.pk]), {"form": "problem", "text": "  "})
    assert response.status_code == 200
    assert "请填写问题内容" in response.content.decode()
    assert not Problem.objects.exists()


def test_removing_a_problem_needs_post_and_the_right_to_assess(
    client: Client, report: DutyReport, tree: Tree, people: SimpleNamespace
) -> None:
    problem = services.problem_add(report=report, text="台账不全", by=people.committee_secretary)
    url = reverse("problem_remove", args=[problem.pk])
    client.force_login(people.committee_secretary)
    assert client.get(url).status_code == 405
    client.force_login(people.branch_secretary)
    assert client.post(url).status_code == 403
    client.force_login(holder("sibling_secretary", tree.sibling_township))
    assert client.post(url).status_code == 404
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_returning_without_a_reason_is_refused_with_a_clear_message(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_secretary)
    response = client.post(reverse("report_return", args=[report.pk]), {"reason": "   "})
    assert response.status_code == 200
    assert "退回修改须填写理由" in response.content.decode()
    report.refresh_from_db()
    assert report.status == DutyReport.Status.SUBMITTED


def test_returning_with_a_reason_reopens_the_report(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    client.force_login(people.committee_secretary)
    assert client.get(reverse("report_return", args=[report.pk])).status_code == 405
    response = client.post(reverse("report_return", args=[report.pk]), {"reason": "存在问题部分过于笼统"}, follow=True)
    assert "已退回修改" in response.content.decode()
    report.refresh_from_db()
    assert report.status == DutyReport.Status.RETURNED
    assert report.return_reason == "存在问题部分过于笼统"
    # The committee still reads the last submitted version while the secretary revises.
    body = response.content.decode()
    assert "最近一次提交的第 1 版" in body
    assert "<p>全年召开支委会十二次。</p>" in body


def test_returning_a_report_twice_is_refused(client: Client, report: DutyReport, people: SimpleNamespace) -> None:
    services.report_return(report=report, by=people.committee_secretary, reason="补充")
    client.force_login(people.committee_secretary)
    response = client.post(reverse("report_return", args=[report.pk]), {"reason": "再退"}, follow=True)
    assert "不能执行此操作" in response.content.decode()


def test_a_branch_secretary_cannot_return_their_own_report(
    client: Client, report: DutyReport, people: SimpleNamespace
) -> None:
    client.force_login(people.branch_secretary)
    assert client.post(reverse("report_return", args=[report.pk]), {"reason": "自己退回"}).status_code == 403
    report.refresh_from_db()
    assert report.status == DutyReport.Status.SUBMITTED


def test_everything_is_read_only_once_the_cycle_is_closed(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace
) -> None:
    problem = services.problem_add(report=report, text="台账不全", by=people.committee_secretary)
    close_cycle(open_cycle, people.committee_secretary)
    url = reverse("report_assess", args=[report.pk])
    body = body_of(client, people.committee_secretary, url)
    assert 'data-closed="true"' in body
    assert body.count('<fieldset class="plain" disabled>') == 3
    assert "保存点评" not in body
    assert "添加问题" not in body
    response = client.post(url, {"form": "comment", "comment": "迟到的点评"})
    assert "考核已结束" in response.content.decode()
    response = client.post(url, {"form": "problem", "text": "迟到的问题"})
    assert "考核已结束" in response.content.decode()
    response = client.post(reverse("problem_remove", args=[problem.pk]), follow=True)
    assert "考核已结束" in response.content.decode()
    response = client.post(reverse("report_return", args=[report.pk]), {"reason": "迟到的退回"}, follow=True)
    assert "考核已结束" in response.content.decode()
    report.refresh_from_db()
    assert report.comment == ""
    assert report.status == DutyReport.Status.SUBMITTED
    assert list(report.problems.values_list("text", flat=True)) == ["台账不全"]


def test_assessment_query_count_does_not_grow_with_reviewers_or_indicators(
    client: Client, tree: Tree, people: SimpleNamespace, rubric: Any
) -> None:
    small = small_cycle(tree, people, 3, [people.committee_member])
    large = small_cycle(tree, people, 9, [people.committee_member, people.committee_deputy, people.committee_staff])
    for cycle in (small, large):
        report = report_of(cycle, tree.branch)
        services.problem_add(report=report, text="问题一", by=people.committee_secretary)
        services.ballot_cast(code=make_codes(cycle, tree.branch, 1, people)[0], rating=Rating.GOOD)
    small_count = queries_for(
        client, people.committee_secretary, reverse("report_assess", args=[report_of(small, tree.branch).pk])
    )
    large_count = queries_for(
        client, people.committee_secretary, reverse("report_assess", args=[report_of(large, tree.branch).pk])
    )
    assert small_count == large_count
