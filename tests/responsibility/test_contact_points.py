"""Contact points (书记联系点): committee people designate weak organizations they supervise and record visits."""

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
from accounts.models import Position
from responsibility import services
from responsibility.models import ContactPoint, ContactVisit, Light
from tests.conftest import Tree
from tests.factories import OrganizationFactory, UserFactory
from tests.responsibility.test_progress_views import give_list, signed_in

URL = reverse("contact_points")


def designate(member, organization, year: int) -> ContactPoint:  # type: ignore[no-untyped-def]
    return services.contact_point_designate(
        member=member, organization=organization, year=year, reason="软弱涣散", by=member
    )


def test_committee_member_designates_a_supervised_organization_from_the_list(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(client, people.committee_member)
    response = client.post(URL, {"year": year, "organization": tree.branch.pk, "reason": "班子不健全"})
    point = ContactPoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_point_detail", args=[point.pk])
    assert (point.member, point.organization, point.year, point.reason) == (
        people.committee_member,
        tree.branch,
        year,
        "班子不健全",
    )


def test_committee_member_designates_by_organization_code(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    signed_in(client, people.committee_deputy).post(URL, {"year": year, "code": " C-T1-B3 ", "reason": "红灯较多"})
    assert ContactPoint.objects.get().organization == tree.direct_branch


@pytest.mark.parametrize("target", ["sibling_branch", "township", "unrelated_branch", "county"])
def test_an_organization_outside_supervision_cannot_be_designated(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, target: str
) -> None:
    response = signed_in(client, people.committee_secretary).post(
        URL, {"year": year, "code": getattr(tree, target).code, "reason": "试图越级"}
    )
    assert response.status_code == 200
    assert "在您督导的组织中没有找到该组织。" in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_a_forged_choice_outside_supervision_is_refused(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(client, people.committee_secretary).post(
        URL, {"year": year, "organization": tree.sibling_branch.pk, "reason": "伪造"}
    )
    assert response.status_code == 200
    assert not ContactPoint.objects.exists()


def test_nothing_chosen_or_no_reason_is_refused_with_a_message(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(client, people.committee_secretary)
    assert "请选择联系点，或输入组织代码。" in client.post(URL, {"year": year, "reason": "x"}).content.decode()
    response = client.post(URL, {"year": year, "organization": tree.branch.pk, "reason": ""})
    assert "field-error" in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_the_same_point_twice_shows_the_services_message(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    designate(people.committee_secretary, tree.branch, year)
    response = signed_in(client, people.committee_secretary).post(
        URL, {"year": year, "organization": tree.branch.pk, "reason": "再次"}
    )
    assert f"{tree.branch.name} 已是您 {year} 年的联系点。" in response.content.decode()
    assert ContactPoint.objects.count() == 1


def test_weak_organizations_come_first_in_the_choice(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    give_list(tree.branch_sibling, year, people.committee_secretary, warning=Light.RED, red_items=3)
    give_list(tree.branch, year, people.branch_secretary, warning=Light.YELLOW, yellow_items=1)
    response = signed_in(client, people.committee_secretary).get(URL)
    choices = response.context["form"].fields["organization"].choices
    assert [value for value, _label in choices[1:3]] == [tree.branch_sibling.pk, tree.branch.pk]
    assert "红灯" in choices[1][1]
    assert tree.township.pk not in [value for value, _label in choices]


@pytest.mark.parametrize("who", ["branch_secretary", "branch_member", "committee_party_member", "outsider"])
def test_people_who_supervise_nothing_get_403(client: Client, people: SimpleNamespace, who: str) -> None:
    assert signed_in(client, getattr(people, who)).get(URL).status_code == 403


def test_grantee_may_designate_inside_the_granted_subtree(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(client, people.grantee)
    assert client.get(URL).status_code == 200
    client.post(URL, {"year": year, "code": tree.township.code, "reason": "受托督导"})
    assert ContactPoint.objects.get().organization == tree.township


def test_committee_sees_every_point_in_its_subtree_with_visits(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_deputy, tree.branch, year)
    today = timezone.localdate()
    for days in (0, 1):
        services.contact_visit_add(
            contact_point=point, visited_on=today - timedelta(days=days), summary="走访", by=people.committee_deputy
        )
    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(
        person=sibling_secretary, organization=tree.sibling_township, role=Position.Role.SECRETARY
    )
    designate(sibling_secretary, tree.sibling_branch, year)
    response = signed_in(client, people.committee_secretary).get(URL)
    rows = list(response.context["page"].object_list)
    assert [(row.member, row.organization, row.visit_count, row.last_visit) for row in rows] == [
        (people.committee_deputy, tree.branch, 2, today)
    ]
    assert response.context["mine"] == []
    page = response.content.decode()
    assert tree.sibling_branch.name not in page
    # A point from another year stays on that year's page.
    assert not signed_in(client, people.committee_secretary).get(URL, {"year": year - 1}).context["page"].object_list


def test_own_points_are_listed_for_the_member(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    designate(people.committee_member, tree.direct_branch, year)
    response = signed_in(client, people.committee_member).get(URL)
    assert [point.organization for point in response.context["mine"]] == [tree.direct_branch]
    assert reverse("contact_point_detail", args=[response.context["mine"][0].pk]) in response.content.decode()


def test_member_records_a_visit_and_sees_visits_newest_first(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(client, people.committee_member)
    today = timezone.localdate()
    earlier = today.replace(month=1, day=1)
    client.post(url, {"visited_on": earlier.isoformat(), "summary": "第一次走访", "problems": "台账不全"})
    response = client.post(url, {"visited_on": today.isoformat(), "summary": "第二次走访"}, follow=True)
    assert "走访记录已保存。" in response.content.decode()
    assert [visit.summary for visit in response.context["visits"]] == ["第二次走访", "第一次走访"]
    assert ContactVisit.objects.filter(created_by=people.committee_member).count() == 2


def test_a_visit_in_the_future_is_refused_and_nothing_saved(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = signed_in(client, people.committee_member).post(
        reverse("contact_point_detail", args=[point.pk]), {"visited_on": tomorrow.isoformat(), "summary": "未来"}
    )
    assert response.status_code == 200
    assert "走访日期不能晚于今天。" in response.content.decode()
    assert not ContactVisit.objects.exists()


def test_a_bad_date_is_a_form_error(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    point = designate(people.committee_member, tree.branch, year)
    response = signed_in(client, people.committee_member).post(
        reverse("contact_point_detail", args=[point.pk]), {"visited_on": "not-a-date", "summary": "x"}
    )
    assert "field-error" in response.content.decode()
    assert not ContactVisit.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee_member", 200),
        ("committee_secretary", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("branch_member", 403),
        ("outsider", 404),
    ],
)
def test_a_point_is_for_its_member_and_those_supervising_it(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, who: str, status: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    url = reverse("contact_point_detail", args=[point.pk])
    assert signed_in(client, getattr(people, who)).get(url).status_code == status


def test_sibling_committee_cannot_see_or_add_to_a_point(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(
        person=sibling_secretary, organization=tree.sibling_township, role=Position.Role.SECRETARY
    )
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(client, sibling_secretary)
    assert client.get(url).status_code == 404
    assert client.post(url, {"visited_on": timezone.localdate().isoformat(), "summary": "x"}).status_code == 404
    assert not ContactVisit.objects.exists()
    assert client.get(reverse("contact_point_detail", args=[999999])).status_code == 404


def test_contact_points_page_query_count_does_not_grow(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(client, people.committee_secretary)
    designate(people.committee_secretary, tree.branch, year)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    small = count()
    for index in range(6):
        organization = OrganizationFactory(parent=tree.township, code=f"CP{index}")
        point = designate(people.committee_deputy, organization, year)
        services.contact_visit_add(
            contact_point=point, visited_on=timezone.localdate(), summary="走访", by=people.committee_deputy
        )
        designate(people.committee_secretary, organization, year)
    assert count() == small
