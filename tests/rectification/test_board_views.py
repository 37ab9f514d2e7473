"""The committee's board, the findings, raising findings, review problems into findings, assigning tasks.

Why one long file: the board, findings and task assignment are one committee's page flow and share the findings and
tasks built by the helpers at the top; each page is a section below.
"""

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
from accounts.models import Organization, Position
from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import Cycle, DutyReport
from tests.clients import signed_in
from tests.conftest import Tree, _person
from tests.factories import OrganizationFactory
from tests.reviews.conftest import open_cycle, rubric  # noqa: F401 - fixtures

BOARD = reverse("rectification_board")
TODAY = timezone.localdate()


def raise_finding(organization: Organization, by, category: Category, *, year: int = TODAY.year, **extra) -> Finding:  # type: ignore[no-untyped-def]
    values = {"source": Finding.Source.INSPECTION, "description": f"{organization.name}的问题"} | extra
    return services.finding_raise(organization=organization, year=year, category=category, by=by, **values)


def owner_of(organization: Organization):  # type: ignore[no-untyped-def]
    """Someone holding a current position in the organization (its secretary, made if needed)."""
    position = Position.objects.current().filter(organization=organization).select_related("person").first()
    if position is not None:
        return position.person
    return _person(f"secretary-{organization.code}", organization, Position.Role.SECRETARY)


def make_task(
    organization: Organization,
    by,  # type: ignore[no-untyped-def]
    category: Category,
    *,
    overdue_days: int = 0,
    **fields: object,
) -> RectificationTask:
    """A task for one new finding; OVERDUE_DAYS moves its deadline into the past, FIELDS are set directly."""
    task = services.task_create(
        findings=[raise_finding(organization, by, category)],
        title=f"{organization.name}整改",
        responsible=owner_of(organization),
        deadline=TODAY + timedelta(days=10),
        by=by,
    )
    if overdue_days:
        fields["deadline"] = TODAY - timedelta(days=overdue_days)
    if fields:
        RectificationTask.objects.filter(pk=task.pk).update(**fields)
        task.refresh_from_db()
    return task


def task_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [row.task.pk for row in response.context["rows"]]


# Who may look -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["branch_secretary", "branch_member", "committee_party_member", "outsider"])
def test_people_who_supervise_nothing_are_refused_the_board_and_new_findings(
    client: Client, people: SimpleNamespace, role: str
) -> None:
    signed_in(getattr(people, role), client)
    assert client.get(BOARD).status_code == 403
    assert client.get(reverse("finding_new")).status_code == 403
    assert client.get(reverse("findings")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(BOARD)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_sibling_township_cannot_follow_or_raise_findings_on_our_branch(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    secretary = _person("sibling_secretary", tree.sibling_township, "secretary")
    signed_in(secretary, client)
    assert client.get(BOARD).status_code == 200
    assert client.get(BOARD, {"org": tree.branch.pk}).status_code == 404
    assert client.get(reverse("finding_new"), {"org": tree.branch.pk}).status_code == 404
    response = client.post(
        reverse("finding_new") + f"?org={tree.branch.pk}",
        {"year": TODAY.year, "source": "self_check", "description": "越权", "category": 1, "severity": "minor"},
    )
    assert response.status_code == 404
    assert not Finding.objects.exists()


def test_a_committee_cannot_raise_a_finding_on_itself(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    # It sees its own organization but supervises only below it.
    signed_in(people.committee_secretary, client)
    assert client.get(reverse("finding_new"), {"org": tree.township.pk}).status_code == 403


def test_grantee_follows_the_granted_subtree_and_raises_findings(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    signed_in(people.grantee, client)
    assert client.get(BOARD).status_code == 200
    response = client.post(
        reverse("finding_new"),
        {
            "code": tree.branch.code,
            "year": TODAY.year,
            "source": Finding.Source.FEEDBACK,
            "description": "党员反映组织生活会流于形式。",
            "category": category.pk,
            "severity": Finding.Severity.MAJOR,
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.organization == tree.branch
    assert finding.created_by == people.grantee
    assert finding.severity == Finding.Severity.MAJOR


def test_a_typed_code_outside_what_one_supervises_is_not_found_and_nothing_is_saved(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    signed_in(people.committee_secretary, client)
    response = client.post(
        reverse("finding_new"),
        {
            "code": tree.sibling_branch.code,
            "year": TODAY.year,
            "source": Finding.Source.SELF_CHECK,
            "description": "越权",
            "category": category.pk,
            "severity": "minor",
        },
    )
    assert response.status_code == 200
    assert "在您督导的组织中没有找到该组织" in response.content.decode()
    assert not Finding.objects.exists()


# The board ------------------------------------------------------------------------


def test_committee_board_counts_rows_and_tags_its_subtree_only(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    escalated = make_task(tree.branch, boss, category, overdue_days=20)
    fresh = make_task(tree.direct_branch, boss, category, overdue_days=3)
    waiting = make_task(tree.branch_sibling, boss, category, status="awaiting_acceptance")
    weak = make_task(tree.branch, boss, category, returned_count=2, status="in_progress")
    closed = make_task(tree.branch, boss, category, status="accepted", accepted_at=timezone.now())
    elsewhere = make_task(tree.sibling_branch, people.admin, category)

    response = signed_in(boss, client).get(BOARD)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.tasks, summary.open, summary.overdue, summary.escalated) == (5, 4, 2, 1)
    assert (summary.awaiting_acceptance, summary.accepted, summary.weak) == (1, 1, 1)
    shown = task_ids(response)
    assert elsewhere.pk not in shown
    assert set(shown) == {escalated.pk, fresh.pk, waiting.pk, weak.pk, closed.pk}
    assert shown[-1] == closed.pk  # closed work last
    rows = {row.task.pk: row for row in response.context["rows"]}
    assert rows[escalated.pk].escalated
    assert rows[escalated.pk].overdue_days == 20
    assert not rows[fresh.pk].escalated
    assert rows[fresh.pk].overdue_days == 3
    assert rows[weak.pk].weak
    assert not rows[weak.pk].escalated
    page = response.content.decode()
    assert 'data-tag="escalated"' in page
    assert 'data-tag="weak"' in page
    assert tree.sibling_branch.name not in page
    drill = {row.label: row.figures for row in response.context["drill_rows"]}
    assert drill[tree.general.name].tasks == 4
    assert drill[tree.direct_branch.name].tasks == 1


def test_drilling_into_a_child_shows_its_subtree_and_the_way_back(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    inside = make_task(tree.branch, boss, category)
    outside = make_task(tree.direct_branch, boss, category)
    response = signed_in(boss, client).get(BOARD, {"org": tree.general.pk})
    assert response.status_code == 200
    assert task_ids(response) == [inside.pk]
    assert outside.pk not in task_ids(response)
    assert [ancestor.pk for ancestor in response.context["ancestors"]] == [tree.township.pk]
    assert response.context["may_disclose"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"overdue": "on"}, {"late", "very_late"}),
        ({"escalated": "on"}, {"very_late", "supervised"}),
        ({"weak": "on"}, {"very_late", "returned"}),
        ({"status": "awaiting_acceptance"}, {"waiting"}),
        ({"status": "open"}, {"late", "very_late", "supervised", "returned", "waiting"}),
        ({"status": "accepted"}, {"closed"}),
        ({"sector": "organ"}, set()),
        ({"source": "self_check"}, {"closed"}),
    ],
)
def test_filters_narrow_the_table_and_the_counts(
    client: Client,
    tree: Tree,
    people: SimpleNamespace,
    category: Category,
    query: dict[str, str],
    expected: set[str],
) -> None:
    boss = people.committee_secretary
    tasks = {
        "late": make_task(tree.branch, boss, category, overdue_days=2),
        "very_late": make_task(tree.branch, boss, category, overdue_days=40),
        "supervised": make_task(tree.branch, boss, category, supervised=True),
        "returned": make_task(tree.branch, boss, category, returned_count=2),
        "waiting": make_task(tree.direct_branch, boss, category, status="awaiting_acceptance"),
        "closed": make_task(tree.direct_branch, boss, category, status="accepted"),
    }
    Finding.objects.filter(task=tasks["closed"]).update(source=Finding.Source.SELF_CHECK)
    response = signed_in(boss, client).get(BOARD, query)
    names = {name for name, task in tasks.items() if task.pk in task_ids(response)}
    assert names == expected
    assert response.context["summary"].tasks == len(expected)
    # The pages are counted from the figures, so they must be the same tasks.
    assert response.context["page"].paginator.count == len(expected)


def test_a_confirmed_repeat_of_an_earlier_year_flags_the_task_and_fills_the_panel(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    earlier = raise_finding(tree.branch, boss, category, year=TODAY.year - 1, description="去年：三会一课不规范")
    again = raise_finding(tree.branch, boss, category, description="今年：三会一课仍不规范")
    other = Category.objects.exclude(pk=category.pk).first()
    assert other is not None
    unrelated = raise_finding(tree.branch, boss, other, description="今年：别的类别")
    assert again.recurring_of == earlier
    assert unrelated.recurring_of is None
    services.finding_recurrence_confirm(finding=again, by=boss)
    task = services.task_create(
        findings=[again], title="再整改", responsible=people.branch_secretary, deadline=TODAY, by=boss
    )
    plain = services.task_create(
        findings=[unrelated], title="别的", responsible=people.branch_secretary, deadline=TODAY, by=boss
    )

    response = signed_in(boss, client).get(BOARD)
    rows = {row.task.pk: row for row in response.context["rows"]}
    assert rows[task.pk].recurring
    assert not rows[plain.pk].recurring
    assert response.context["summary"].recurring_findings == 1
    assert [finding.pk for finding in response.context["recurring"]] == [again.pk]
    page = response.content.decode()
    assert 'data-tag="recurring"' in page
    assert "去年：三会一课不规范" in page
    assert task_ids(signed_in(boss, client).get(BOARD, {"recurring": "on"})) == [task.pk]


def test_pages_split_the_counted_tasks(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rectification.views import board

    monkeypatch.setattr(board, "BOARD_PER_PAGE", 2)
    boss = people.committee_secretary
    made = [make_task(tree.branch, boss, category, overdue_days=days) for days in (1, 2, 3, 4, 5)]
    signed_in(boss, client)
    seen = []
    for number in (1, 2, 3):
        response = client.get(BOARD, {"page": number})
        assert response.context["page"].paginator.num_pages == 3
        seen.extend(task_ids(response))
    assert sorted(seen) == sorted(task.pk for task in made)


def _board_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(BOARD)
    assert response.status_code == 200
    return len(captured)


def test_the_board_costs_the_same_number_of_queries_whatever_the_data(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    raise_finding(tree.branch, boss, category, year=TODAY.year - 1)
    make_task(tree.branch, boss, category, overdue_days=20)
    signed_in(boss, client)
    small = _board_queries(client)

    for index in range(6):
        branch = OrganizationFactory(parent=tree.township, kind=Organization.Kind.BRANCH, code=f"C-T1-N{index}")
        raise_finding(branch, boss, category, year=TODAY.year - 1)
        make_task(branch, boss, category, overdue_days=index * 10, returned_count=index % 3)
        make_task(branch, boss, category, status="accepted", accepted_at=timezone.now())
    assert _board_queries(client) == small


# 问题清单 and 下达整改任务 ---------------------------------------------------------


def test_findings_page_lists_the_supervised_subtree_with_checkboxes_for_untasked_findings(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, task: RectificationTask
) -> None:
    loose = raise_finding(tree.direct_branch, people.committee_secretary, category)
    elsewhere = raise_finding(tree.sibling_branch, people.admin, category)
    response = signed_in(people.committee_secretary, client).get(reverse("findings"))
    assert response.status_code == 200
    shown = [finding.pk for finding in response.context["page"].object_list]
    assert loose.pk in shown
    assert elsewhere.pk not in shown
    page = response.content.decode()
    assert f'name="findings" value="{loose.pk}"' in page
    tasked = task.findings.get()
    assert f'name="findings" value="{tasked.pk}"' not in page
    untasked = signed_in(people.committee_secretary, client).get(reverse("findings"), {"without_task": "on"})
    assert [finding.pk for finding in untasked.context["page"].object_list] == [loose.pk]


def test_committee_raises_a_finding_and_goes_on_to_assign_it(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    signed_in(people.committee_secretary, client)
    response = client.post(
        reverse("finding_new"),
        {
            "organization": tree.direct_branch.pk,
            "year": TODAY.year,
            "source": Finding.Source.INSPECTION,
            "description": "发展党员程序不规范。",
            "category": category.pk,
            "severity": Finding.Severity.MINOR,
            "and_task": "1",
        },
    )
    finding = Finding.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('task_new')}?findings={finding.pk}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["form"].initial["title"] == "发展党员程序不规范。"


def test_a_finding_worded_like_an_earlier_one_is_announced_with_its_likeness_when_raised(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    raise_finding(tree.branch, people.committee_secretary, category, year=TODAY.year - 2, description="党费收缴不及时")
    response = signed_in(people.committee_secretary, client).post(
        reverse("finding_new") + f"?org={tree.branch.pk}",
        {
            "year": TODAY.year,
            "source": "self_check",
            "description": "党费收缴仍不及时",
            "category": category.pk,
            "severity": "minor",
        },
        follow=True,
    )
    again = Finding.objects.get(description="党费收缴仍不及时")
    page = response.content.decode()
    assert f"相似 {again.recurring_likeness}%，请上级党组织确认是否同一问题" in page
    assert again.recurrence_to_confirm
    assert not again.is_recurring


def test_task_new_assigns_the_findings_and_opens_the_task(
    client: Client, tree: Tree, people: SimpleNamespace, finding: Finding, category: Category
) -> None:
    second = raise_finding(tree.branch, people.committee_secretary, category, description="第二个问题")
    url = f"{reverse('task_new')}?findings={finding.pk},{second.pk}"
    signed_in(people.committee_secretary, client)
    page = client.get(url)
    assert page.status_code == 200
    responsible_choices = {person.pk for person in page.context["form"].fields["responsible"].queryset}
    assert people.branch_secretary.pk in responsible_choices
    assert people.committee_secretary.pk not in responsible_choices
    response = client.post(
        url,
        {
            "title": "规范组织生活",
            "responsible": people.branch_secretary.pk,
            "leader": people.branch_deputy.pk,
            "deadline": (TODAY + timedelta(days=20)).isoformat(),
        },
    )
    task = RectificationTask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[task.pk])
    assert set(task.findings.values_list("pk", flat=True)) == {finding.pk, second.pk}
    assert task.leader == people.branch_deputy


def test_task_new_refuses_findings_of_two_organizations_and_saves_nothing(
    client: Client, tree: Tree, people: SimpleNamespace, finding: Finding, category: Category
) -> None:
    other = raise_finding(tree.direct_branch, people.committee_secretary, category)
    url = f"{reverse('task_new')}?findings={finding.pk}&findings={other.pk}"
    signed_in(people.committee_secretary, client)
    assert "只能针对同一个组织的问题" in client.get(url).content.decode()
    response = client.post(
        url,
        {"title": "混合", "responsible": people.branch_secretary.pk, "deadline": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert "只能针对同一个组织的问题" in response.content.decode()
    assert not RectificationTask.objects.exists()


def test_task_new_refuses_a_deadline_in_the_past_with_a_clear_message(
    client: Client, people: SimpleNamespace, finding: Finding
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        f"{reverse('task_new')}?findings={finding.pk}",
        {
            "title": "规范",
            "responsible": people.branch_secretary.pk,
            "deadline": (TODAY - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "整改时限不能早于今天" in response.content.decode()
    assert not RectificationTask.objects.exists()
    finding.refresh_from_db()
    assert finding.task_id is None


def test_task_new_refuses_findings_already_assigned(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    tasked = task.findings.get()
    response = signed_in(people.committee_secretary, client).get(f"{reverse('task_new')}?findings={tasked.pk}")
    assert response.status_code == 200
    assert "已下达整改任务" in response.content.decode()
    assert response.context["form"] is None


def test_task_new_for_findings_one_cannot_supervise_is_not_found_or_refused(
    client: Client, tree: Tree, people: SimpleNamespace, finding: Finding, category: Category
) -> None:
    elsewhere = raise_finding(tree.sibling_branch, people.admin, category)
    signed_in(people.committee_secretary, client)
    assert client.get(f"{reverse('task_new')}?findings={elsewhere.pk}").status_code == 404
    assert client.get(f"{reverse('task_new')}?findings=99999").status_code == 404
    assert client.get(f"{reverse('task_new')}?findings=abc").status_code == 404
    signed_in(people.branch_secretary, client)
    assert client.get(f"{reverse('task_new')}?findings={finding.pk}").status_code == 403


# 点评问题 → 问题清单 -----------------------------------------------------------------


@pytest.fixture
def reviewed(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:  # noqa: F811
    report = open_cycle.reports.get(organization=tree.branch)
    for text in ("“三会一课”记录不全。", "谈心谈话开展不够。"):
        review_services.problem_add(report=report, text=text, by=people.committee_secretary)
    return report


def test_review_problems_become_findings_once(
    client: Client, people: SimpleNamespace, reviewed: DutyReport, category: Category
) -> None:
    first, second = reviewed.problems.order_by("order")
    url = reverse("findings_from_review", args=[reviewed.pk])
    signed_in(people.committee_secretary, client)
    page = client.get(url)
    assert page.status_code == 200
    assert f'name="convert_{first.pk}"' in page.content.decode()

    response = client.post(
        url, {f"convert_{first.pk}": "on", f"category_{first.pk}": category.pk, f"severity_{first.pk}": "major"}
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.problem == first
    assert finding.source == Finding.Source.REVIEW
    assert finding.description == first.text
    assert finding.organization == reviewed.organization
    assert finding.year == reviewed.cycle.year
    assert finding.severity == Finding.Severity.MAJOR

    again = client.get(url).content.decode()
    assert f'name="convert_{first.pk}"' not in again
    assert f'name="convert_{second.pk}"' in again
    assert "已列入问题清单" in again
    assert f"findings={finding.pk}" in again
    # A stale page posting the converted problem again changes nothing.
    client.post(url, {f"convert_{first.pk}": "on", f"category_{first.pk}": category.pk})
    assert Finding.objects.count() == 1


def test_converting_without_a_category_is_refused_and_saves_nothing(
    client: Client, people: SimpleNamespace, reviewed: DutyReport
) -> None:
    first = reviewed.problems.order_by("order").first()
    assert first is not None
    response = signed_in(people.committee_secretary, client).post(
        reverse("findings_from_review", args=[reviewed.pk]), {f"convert_{first.pk}": "on"}
    )
    assert response.status_code == 200
    assert "请选择问题类别" in response.content.decode()
    assert not Finding.objects.exists()


def test_only_the_supervising_committee_converts_review_problems(
    client: Client, tree: Tree, people: SimpleNamespace, reviewed: DutyReport
) -> None:
    url = reverse("findings_from_review", args=[reviewed.pk])
    assert signed_in(people.branch_secretary, client).get(url).status_code == 403
    assert signed_in(people.outsider, client).get(url).status_code == 404
    assert signed_in(people.grantee, client).get(url).status_code == 200


def test_the_assessment_page_links_to_the_conversion(
    client: Client, people: SimpleNamespace, reviewed: DutyReport
) -> None:
    page = signed_in(people.committee_secretary, client).get(reverse("report_assess", args=[reviewed.pk]))
    assert reverse("findings_from_review", args=[reviewed.pk]) in page.content.decode()


def test_committees_find_the_board_in_the_menu(client: Client, people: SimpleNamespace) -> None:
    link = f'href="{BOARD}"'
    assert link in signed_in(people.committee_secretary, client).get(reverse("home")).content.decode()
    assert link not in signed_in(people.branch_secretary, client).get(reverse("home")).content.decode()


def test_an_administrator_sees_every_tree_by_its_roots(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    ours = make_task(tree.branch, people.admin, category)
    theirs = make_task(tree.unrelated_branch, people.admin, category)
    response = signed_in(people.admin, client).get(BOARD)
    assert set(task_ids(response)) == {ours.pk, theirs.pk}
    drill = {row.label: row.figures.tasks for row in response.context["drill_rows"]}
    assert drill == {tree.county.name: 1, tree.unrelated.name: 1}


def _findings_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("findings"))
    assert response.status_code == 200
    return len(captured)


def test_the_findings_page_costs_the_same_number_of_queries_whatever_the_data(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    raise_finding(tree.branch, boss, category, year=TODAY.year - 1)
    make_task(tree.branch, boss, category)
    signed_in(boss, client)
    small = _findings_queries(client)
    for index in range(5):
        raise_finding(tree.direct_branch, boss, category, year=TODAY.year - 1, description=f"去年{index}")
        raise_finding(tree.direct_branch, boss, category, description=f"今年{index}")
        make_task(tree.branch_sibling, boss, category)
    assert _findings_queries(client) == small


# Figures kept while nothing below changes -----------------------------------------


def _group_by_queries(client: Client, query: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(BOARD, query or {}).status_code == 200
    return len([sql for sql in captured if "GROUP BY" in sql["sql"]])


@pytest.fixture
def board_cache(settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()
    settings.BOARD_CACHE_SECONDS = 600
    yield
    cache.clear()


def test_the_figures_are_counted_once_until_a_task_below_changes(
    client: Client,
    tree: Tree,
    people: SimpleNamespace,
    category: Category,
    board_cache: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    boss = people.committee_secretary
    task = make_task(tree.branch, boss, category, status="awaiting_acceptance")
    signed_in(boss, client)
    assert _group_by_queries(client) == 2  # the task figures and the recurring findings
    assert _group_by_queries(client) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.task_accept(task=task, by=boss, comment="好")
    assert _group_by_queries(client) == 2
    response = client.get(BOARD)
    assert response.context["summary"].accepted == 1
    assert response.context["page"].paginator.count == 1
    # Other filters are other figures.
    assert _group_by_queries(client, {"status": "accepted"}) == 2


def test_a_new_finding_below_refreshes_the_figures_but_one_elsewhere_does_not(
    client: Client,
    tree: Tree,
    people: SimpleNamespace,
    category: Category,
    board_cache: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    boss = people.committee_secretary
    make_task(tree.branch, boss, category)
    signed_in(boss, client)
    drilled = {"org": str(tree.general.pk)}
    _group_by_queries(client, drilled)
    assert _group_by_queries(client, drilled) == 0
    with django_capture_on_commit_callbacks(execute=True):
        raise_finding(tree.direct_branch, boss, category)  # under the township, not under the general branch
    assert _group_by_queries(client, drilled) == 0
    assert _group_by_queries(client) == 2
    with django_capture_on_commit_callbacks(execute=True):
        make_task(tree.branch_sibling, boss, category)
    assert _group_by_queries(client, drilled) == 2
    assert client.get(BOARD, drilled).context["summary"].tasks == 2


def test_each_person_has_their_own_figures(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, board_cache: None
) -> None:
    boss = people.committee_secretary
    make_task(tree.branch, boss, category)
    assert signed_in(boss, client).get(BOARD).context["summary"].tasks == 1
    assert signed_in(people.grantee, client).get(BOARD).context["summary"].tasks == 1
    assert _group_by_queries(signed_in(boss, client)) == 0


def test_figures_counted_under_a_wider_scope_are_never_shown_after_it_narrows(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, board_cache: None
) -> None:
    """The cache keys on the person's scope: a grant revoked (or a position ended) counts afresh at once."""
    boss = people.committee_secretary
    account_services.supervision_grant(user=boss, organization=tree.township)
    make_task(tree.branch, boss, category)
    make_task(tree.township, boss, category)  # the township's own: supervised only by the grant
    township = {"org": str(tree.township.pk)}
    signed_in(boss, client)
    assert client.get(BOARD, township).context["summary"].tasks == 2
    assert _group_by_queries(client, township) == 0
    account_services.supervision_revoke(user=boss, organization=tree.township)
    response = client.get(BOARD, township)
    assert response.context["summary"].tasks == 1
    assert response.context["page"].paginator.count == 1


def test_with_the_cache_unreachable_the_board_counts_afresh(
    client: Client,
    tree: Tree,
    people: SimpleNamespace,
    category: Category,
    board_cache: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.cache import cache

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("Redis is down")

    make_task(tree.branch, people.committee_secretary, category)
    monkeypatch.setattr(cache, "get_many", down)
    signed_in(people.committee_secretary, client)
    assert _group_by_queries(client) == 2
    assert client.get(BOARD).context["summary"].tasks == 1
