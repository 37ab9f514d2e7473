"""工作台: a committee's year in figures over its subtree, by child, with charts, for the right people, cheaply."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position
from rectification import services as rectification_services
from rectification.models import Finding, RectificationTask
from responsibility import services as responsibility_services
from responsibility.models import Category, DutyRecord, ResponsibilityList
from reviews.models import Cycle, ReviewerAssignment
from tests.clients import signed_in
from tests.conftest import Tree, _person
from tests.factories import OrganizationFactory
from tests.responsibility.conftest import branch_list, category, year  # noqa: F401 - fixtures
from tests.responsibility.test_progress_views import add_branches, give_list
from tests.reviews.conftest import close_cycle, open_cycle, rubric  # noqa: F401 - fixtures
from tests.reviews.test_cycle_views import score_fully, submit_report
from workbench.dashboard import Dashboard, DashboardRow, month_span

URL = reverse("dashboard")
TODAY = timezone.localdate()


def board_of(response: Any) -> Dashboard:
    assert response.status_code == 200
    return response.context["board"]


def rows_by_name(board: Dashboard) -> dict[str, DashboardRow]:
    return {row.organization.name: row for row in board.rows if row.organization is not None}


def new_task(organization: Organization, topic: Category, by: Any, *, of_year: int, **fields: object) -> Any:
    finding = rectification_services.finding_raise(
        organization=organization,
        year=of_year,
        source=Finding.Source.INSPECTION,
        description=f"{organization.name}的问题",
        category=topic,
        by=by,
    )
    position = Position.objects.current().filter(organization=organization).first()
    responsible = position.person if position else _person(f"sec-{organization.code}", organization, "secretary")
    task = rectification_services.task_create(
        findings=[finding], title="整改", responsible=responsible, deadline=TODAY + timedelta(days=10), by=by
    )
    if fields:
        RectificationTask.objects.filter(pk=task.pk).update(**fields)
    return task


@pytest.fixture
def busy_year(
    tree: Tree,
    people: SimpleNamespace,
    branch_list: ResponsibilityList,  # noqa: F811
    open_cycle: Cycle,  # noqa: F811
    category: Category,  # noqa: F811
    year: int,  # noqa: F811
) -> None:
    """A small known year under 甲镇党委.

    Lists: 一村 approved (with its four items' lights), 二村 submitted, 三村 none.
    Records this month at 一村: two that count and one returned. Reports: 一村 submitted and
    scored, the cycle closed (so three grades, all 差: 一村 has no daily or ballot score).
    Tasks: 一村 open, 三村 overdue, 二村 closed; 一村 has a finding that recurs from last year.
    """
    boss = people.committee_secretary
    give_list(tree.branch_sibling, year, boss, status=ResponsibilityList.Status.SUBMITTED)
    item = branch_list.items.order_by("order", "id").first()
    assert item is not None
    records = [
        responsibility_services.record_add(
            item=item,
            occurred_on=TODAY,
            content=f"记实{index}",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
        )
        for index in range(3)
    ]
    responsibility_services.record_return(record=records[0], by=boss, reason="内容不完整")
    # A record of last month is not this month's.
    DutyRecord.objects.filter(pk=records[1].pk).update(occurred_on=month_span(TODAY)[0] - timedelta(days=1))
    responsibility_services.record_add(
        item=item, occurred_on=TODAY, content="记实3", done_by=people.branch_secretary, by=people.branch_secretary
    )

    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=report))
    close_cycle(open_cycle, boss)

    new_task(tree.branch, category, boss, of_year=year)
    new_task(tree.direct_branch, category, boss, of_year=year, deadline=TODAY - timedelta(days=3))
    new_task(tree.branch_sibling, category, boss, of_year=year, status=RectificationTask.Status.ACCEPTED)
    rectification_services.finding_raise(
        organization=tree.branch,
        year=year - 1,
        source=Finding.Source.SELF_CHECK,
        description="会议记录不规范",
        category=category,
        by=boss,
    )
    again = rectification_services.finding_raise(
        organization=tree.branch,
        year=year,
        source=Finding.Source.SELF_CHECK,
        description="会议记录仍不规范",
        category=category,
        by=boss,
    )
    # Counted once the committee confirms the link its wording suggested.
    rectification_services.finding_recurrence_confirm(finding=again, by=boss)


# Who may look ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee_secretary", 200),
        ("committee_staff", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("branch_member", 403),
        ("committee_party_member", 403),
        ("outsider", 403),
    ],
)
def test_only_people_who_supervise_something_see_the_dashboard(
    client: Client, people: SimpleNamespace, who: str, status: int
) -> None:
    assert signed_in(getattr(people, who), client).get(URL).status_code == status


def test_signed_out_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("who", "org", "status"),
    [
        ("committee_secretary", "township", 200),
        ("committee_secretary", "general", 200),
        ("committee_secretary", "branch", 200),
        ("committee_secretary", "sibling_township", 404),
        ("committee_secretary", "county", 404),
        ("committee_secretary", "unrelated_branch", 404),
        ("grantee", "township", 200),
        ("grantee", "general", 200),
        ("grantee", "sibling_township", 404),
    ],
)
def test_drilling_to_an_organization_follows_the_permission_module(
    client: Client, people: SimpleNamespace, tree: Tree, who: str, org: str, status: int
) -> None:
    response = signed_in(getattr(people, who), client).get(URL, {"org": getattr(tree, org).pk})
    assert response.status_code == status


def test_an_organization_seen_but_not_supervised_is_403(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    # The township's secretary is also a plain member of a branch in another county: seen, not followed.
    account_services.position_assign(
        person=people.committee_secretary, organization=tree.unrelated_branch, role=Position.Role.MEMBER
    )
    response = signed_in(people.committee_secretary, client).get(URL, {"org": tree.unrelated_branch.pk})
    assert response.status_code == 403


def test_unknown_or_malformed_org_is_404(client: Client, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    assert client.get(URL, {"org": 999999}).status_code == 404
    assert client.get(URL, {"org": "abc"}).status_code == 404


# What it shows -----------------------------------------------------------------


def test_committee_sees_its_own_level_and_each_direct_child(
    client: Client,
    people: SimpleNamespace,
    tree: Tree,
    busy_year: None,
    year: int,  # noqa: F811
) -> None:
    board = board_of(signed_in(people.committee_secretary, client).get(URL))
    assert board.year == year
    assert [root.pk for root in board.roots] == [tree.township.pk]
    assert [row.label for row in board.rows] == ["本级（甲镇党委）", "甲镇机关党总支", "三村党支部"]
    assert [row.drill for row in board.rows] == [False, True, True]
    rows = rows_by_name(board)
    general, direct = rows["甲镇机关党总支"], rows["三村党支部"]

    # Lists: the general branch's subtree holds 一村 (approved) and 二村 (submitted); 三村 has none.
    assert (general.lists.organizations, general.lists.approved, general.lists.submitted) == (3, 1, 1)
    assert general.lists.without_list == 1  # the general branch itself
    assert (direct.lists.approved, direct.lists.without_list) == (0, 1)
    assert general.lists.red + general.lists.yellow + general.lists.green == 4

    # Records this month: two count at 一村; the returned one and last month's do not.
    assert (general.records.records, general.records.organizations, general.records.awaiting) == (2, 1, 2)
    assert direct.records.records == 0

    # Reports: three in the closed cycle, 一村's submitted and scored; all three graded 差.
    assert (general.reports.reports, general.reports.submitted, general.reports.scored) == (2, 1, 1)
    assert (direct.reports.reports, direct.reports.submitted) == (1, 0)
    assert general.grades.pairs() == [("好", 0), ("较好", 0), ("一般", 0), ("差", 2), ("待定", 0)]
    assert direct.grades.poor == 1

    # Rectification: open / overdue / closed, and the recurring finding.
    assert (general.rectification.open, general.rectification.accepted) == (1, 1)
    assert general.rectification.overdue == 0
    assert (direct.rectification.open, direct.rectification.overdue) == (1, 1)
    assert general.rectification.recurring_findings == 1

    total = board.total
    assert total is not None
    assert (total.lists.approved, total.records.records, total.reports.submitted, total.grades.total) == (1, 2, 1, 3)
    assert (total.rectification.open, total.rectification.overdue, total.rectification.accepted) == (2, 1, 1)


def test_the_page_shows_the_summary_and_links_each_child_to_its_own_dashboard(
    client: Client,
    people: SimpleNamespace,
    tree: Tree,
    busy_year: None,
    year: int,  # noqa: F811
) -> None:
    response = signed_in(people.committee_secretary, client).get(URL)
    body = response.content.decode()
    assert f'href="{URL}?year={year}&amp;org={tree.general.pk}"' in body
    assert f'href="{URL}?year={year}&amp;org={tree.direct_branch.pk}"' in body
    assert f"org={tree.township.pk}" not in body.split('id="lists"')[1].split("</table>")[0]
    assert 'data-figure="reports"><dt>述职报告已提交</dt><dd>1 / 3</dd>' in body
    assert f"{reverse('progress_overview')}?year={year}" in body
    assert f"{reverse('rectification_board')}?year={year}" in body


def test_drilling_into_a_child_shows_its_subtree_by_its_own_children(
    client: Client,
    people: SimpleNamespace,
    tree: Tree,
    busy_year: None,
    year: int,  # noqa: F811
) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"org": tree.general.pk, "year": year})
    board = board_of(response)
    assert [row.label for row in board.rows] == ["本级（甲镇机关党总支）", "一村党支部", "二村党支部"]
    rows = rows_by_name(board)
    assert rows["一村党支部"].lists.approved == 1
    assert rows["二村党支部"].lists.submitted == 1
    assert rows["一村党支部"].records.records == 2
    assert rows["二村党支部"].rectification.accepted == 1
    assert response.context["chosen"] == tree.general
    assert [ancestor.pk for ancestor in response.context["ancestors"]] == [tree.township.pk]
    assert "三村党支部" not in [row.label for row in board.rows]


def test_another_year_has_none_of_this_years_work(
    client: Client,
    people: SimpleNamespace,
    busy_year: None,
    year: int,  # noqa: F811
) -> None:
    board = board_of(signed_in(people.committee_secretary, client).get(URL, {"year": year - 1}))
    assert board.year == year - 1
    total = board.total
    assert total is not None
    assert (total.lists.approved, total.reports.reports, total.grades.total, total.rectification.tasks) == (0, 0, 0, 0)


def test_a_bad_year_falls_back_to_this_year(client: Client, people: SimpleNamespace, db: None) -> None:
    client = signed_in(people.committee_secretary, client)
    assert board_of(client.get(URL, {"year": "abc"})).year == TODAY.year
    assert board_of(client.get(URL, {"year": "1800"})).year == TODAY.year


def test_several_roots_are_one_row_each(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    account_services.supervision_grant(user=people.grantee, organization=tree.unrelated)
    board = board_of(signed_in(people.grantee, client).get(URL))
    assert [row.label for row in board.rows] == [tree.township.name, tree.unrelated.name]
    assert all(row.drill for row in board.rows)


def test_charts_are_svg_with_a_text_alternative(client: Client, people: SimpleNamespace, busy_year: None) -> None:
    body = signed_in(people.committee_secretary, client).get(URL).content.decode()
    assert body.count("<svg") == 5
    assert body.count('role="img"') == 5
    assert body.count('<table class="chart-data visually-hidden">') == 5
    assert body.count("<figcaption>") == 5
    assert "<caption>等次分布</caption>" in body
    assert '<tr><th scope="row">差</th><td>3</td></tr>' in body
    assert '<tr><th scope="row">甲镇机关党总支</th><td>50%</td></tr>' in body


def test_organization_names_in_charts_are_escaped(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    OrganizationFactory(parent=tree.township, name="<script>alert(1)</script>", code="C-T1-EVIL")
    body = signed_in(people.committee_secretary, client).get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_menu_links_the_dashboard_for_committees_only(client: Client, people: SimpleNamespace) -> None:
    link = f'href="{URL}?year='
    assert link in signed_in(people.committee_secretary, client).get(reverse("home")).content.decode()
    assert link not in signed_in(people.branch_secretary, client).get(reverse("home")).content.decode()


# At what cost --------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_organizations_below(
    client: Client,
    tree: Tree,
    people: SimpleNamespace,
    busy_year: None,
    category: Category,  # noqa: F811
    year: int,  # noqa: F811
) -> None:
    boss = people.committee_secretary
    client = signed_in(boss, client)

    def count(**query: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, query).status_code == 200
        return len(queries)

    small, small_drilled = count(), count(org=tree.general.pk)
    add_branches(tree.township, 12, year, boss)
    add_branches(tree.general, 12, year, boss, prefix="Y")
    extra = OrganizationFactory(parent=tree.township, kind=Organization.Kind.GENERAL_BRANCH, code="C-T1-G2")
    add_branches(extra, 5, year, boss, prefix="Z")
    for organization in Organization.objects.filter(code__startswith="C-T1-X")[:6]:
        new_task(organization, category, boss, of_year=year)
    _person("new_secretary", extra, Position.Role.SECRETARY)
    assert count() == small
    assert count(org=tree.general.pk) == small_drilled


def test_a_cached_dashboard_is_counted_once_and_says_when(
    client: Client, people: SimpleNamespace, busy_year: None, settings: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 300
    client = signed_in(people.committee_secretary, client)
    first = client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    # Only the session, the user and the permission module's scope: none of the seven aggregates.
    assert not [query for query in queries if "GROUP BY" in query["sql"]]
    assert board_of(again).total == board_of(first).total
    assert board_of(again).computed_at is not None
    page = again.content.decode()
    assert 'id="dashboard-computed-at"' in page
    assert "每 5 分钟更新" in page
    cache.clear()


def test_the_cache_is_per_person_year_and_root(
    client: Client, people: SimpleNamespace, tree: Tree, busy_year: None, settings: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 300
    client = signed_in(people.committee_secretary, client)
    whole = board_of(client.get(URL))
    drilled = board_of(client.get(URL, {"org": tree.general.pk}))
    other_year = board_of(client.get(URL, {"year": TODAY.year - 1}))
    assert next(row.organization for row in drilled.rows) == tree.general
    assert next(row.organization for row in whole.rows) != tree.general
    assert other_year.year == TODAY.year - 1
    assert whole.year == TODAY.year
    cache.clear()


def test_a_cached_dashboard_is_not_shown_once_the_persons_scope_changes(
    client: Client, people: SimpleNamespace, tree: Tree, busy_year: None, settings: Any
) -> None:
    """Its key holds the person's scope: a position that ends leaves nothing counted under it to be shown."""
    from django.core.cache import cache

    cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 300
    person = people.committee_deputy
    account_services.position_assign(person=person, organization=tree.sibling_township, role=Position.Role.DEPUTY)
    client = signed_in(person, client)
    drilled = {"org": tree.general.pk}
    first = board_of(client.get(URL, drilled))
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, drilled)
    assert not [query for query in queries if "GROUP BY" in query["sql"]]
    account_services.position_end(position=Position.objects.get(person=person, organization=tree.sibling_township))
    with CaptureQueriesContext(connection) as queries:
        again = board_of(client.get(URL, drilled))
    assert [query for query in queries if "GROUP BY" in query["sql"]]
    assert again.total == first.total
    cache.clear()


def test_without_a_cache_the_page_counts_afresh_and_says_nothing_of_age(
    client: Client, people: SimpleNamespace, busy_year: None
) -> None:
    client = signed_in(people.committee_secretary, client)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL)
    assert [query for query in queries if "GROUP BY" in query["sql"]]
    assert 'id="dashboard-computed-at"' not in page.content.decode()
