"""A reviewer's assignment is used only while they supervise the report's organization now.

The assignment row outlives a position that ends (it is history, and the committee sees it marked
已离任); the right to read and score through it does not. Pages answer as for anyone else, the services
refuse, the queue, the home page, the reminders and the calendar forget it.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from accounts.models import Position, User
from accounts.permissions import Action, can
from accounts.services import position_assign, position_end, supervision_revoke
from foundation.errors import DomainError
from reminders import sweep as reminders
from reviews import access, selectors, services
from reviews.models import Cycle, DutyReport, GapKind, ReviewerAssignment, Score
from tests.clients import signed_in
from tests.conftest import Tree
from tests.reviews.test_scoring_views import assignment_of, full_marks, report_of, sheet_data, submit_report

STANDARD = "“三会一课”落实"
DEPARTED_MESSAGE = "您已不再督导一村党支部（任职已结束或督导授权已撤销），不能再对其述职报告评分。"


def fresh(user: User) -> User:
    """The person as the next request or task loads them: the scope is cached on a user object for one request."""
    return User.objects.get(pk=user.pk)


def end_positions(user: User) -> None:
    for position in Position.objects.current().filter(person=user):
        position_end(position=position)


@pytest.fixture
def report(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    """一村's report, submitted; the township's 委员 (committee_member) is assigned to it."""
    return submit_report(report_of(open_cycle, tree.branch), people.branch_secretary)


@pytest.fixture
def assignment(report: DutyReport, people: SimpleNamespace) -> ReviewerAssignment:
    return assignment_of(report, people.committee_member)


def rows() -> list[Any]:
    """Every row scoring writes, to show a refused call wrote nothing."""
    return [
        list(Score.objects.order_by("pk").values()),
        list(ReviewerAssignment.objects.order_by("pk").values()),
    ]


# While in office --------------------------------------------------------------------------------


def test_a_reviewer_in_office_reads_scores_and_is_reminded(
    client: Client, open_cycle: Cycle, report: DutyReport, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client = signed_in(people.committee_member, client)
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 200
    assert client.get(reverse("report_score", args=[assignment.pk])).status_code == 200
    assert f'data-assignment="{assignment.pk}"' in client.get(reverse("review_queue")).content.decode()
    response = client.post(reverse("report_score", args=[assignment.pk]), sheet_data(open_cycle, {STANDARD: "50"}))
    assert response.status_code == 302
    assert Score.objects.get(assignment=assignment, indicator__name=STANDARD).points == 50
    assert selectors.home_reviews(fresh(people.committee_member), []).to_score == 1
    assert f"scoring:{assignment.pk}" in {d.key for d in reminders.deadlines_for(people.committee_member)}
    assert reminders.sweep(today=open_cycle.scoring_due - timedelta(days=1)).by_source["scoring"] == 1


def test_a_reviewer_who_moves_up_still_supervising_keeps_the_assignment(
    client: Client,
    open_cycle: Cycle,
    assignment: ReviewerAssignment,
    people: SimpleNamespace,
    tree: Tree,
) -> None:
    """The rule is "supervises now", not "holds the position held when assigned"."""
    end_positions(people.committee_member)
    position_assign(person=people.committee_member, organization=tree.county, role=Position.Role.DEPUTY)
    reviewer = fresh(people.committee_member)
    assert access.assignment_for(reviewer, assignment.pk) == assignment
    services.scores_save(assignment=assignment, entries=full_marks(open_cycle), comment="", by=reviewer)
    services.scores_submit(assignment=assignment, by=reviewer)
    assert signed_in(reviewer, client).get(reverse("report_score", args=[assignment.pk])).status_code == 200


# Once the position has ended ----------------------------------------------------------------------


def test_after_the_position_ends_every_page_answers_as_for_a_stranger(
    client: Client, open_cycle: Cycle, report: DutyReport, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    end_positions(people.committee_member)
    before = rows()
    client = signed_in(people.committee_member, client)
    score_url = reverse("report_score", args=[assignment.pk])
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("report_version", args=[report.pk, 1])).status_code == 404
    assert client.get(score_url).status_code == 404
    assert (
        client.post(score_url, sheet_data(open_cycle, {STANDARD: "50"}, action="submit", confirm="on")).status_code
        == 404
    )
    assert "data-assignment=" not in client.get(reverse("review_queue")).content.decode()
    assert rows() == before
    assert ReviewerAssignment.objects.filter(pk=assignment.pk).exists()  # the row stays, as history


def test_a_former_reviewer_who_still_sees_the_branch_gets_403(
    client: Client, report: DutyReport, assignment: ReviewerAssignment, people: SimpleNamespace, tree: Tree
) -> None:
    """Seen but not allowed is 403, as for every other person who sees the branch without supervising it."""
    end_positions(people.committee_member)
    position_assign(person=people.committee_member, organization=tree.branch, role=Position.Role.MEMBER)
    client = signed_in(people.committee_member, client)
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 403
    assert client.get(reverse("report_score", args=[assignment.pk])).status_code == 403


CALLS = {
    "scores_save": lambda cycle, assignment, by: services.scores_save(
        assignment=assignment, entries=full_marks(cycle), comment="迟到", by=by
    ),
    "scores_submit": lambda cycle, assignment, by: services.scores_submit(assignment=assignment, by=by),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_the_services_refuse_a_reviewer_whose_position_ended(
    open_cycle: Cycle, assignment: ReviewerAssignment, people: SimpleNamespace, call: str
) -> None:
    services.scores_save(assignment=assignment, entries=full_marks(open_cycle), comment="", by=people.committee_member)
    end_positions(people.committee_member)
    before = rows()
    with pytest.raises(DomainError, match=DEPARTED_MESSAGE):
        CALLS[call](open_cycle, assignment, fresh(people.committee_member))
    assert rows() == before


def test_a_stale_scoring_page_posted_after_the_position_ended_saves_nothing(
    client: Client, open_cycle: Cycle, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    client = signed_in(people.committee_member, client)
    url = reverse("report_score", args=[assignment.pk])
    assert client.get(url).status_code == 200
    end_positions(people.committee_member)
    before = rows()
    assert client.post(url, sheet_data(open_cycle, {STANDARD: "50"}, action="submit", confirm="on")).status_code == 404
    assert rows() == before


def test_only_the_assigned_reviewer_may_score_through_the_service(
    open_cycle: Cycle, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    before = rows()
    with pytest.raises(DomainError, match="只有被分配的评议人本人可以评分。"):
        services.scores_save(
            assignment=assignment, entries=full_marks(open_cycle), comment="", by=people.committee_secretary
        )
    assert rows() == before


def test_a_revoked_grant_ends_a_grantees_assignment(
    client: Client, open_cycle: Cycle, report: DutyReport, people: SimpleNamespace, tree: Tree
) -> None:
    services.reviewer_assign(reports=[report], reviewer=people.grantee, by=people.committee_secretary)
    granted = assignment_of(report, people.grantee)
    assert signed_in(people.grantee, client).get(reverse("report_score", args=[granted.pk])).status_code == 200
    supervision_revoke(user=people.grantee, organization=tree.township)
    assert client.get(reverse("report_score", args=[granted.pk])).status_code == 404
    with pytest.raises(DomainError, match=DEPARTED_MESSAGE):
        services.scores_submit(assignment=granted, by=fresh(people.grantee))


def test_home_reminders_and_calendar_forget_a_departed_reviewers_assignments(
    open_cycle: Cycle, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    end_positions(people.committee_member)
    assert selectors.home_reviews(fresh(people.committee_member), []).to_score == 0
    assert not [d for d in reminders.deadlines_for(people.committee_member) if d.kind == "reminder.scoring"]
    assert reminders.sweep(today=open_cycle.scoring_due - timedelta(days=1)).by_source["scoring"] == 0
    assert not people.committee_member.notifications.exists()


# What the committee sees ----------------------------------------------------------------------------


def test_the_committee_sees_the_departed_reviewer_marked_and_assigns_another(
    client: Client, open_cycle: Cycle, report: DutyReport, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    end_positions(people.committee_member)
    client = signed_in(people.committee_secretary, client)
    page = client.get(reverse("cycle_reviewers", args=[open_cycle.pk])).content.decode()
    row = page.split(f'data-reviewer="{people.committee_member.username}"')[1].split("</div>")[0]
    assert "已离任" in row
    assessment = client.get(reverse("report_assess", args=[report.pk]))
    assert [a.reviewer_supervises for a in assessment.context["assessment"].pending] == [False]
    assert "已离任" in assessment.content.decode()
    pending = [gap for gap in services.closing_gaps(open_cycle) if gap.kind == GapKind.REVIEWERS_PENDING]
    assert any(f"{people.committee_member.full_name}（已离任）" in gap.detail for gap in pending)
    # The committee withdraws the assignment and gives the report to someone who supervises it.
    client.post(reverse("cycle_reviewers", args=[open_cycle.pk]), {"action": "unassign", "assignment": assignment.pk})
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)
    assert list(report.assignments.values_list("reviewer__username", flat=True)) == [people.committee_deputy.username]


def test_a_reviewer_in_office_is_not_marked(
    client: Client, open_cycle: Cycle, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    page = signed_in(people.committee_secretary, client).get(reverse("cycle_reviewers", args=[open_cycle.pk]))
    assert "data-departed" not in page.content.decode()


def test_scores_submitted_before_the_position_ended_still_count(
    open_cycle: Cycle, report: DutyReport, assignment: ReviewerAssignment, people: SimpleNamespace
) -> None:
    services.scores_save(assignment=assignment, entries=full_marks(open_cycle), comment="", by=people.committee_member)
    services.scores_submit(assignment=assignment, by=people.committee_member)
    end_positions(people.committee_member)
    assessment = selectors.report_assessment(report_of(open_cycle, report.organization))
    assert [reviewer.assignment.pk for reviewer in assessment.reviewers] == [assignment.pk]
    assert assessment.review_score is not None


# The grant and the permission module agree ---------------------------------------------------------


ASSIGNED = ["committee_secretary", "committee_deputy", "committee_member", "committee_staff", "grantee"]


@pytest.mark.parametrize("ended", [False, True], ids=["in office", "ended"])
def test_an_assignment_is_usable_exactly_when_can_says_supervise(
    report: DutyReport, people: SimpleNamespace, tree: Tree, ended: bool
) -> None:
    """For every assigned person, before and after their position ends (a grant revoked): the queue, the
    scoring page, the report page and the service answer as `can(person, SUPERVISE, organization)` does."""
    for name in ASSIGNED:
        services.reviewer_assign(reports=[report], reviewer=getattr(people, name), by=people.committee_secretary)
    if ended:
        for name in ASSIGNED:
            end_positions(getattr(people, name))
        supervision_revoke(user=people.grantee, organization=tree.township)
    for name in ASSIGNED:
        person = fresh(getattr(people, name))
        assignment = assignment_of(report, person)
        supervises = can(person, Action.SUPERVISE, report.organization)
        assert supervises is not ended, name
        assert (assignment in selectors.assignments_for_reviewer(person)) is supervises, name
        assert access.may_read_report(person, report) is supervises, name
        refused: type[Exception] | None = None
        try:
            access.assignment_for(person, assignment.pk)
        except (Http404, PermissionDenied) as error:
            refused = type(error)
        assert (refused is None) is supervises, name
        standing = ReviewerAssignment.objects.annotate(flag=services.reviewer_supervises()).get(pk=assignment.pk)
        assert standing.flag is supervises, name
        try:
            services.scores_save(assignment=assignment, entries={}, comment="", by=person)
        except DomainError:
            assert not supervises, name
        else:
            assert supervises, name
