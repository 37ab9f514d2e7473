"""The committee's progress page: figures over a subtree, drill-down, filters, who may look, at what cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Organization
from responsibility import services
from responsibility.models import Light, ResponsibilityList
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import OrganizationFactory

URL = reverse("progress_overview")


def give_list(organization: Organization, year: int, user, **figures: object) -> ResponsibilityList:  # type: ignore[no-untyped-def]
    """A list for the organization with its stored figures set directly (the page reads only those)."""
    responsibility_list = services.list_start(organization=organization, year=year, by=user)
    ResponsibilityList.objects.filter(pk=responsibility_list.pk).update(**figures)
    responsibility_list.refresh_from_db()
    return responsibility_list


def add_branches(parent: Organization, count: int, year: int, user, prefix: str = "X") -> None:  # type: ignore[no-untyped-def]
    for index in range(count):
        branch = OrganizationFactory(
            parent=parent, kind=Organization.Kind.BRANCH, code=f"{parent.code}-{prefix}{index}", name=f"新建支部{index}"
        )
        if index % 2:
            give_list(branch, year, user, warning=Light.RED, red_items=1, required_total=4, done_total=1)


def test_committee_sees_its_subtree_summed_by_child_and_by_organization(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    give_list(
        tree.branch_sibling,
        year,
        people.committee_secretary,
        warning=Light.YELLOW,
        yellow_items=2,
        green_items=1,
        required_total=10,
        done_total=5,
    )
    response = signed_in(people.committee_secretary, client).get(URL)
    assert response.status_code == 200
    summary = response.context["summary"]
    # 甲镇党委, its 党总支, the two branches below it and the direct branch.
    assert summary.organizations == 5
    assert summary.lists == 2
    assert summary.without_list == 3
    assert summary.yellow == 2 + branch_list.yellow_items
    rows = {row.label: row for row in response.context["drill_rows"]}
    general = rows[tree.general.name]
    assert general.figures.organizations == 3
    assert general.figures.lists == 2
    assert general.drill
    assert rows["直属党支部（1 个）"].figures.organizations == 1
    assert f"org={tree.general.pk}" in response.content.decode()
    codes = [organization.code for organization in response.context["page"].object_list]
    assert codes == [
        tree.township.code,
        tree.general.code,
        tree.branch.code,
        tree.branch_sibling.code,
        tree.direct_branch.code,
    ]
    assert tree.sibling_branch.name not in response.content.decode()
    assert "未建立" in response.content.decode()


def test_completion_counts_done_records_capped_by_what_is_required(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    give_list(tree.branch, year, people.branch_secretary, required_total=10, done_total=5)
    give_list(tree.branch_sibling, year, people.committee_secretary, required_total=10, done_total=30)
    response = signed_in(people.committee_secretary, client).get(URL)
    # 5 of 10 and 10 of 10 (the surplus of the second list does not count): 15 of 20.
    assert response.context["summary"].completion == 75


def test_drilling_into_a_child_shows_its_subtree_only(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList
) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"org": tree.general.pk})
    assert response.status_code == 200
    assert response.context["summary"].organizations == 3
    assert tree.direct_branch.name not in response.content.decode()
    assert [ancestor.pk for ancestor in response.context["ancestors"]] == [tree.township.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"light": "red"}, ["C-T1-G-B1"]),
        ({"light": "yellow"}, ["C-T1-G-B2"]),
        ({"light": "none"}, ["C-T1", "C-T1-G", "C-T1-B3"]),
        ({"kind": "branch"}, ["C-T1-G-B1", "C-T1-G-B2", "C-T1-B3"]),
        ({"sector": "organ"}, ["C-T1-G"]),
        ({"kind": "branch", "light": "none"}, ["C-T1-B3"]),
    ],
)
def test_filters_narrow_the_table_and_the_figures(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, query: dict[str, str], expected: list[str]
) -> None:
    give_list(tree.branch, year, people.branch_secretary, warning=Light.RED, red_items=1)
    give_list(tree.branch_sibling, year, people.committee_secretary, warning=Light.YELLOW, yellow_items=1)
    response = signed_in(people.committee_secretary, client).get(URL, query)
    assert [organization.code for organization in response.context["page"].object_list] == expected
    assert response.context["summary"].organizations == len(expected)


def test_another_year_has_no_lists_yet(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"year": year + 1})
    assert response.context["summary"].lists == 0
    assert response.context["filters"].year == year + 1


def test_filter_form_keeps_its_values(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"light": "red", "kind": "branch"})
    page = response.content.decode()
    assert '<option value="red" selected>' in page
    assert '<option value="branch" selected>' in page


def test_bad_filter_values_are_ignored_without_an_error(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(people.committee_secretary, client).get(
        URL, {"light": "purple", "kind": "<script>", "sector": "x", "year": "abc", "page": "zz"}
    )
    assert response.status_code == 200
    assert response.context["filters"].year == year
    assert response.context["filters"].light == ""
    assert response.context["summary"].organizations == 5
    assert "field-error" not in response.content.decode()
    assert "&lt;script&gt;" not in response.content.decode()


def test_a_year_out_of_range_falls_back_to_this_year(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"year": "99999"})
    assert response.context["filters"].year == year


@pytest.mark.parametrize("who", ["branch_secretary", "branch_member", "committee_party_member", "outsider"])
def test_people_who_supervise_nothing_get_403(client: Client, people: SimpleNamespace, who: str) -> None:
    assert signed_in(getattr(people, who), client).get(URL).status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("sibling_township", 404),
        ("sibling_branch", 404),
        ("county", 404),
        ("unrelated_branch", 404),
        ("general", 200),
        ("branch", 200),
        ("township", 200),
    ],
)
def test_committee_may_point_the_page_only_inside_its_own_subtree(
    client: Client, people: SimpleNamespace, tree: Tree, target: str, status: int
) -> None:
    response = signed_in(people.committee_member, client).get(URL, {"org": getattr(tree, target).pk})
    assert response.status_code == status


def test_unknown_or_malformed_org_is_404(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    client = signed_in(people.committee_secretary, client)
    assert client.get(URL, {"org": "999999"}).status_code == 404
    assert client.get(URL, {"org": "abc"}).status_code == 404


def test_branch_secretary_may_not_point_the_page_at_own_branch(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    assert signed_in(people.branch_secretary, client).get(URL, {"org": tree.branch.pk}).status_code == 403


def test_grantee_sees_the_granted_subtree(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    response = signed_in(people.grantee, client).get(URL)
    assert response.status_code == 200
    assert [root.pk for root in response.context["roots"]] == [tree.township.pk]
    assert response.context["summary"].organizations == 5
    assert signed_in(people.grantee, client).get(URL, {"org": tree.sibling_township.pk}).status_code == 404


def test_person_with_roots_at_different_depths_sees_one_row_per_root(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    account_services.supervision_grant(user=people.committee_secretary, organization=tree.unrelated)
    response = signed_in(people.committee_secretary, client).get(URL)
    rows = {row.label: row.figures.organizations for row in response.context["drill_rows"]}
    assert rows == {tree.township.name: 5, tree.unrelated.name: 2}
    assert response.context["summary"].organizations == 7


def test_administrator_sees_every_root(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    response = signed_in(people.admin, client).get(URL)
    rows = {row.label: row.figures.organizations for row in response.context["drill_rows"]}
    assert rows == {tree.county.name: 8, tree.unrelated.name: 2}


def test_table_is_paginated_and_pages_keep_the_filters(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    add_branches(tree.township, 55, year, people.committee_secretary)
    client = signed_in(people.committee_secretary, client)
    response = client.get(URL, {"kind": "branch"})
    page = response.context["page"]
    assert len(page.object_list) == 50
    assert page.paginator.count == 58
    assert "kind=branch&amp;page=2" in response.content.decode()
    second = client.get(URL, {"kind": "branch", "page": 2})
    assert len(second.context["page"].object_list) == 8


def test_page_query_count_does_not_grow_with_the_number_of_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(query: dict[str, object]) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, query).status_code == 200
        return len(queries)

    queries = [{}, {"org": tree.general.pk}, {"light": "red", "kind": "branch"}]
    small = [count(query) for query in queries]
    add_branches(tree.general, 70, year, people.committee_secretary)
    extra = OrganizationFactory(parent=tree.township, kind=Organization.Kind.GENERAL_BRANCH, code="C-T1-G2")
    add_branches(extra, 5, year, people.committee_secretary, prefix="Y")
    assert [count(query) for query in queries] == small
