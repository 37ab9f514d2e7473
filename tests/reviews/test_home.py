"""The home page's 述职评议 part: the leader's report, the reviewer's queue, the committee's cycles."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from reviews import services
from reviews.models import Cycle, DutyReport, IndicatorKind
from tests.conftest import Tree
from tests.factories import UserFactory

TITLES = ["履职情况", "存在问题", "原因分析", "下步打算"]


def home_of(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def submit(report: DutyReport, by: User) -> None:
    report.refresh_from_db()
    services.report_save(report=report, sections=dict.fromkeys(TITLES, "<p>内容</p>"), revision=report.revision, by=by)
    services.report_submit(report=report, by=by)


def holder(username: str, organization: Organization) -> User:
    person = UserFactory(username=username)
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person


def test_a_branch_leader_sees_the_report_status_due_date_and_a_link(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    body = home_of(client, people.branch_staff)
    assert "述职评议" in body
    assert open_cycle.title in body
    assert "撰写中" in body
    assert open_cycle.report_due.isoformat() in body
    assert reverse("report_edit", args=[report.pk]) in body


def test_a_returned_report_is_flagged_on_home(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    submit(report, people.branch_secretary)
    assert reverse("report_detail", args=[report.pk]) in home_of(client, people.branch_secretary)
    services.report_return(report=report, by=people.committee_secretary, reason="请补充")
    body = home_of(client, people.branch_secretary)
    assert "述职报告已被上级退回" in body
    assert reverse("report_edit", args=[report.pk]) in body


def test_a_reviewer_sees_how_many_submitted_reports_wait_for_their_score(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    assert "份述职报告待您评分" not in home_of(client, people.committee_member)
    submit(open_cycle.reports.get(organization=tree.branch), people.branch_secretary)
    submit(open_cycle.reports.get(organization=tree.branch_sibling), holder("sibling_secretary", tree.branch_sibling))
    body = home_of(client, people.committee_member)
    assert '<span class="count">2</span> 份述职报告待您评分' in body
    assert reverse("review_queue") in body
    assert "份述职报告待您评分" not in home_of(client, people.committee_deputy)


def test_the_committee_gets_a_link_to_its_open_cycle(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    body = home_of(client, people.committee_secretary)
    assert reverse("cycle_detail", args=[open_cycle.pk]) in body
    assert open_cycle.title in body


def test_members_and_outsiders_see_nothing_of_reviews(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    for person in (people.branch_member, people.outsider, people.committee_party_member):
        # The page itself; the menu's 述职评议 stage offers a member only the ballot (民主测评).
        body = home_of(client, person).split('<main id="main"', 1)[1]
        assert "述职评议" not in body
        assert reverse("cycle_detail", args=[open_cycle.pk]) not in body


def _more_cycles(tree: Tree, people: SimpleNamespace, count: int) -> None:
    today = timezone.localdate()
    for index in range(count):
        cycle = services.cycle_create(
            organization=tree.township,
            year=today.year - 1 - index,
            title=f"补充考核 {index}",
            report_due=today + timedelta(days=5),
            scoring_due=today + timedelta(days=9),
            ballot_opens=today,
            ballot_closes=today + timedelta(days=5),
            scope="branches",
            by=people.committee_secretary,
        )
        services.indicator_add(
            cycle=cycle,
            category="组织建设",
            name="指标",
            guidance="",
            kind=IndicatorKind.STANDARD,
            max_points=100,
            by=people.committee_secretary,
        )
        services.cycle_open(cycle=cycle, by=people.committee_secretary)
        services.reviewer_assign(
            reports=cycle.reports.all(), reviewer=people.committee_member, by=people.committee_secretary
        )
        for report in cycle.reports.select_related("organization"):
            submit(report, people.branch_secretary if report.organization_id == tree.branch.pk else people.admin)


@pytest.mark.parametrize("who", ["branch_secretary", "committee_member", "committee_secretary"])
def test_home_query_count_does_not_grow_with_cycles_reports_and_assignments(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, who: str
) -> None:
    client.force_login(getattr(people, who))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    small = count()
    _more_cycles(tree, people, 3)
    assert count() == small
