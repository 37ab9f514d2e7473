"""年年提问题、年年是问题 by meaning: a finding is linked to the earlier-year finding of its organization that it is
worded like (category a hint), the committee confirms or rejects the link, and only confirmed links count.

Why one file: linking, the committee's word on it and where the link is shown and counted are one rule, read
together; the board's and the task page's other behaviour stays in their own files.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Position
from foundation.errors import DomainError
from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from similarity.text import problem_likeness
from tests.clients import signed_in
from tests.conftest import Tree, _person
from tests.factories import OrganizationFactory

Recurrence = Finding.Recurrence
THIS_YEAR = timezone.localdate().year
BOARD = reverse("rectification_board")

# Wordings whose likeness the tests rely on; each test asserts the range it needs, so a change of the measure
# shows here as a failed premise, not as a puzzling link.
DUES = "党费台账未按月登记"
DUES_REWORDED = "党费收缴台账登记不及时，未做到按月登记"
RECRUITMENT = "发展党员梯队不足"
MEETINGS = "“三会一课”记录不够规范，个别支委会缺少签到和会议决议。"
MEETINGS_REWORDED = "“三会一课”会议记录仍不规范，支委会签到不全、没有形成决议。"


@pytest.fixture
def other_category(category: Category) -> Category:
    other = Category.objects.exclude(pk=category.pk).first()
    assert other is not None
    return other


def raise_finding(organization: Organization, year: int, description: str, category: Category, by: object) -> Finding:
    return services.finding_raise(
        organization=organization,
        year=year,
        source=Finding.Source.INSPECTION,
        description=description,
        category=category,
        by=by,  # type: ignore[arg-type]
    )


# Linking by the words ---------------------------------------------------------------------------------------


def test_the_demos_dues_ledger_is_not_linked_to_last_years_recruitment_problem_of_the_same_category(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    raise_finding(tree.branch, THIS_YEAR - 1, RECRUITMENT, category, boss)
    dues = raise_finding(tree.branch, THIS_YEAR, DUES, category, boss)
    assert dues.recurring_of is None
    assert (dues.recurring_likeness, dues.recurring_state) == (None, "")
    assert not dues.is_recurring


def test_a_reworded_repeat_is_linked_as_a_suggestion_with_its_likeness(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    earlier = raise_finding(tree.branch, THIS_YEAR - 1, DUES_REWORDED, category, boss)
    again = raise_finding(tree.branch, THIS_YEAR, DUES, category, boss)
    assert again.recurring_of == earlier
    assert again.recurring_likeness == problem_likeness(DUES, DUES_REWORDED)
    assert again.recurring_likeness >= services.RECURRING_SAME_CATEGORY
    assert again.recurring_state == Recurrence.SUGGESTED
    assert again.recurrence_to_confirm
    assert not again.is_recurring  # not until the committee says so


def test_the_category_is_a_hint_a_link_across_categories_needs_closer_words(
    tree: Tree, people: SimpleNamespace, category: Category, other_category: Category
) -> None:
    likeness = problem_likeness(MEETINGS_REWORDED, MEETINGS)
    assert services.RECURRING_SAME_CATEGORY <= likeness < services.RECURRING_OTHER_CATEGORY
    boss = people.committee_secretary
    same = raise_finding(tree.branch, THIS_YEAR - 1, MEETINGS, category, boss)
    assert raise_finding(tree.branch, THIS_YEAR, MEETINGS_REWORDED, category, boss).recurring_of == same
    assert raise_finding(tree.direct_branch, THIS_YEAR - 1, MEETINGS, other_category, boss)
    assert raise_finding(tree.direct_branch, THIS_YEAR, MEETINGS_REWORDED, category, boss).recurring_of is None
    # Closer words make the case across categories.
    assert problem_likeness(DUES, DUES_REWORDED) >= services.RECURRING_OTHER_CATEGORY
    across = raise_finding(tree.branch_sibling, THIS_YEAR - 1, DUES_REWORDED, other_category, boss)
    assert raise_finding(tree.branch_sibling, THIS_YEAR, DUES, category, boss).recurring_of == across


def test_the_most_alike_earlier_finding_is_chosen_and_a_tie_goes_to_the_latest_year(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    assert problem_likeness(MEETINGS, MEETINGS_REWORDED) < problem_likeness(MEETINGS, MEETINGS) == 100
    boss = people.committee_secretary
    raise_finding(tree.branch, THIS_YEAR - 3, DUES, category, boss)
    older_same = raise_finding(tree.branch, THIS_YEAR - 3, MEETINGS, category, boss)
    latest_same = raise_finding(tree.branch, THIS_YEAR - 2, MEETINGS, category, boss)
    raise_finding(tree.branch, THIS_YEAR - 1, MEETINGS_REWORDED, category, boss)  # the latest, but less alike
    again = raise_finding(tree.branch, THIS_YEAR, MEETINGS, category, boss)
    assert again.recurring_of == latest_same != older_same
    assert again.recurring_likeness == 100


def test_no_link_within_the_same_year_or_to_another_organization(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    raise_finding(tree.branch, THIS_YEAR, DUES, category, boss)
    assert raise_finding(tree.branch, THIS_YEAR, DUES, category, boss).recurring_of is None
    raise_finding(tree.branch_sibling, THIS_YEAR - 1, DUES, category, boss)
    assert raise_finding(tree.direct_branch, THIS_YEAR, DUES, category, boss).recurring_of is None
    # A later year's finding is not what an earlier one repeats.
    raise_finding(tree.general, THIS_YEAR, DUES, category, boss)
    assert raise_finding(tree.general, THIS_YEAR - 1, DUES, category, boss).recurring_of is None


def test_raising_a_finding_reads_the_organizations_earlier_findings_in_one_query(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    for year in range(THIS_YEAR - 5, THIS_YEAR):
        raise_finding(tree.branch, year, f"{year}年{RECRUITMENT}", category, boss)
    with CaptureQueriesContext(connection) as captured:
        services.earlier_alike(tree.branch, THIS_YEAR, DUES, category)
    assert len(captured) == 1


# The committee's word ----------------------------------------------------------------------------------------


@pytest.fixture
def suggested(tree: Tree, people: SimpleNamespace, category: Category) -> Finding:
    raise_finding(tree.branch, THIS_YEAR - 1, DUES_REWORDED, category, people.committee_secretary)
    finding = raise_finding(tree.branch, THIS_YEAR, DUES, category, people.committee_secretary)
    assert finding.recurrence_to_confirm
    return finding


def test_the_committee_confirms_a_link_and_the_finding_becomes_recurring(
    people: SimpleNamespace, suggested: Finding
) -> None:
    confirmed = services.finding_recurrence_confirm(finding=suggested, by=people.committee_secretary)
    assert confirmed.recurring_state == Recurrence.CONFIRMED
    assert confirmed.is_recurring
    suggested.refresh_from_db()
    assert suggested.is_recurring
    # The history follows the committee's word.
    assert list(suggested.history.order_by("history_id").values_list("recurring_state", flat=True)) == [
        Recurrence.SUGGESTED,
        Recurrence.CONFIRMED,
    ]


def test_the_committee_rejects_a_link_and_it_counts_nowhere(people: SimpleNamespace, suggested: Finding) -> None:
    earlier = suggested.recurring_of
    rejected = services.finding_recurrence_reject(finding=suggested, by=people.committee_secretary)
    assert rejected.recurring_state == Recurrence.REJECTED
    assert rejected.recurring_of == earlier  # kept, so that it is not suggested again
    assert not rejected.is_recurring
    assert not rejected.recurrence_to_confirm
    with pytest.raises(DomainError):
        services.finding_recurrence_confirm(finding=rejected, by=people.committee_secretary)
    with pytest.raises(DomainError):
        services.finding_recurrence_reject(finding=rejected, by=people.committee_secretary)


def test_a_confirmed_link_may_still_be_rejected(people: SimpleNamespace, suggested: Finding) -> None:
    services.finding_recurrence_confirm(finding=suggested, by=people.committee_secretary)
    assert not services.finding_recurrence_reject(finding=suggested, by=people.committee_secretary).is_recurring


def test_a_finding_without_a_link_has_nothing_to_confirm_or_reject(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    alone = raise_finding(tree.branch, THIS_YEAR, DUES, category, people.committee_secretary)
    for decide in (services.finding_recurrence_confirm, services.finding_recurrence_reject):
        with pytest.raises(DomainError):
            decide(finding=alone, by=people.committee_secretary)
    alone.refresh_from_db()
    assert alone.recurring_state == ""


@pytest.mark.parametrize("decide", [services.finding_recurrence_confirm, services.finding_recurrence_reject])
def test_a_branch_secretary_or_a_sibling_committee_cannot_decide(
    tree: Tree, people: SimpleNamespace, suggested: Finding, decide: object
) -> None:
    sibling = _person("sibling_secretary", tree.sibling_township, Position.Role.SECRETARY)
    for person in (people.branch_secretary, sibling, people.outsider):
        with pytest.raises(PermissionDenied):
            decide(finding=suggested, by=person)  # type: ignore[operator]
    suggested.refresh_from_db()
    assert suggested.recurring_state == Recurrence.SUGGESTED


def test_a_rejected_link_is_not_suggested_again_when_the_text_changes(
    tree: Tree, people: SimpleNamespace, category: Category, suggested: Finding
) -> None:
    rejected_earlier = suggested.recurring_of
    services.finding_recurrence_reject(finding=suggested, by=people.committee_secretary)
    Finding.objects.filter(pk=suggested.pk).update(description="党费收缴台账没有按月登记")
    refreshed = services.finding_recurrence_refresh(finding=suggested)
    assert (refreshed.recurring_of, refreshed.recurring_state) == (rejected_earlier, Recurrence.REJECTED)
    # Another earlier finding worded alike is suggested in its place.
    other = raise_finding(tree.branch, THIS_YEAR - 2, "党费收缴台账没有按月登记", category, people.committee_secretary)
    refreshed = services.finding_recurrence_refresh(finding=suggested)
    assert (refreshed.recurring_of, refreshed.recurring_state) == (other, Recurrence.SUGGESTED)


# Pages --------------------------------------------------------------------------------------------------------


def decide_url(finding: Finding) -> str:
    return reverse("finding_recurrence", args=[finding.pk])


def test_the_committee_confirms_on_the_board_and_returns_to_it(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    signed_in(people.committee_secretary, client)
    page = client.get(BOARD).content.decode()
    assert f'id="recurrence-{suggested.pk}"' in page
    assert f"相似 {suggested.recurring_likeness}%" in page
    assert DUES_REWORDED in page
    assert DUES in page
    assert "确认是同一问题" in page
    assert "不是同一问题" in page
    response = client.post(decide_url(suggested), {"decision": "confirm", "next": BOARD})
    assert (response.status_code, response["Location"]) == (302, BOARD)
    suggested.refresh_from_db()
    assert suggested.is_recurring


def test_the_committee_rejects_on_the_findings_page(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    signed_in(people.committee_secretary, client)
    findings = reverse("findings")
    response = client.get(findings)
    assert [finding.pk for finding in response.context["to_confirm"]] == [suggested.pk]
    assert f'action="{decide_url(suggested)}"' in response.content.decode()
    client.post(decide_url(suggested), {"decision": "reject", "next": findings})
    suggested.refresh_from_db()
    assert suggested.recurring_state == Recurrence.REJECTED
    assert client.get(findings).context["to_confirm"] == []


def test_a_page_elsewhere_or_no_decision_goes_back_safely_and_changes_nothing(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    signed_in(people.committee_secretary, client)
    response = client.post(decide_url(suggested), {"decision": "maybe", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('findings')}?year={suggested.year}"
    suggested.refresh_from_db()
    assert suggested.recurring_state == Recurrence.SUGGESTED


def test_the_task_page_shows_the_evidence_and_buttons_to_the_committee_only(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    task = services.task_create(
        findings=[suggested],
        title="规范党费台账",
        responsible=people.branch_secretary,
        deadline=timezone.localdate(),
        by=people.committee_secretary,
    )
    url = reverse("task_detail", args=[task.pk])
    committee_page = signed_in(people.committee_secretary, client).get(url).content.decode()
    assert f'action="{decide_url(suggested)}"' in committee_page
    assert DUES_REWORDED in committee_page
    branch_page = signed_in(people.branch_secretary, client).get(url).content.decode()
    assert f'action="{decide_url(suggested)}"' not in branch_page
    # Without a next, the decision returns to the finding's task.
    response = signed_in(people.committee_secretary, client).post(decide_url(suggested), {"decision": "confirm"})
    assert response["Location"] == url
    assert "往年同类问题（" in client.get(url).content.decode()


def test_a_branch_secretary_is_refused_and_a_sibling_committee_does_not_see_the_finding(
    client: Client, tree: Tree, people: SimpleNamespace, suggested: Finding
) -> None:
    sibling = _person("sibling_secretary", tree.sibling_township, Position.Role.SECRETARY)
    assert (
        signed_in(people.branch_secretary, client).post(decide_url(suggested), {"decision": "confirm"}).status_code
        == 403
    )
    assert signed_in(sibling, client).post(decide_url(suggested), {"decision": "confirm"}).status_code == 404
    assert signed_in(people.committee_secretary, client).get(decide_url(suggested)).status_code == 405
    suggested.refresh_from_db()
    assert suggested.recurring_state == Recurrence.SUGGESTED


# Counted: confirmed links only --------------------------------------------------------------------------------


def test_the_board_counts_and_filters_confirmed_links_only(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    boss = people.committee_secretary
    task = services.task_create(
        findings=[suggested],
        title="规范党费台账",
        responsible=people.branch_secretary,
        deadline=timezone.localdate(),
        by=boss,
    )
    signed_in(boss, client)
    response = client.get(BOARD)
    assert response.context["summary"].recurring_findings == 0
    assert response.context["recurring"] == []
    assert [finding.pk for finding in response.context["to_confirm"]] == [suggested.pk]
    assert not {row.task.pk: row for row in response.context["rows"]}[task.pk].recurring
    assert client.get(BOARD, {"recurring": "on"}).context["rows"] == []
    assert list(client.get(reverse("findings"), {"recurring": "on"}).context["page"].object_list) == []

    services.finding_recurrence_confirm(finding=suggested, by=boss)
    response = client.get(BOARD)
    assert response.context["summary"].recurring_findings == 1
    assert [finding.pk for finding in response.context["recurring"]] == [suggested.pk]
    assert response.context["to_confirm"] == []
    assert [row.task.pk for row in client.get(BOARD, {"recurring": "on"}).context["rows"]] == [task.pk]
    found = client.get(reverse("findings"), {"recurring": "on"}).context["page"].object_list
    assert [finding.pk for finding in found] == [suggested.pk]


def _board_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(BOARD).status_code == 200
    return [query["sql"] for query in captured]


def test_the_board_costs_the_same_queries_however_many_links_wait_or_count(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, suggested: Finding
) -> None:
    boss = people.committee_secretary
    raise_finding(tree.direct_branch, THIS_YEAR - 1, DUES_REWORDED, category, boss)
    counted = raise_finding(tree.direct_branch, THIS_YEAR, DUES, category, boss)
    services.finding_recurrence_confirm(finding=counted, by=boss)  # a group on the board, a line in the panel
    signed_in(boss, client)
    small = _board_queries(client)
    for index in range(5):
        branch = OrganizationFactory(parent=tree.township, kind=Organization.Kind.BRANCH, code=f"C-T1-R{index}")
        raise_finding(branch, THIS_YEAR - 1, DUES_REWORDED, category, boss)
        again = raise_finding(branch, THIS_YEAR, DUES, category, boss)
        if index % 2:
            services.finding_recurrence_confirm(finding=again, by=boss)
    big = _board_queries(client)
    assert len(big) == len(small), "\n".join(big)


@pytest.fixture
def board_cache(settings: Any) -> Iterator[None]:
    cache.clear()
    settings.BOARD_CACHE_SECONDS = 600
    yield
    cache.clear()


def test_the_committees_word_refreshes_the_cached_board_figures(
    client: Client,
    people: SimpleNamespace,
    suggested: Finding,
    board_cache: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    signed_in(people.committee_secretary, client)
    assert client.get(BOARD).context["summary"].recurring_findings == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_recurrence_confirm(finding=suggested, by=people.committee_secretary)
    assert client.get(BOARD).context["summary"].recurring_findings == 1


def test_a_task_with_a_confirmed_finding_is_tagged_on_the_board(
    client: Client, people: SimpleNamespace, suggested: Finding
) -> None:
    services.finding_recurrence_confirm(finding=suggested, by=people.committee_secretary)
    task = services.task_create(
        findings=[suggested],
        title="规范党费台账",
        responsible=people.branch_secretary,
        deadline=timezone.localdate(),
        by=people.committee_secretary,
    )
    rows = signed_in(people.committee_secretary, client).get(BOARD).context["rows"]
    assert {row.task.pk: row.recurring for row in rows} == {task.pk: True}
    assert RectificationTask.objects.get(pk=task.pk).findings.get().is_recurring


# Links made by the old rule ------------------------------------------------------------------------------------


def test_the_migration_keeps_old_category_links_only_where_the_words_are_alike(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    judge = importlib.import_module("rectification.migrations.0004_recurrence_by_text").judge_category_links
    boss = people.committee_secretary
    recruitment = raise_finding(tree.branch, THIS_YEAR - 1, RECRUITMENT, category, boss)
    dues = raise_finding(tree.branch, THIS_YEAR, DUES, category, boss)
    meetings = raise_finding(tree.direct_branch, THIS_YEAR - 1, MEETINGS, category, boss)
    again = raise_finding(tree.direct_branch, THIS_YEAR, MEETINGS_REWORDED, category, boss)
    # As the category rule left them: linked, nothing more said.
    Finding.objects.filter(pk=dues.pk).update(recurring_of=recruitment)
    Finding.objects.filter(pk=again.pk).update(recurring_likeness=None, recurring_state="")
    judge(django_apps, None)
    dues.refresh_from_db()
    again.refresh_from_db()
    assert (dues.recurring_of, dues.recurring_state) == (None, "")
    assert (again.recurring_of, again.recurring_state) == (meetings, Recurrence.SUGGESTED)
    assert again.recurring_likeness == problem_likeness(MEETINGS_REWORDED, MEETINGS)
