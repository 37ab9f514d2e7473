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
from accounts.models import Position, User
from accounts.permissions import Action, can
from foundation.errors import DomainError
from responsibility import selectors, services
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
    client = signed_in(people.committee_member, client)
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
    signed_in(people.committee_deputy, client).post(URL, {"year": year, "code": " C-T1-B3 ", "reason": "红灯较多"})
    assert ContactPoint.objects.get().organization == tree.direct_branch


@pytest.mark.parametrize("target", ["sibling_branch", "township", "unrelated_branch", "county"])
def test_an_organization_outside_supervision_cannot_be_designated(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, target: str
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        URL, {"year": year, "code": getattr(tree, target).code, "reason": "试图越级"}
    )
    assert response.status_code == 200
    assert "在您督导的组织中没有找到该组织。" in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_a_forged_choice_outside_supervision_is_refused(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        URL, {"year": year, "organization": tree.sibling_branch.pk, "reason": "伪造"}
    )
    assert response.status_code == 200
    assert not ContactPoint.objects.exists()


def test_nothing_chosen_or_no_reason_is_refused_with_a_message(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.committee_secretary, client)
    assert "请选择联系点，或输入组织代码。" in client.post(URL, {"year": year, "reason": "x"}).content.decode()
    response = client.post(URL, {"year": year, "organization": tree.branch.pk, "reason": ""})
    assert "field-error" in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_the_same_point_twice_shows_the_services_message(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    designate(people.committee_secretary, tree.branch, year)
    response = signed_in(people.committee_secretary, client).post(
        URL, {"year": year, "organization": tree.branch.pk, "reason": "再次"}
    )
    assert f"{tree.branch.name} 已是您 {year} 年的联系点。" in response.content.decode()
    assert ContactPoint.objects.count() == 1


def test_weak_organizations_come_first_in_the_choice(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    give_list(tree.branch_sibling, year, people.committee_secretary, warning=Light.RED, red_items=3)
    give_list(tree.branch, year, people.branch_secretary, warning=Light.YELLOW, yellow_items=1)
    response = signed_in(people.committee_secretary, client).get(URL)
    choices = response.context["form"].fields["organization"].choices
    assert [value for value, _label in choices[1:3]] == [tree.branch_sibling.pk, tree.branch.pk]
    assert "红灯" in choices[1][1]
    assert tree.township.pk not in [value for value, _label in choices]


@pytest.mark.parametrize("who", ["branch_secretary", "branch_member", "committee_party_member", "outsider"])
def test_people_who_supervise_nothing_get_403(client: Client, people: SimpleNamespace, who: str) -> None:
    assert signed_in(getattr(people, who), client).get(URL).status_code == 403


def test_grantee_may_designate_inside_the_granted_subtree(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.grantee, client)
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
    response = signed_in(people.committee_secretary, client).get(URL)
    rows = list(response.context["page"].object_list)
    assert [(row.member, row.organization, row.visit_count, row.last_visit) for row in rows] == [
        (people.committee_deputy, tree.branch, 2, today)
    ]
    assert response.context["mine"] == []
    page = response.content.decode()
    assert tree.sibling_branch.name not in page
    # A point from another year stays on that year's page.
    assert not signed_in(people.committee_secretary, client).get(URL, {"year": year - 1}).context["page"].object_list


def test_own_points_are_listed_for_the_member(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    designate(people.committee_member, tree.direct_branch, year)
    response = signed_in(people.committee_member, client).get(URL)
    assert [point.organization for point in response.context["mine"]] == [tree.direct_branch]
    assert reverse("contact_point_detail", args=[response.context["mine"][0].pk]) in response.content.decode()


def test_member_records_a_visit_and_sees_visits_newest_first(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(people.committee_member, client)
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
    response = signed_in(people.committee_member, client).post(
        reverse("contact_point_detail", args=[point.pk]), {"visited_on": tomorrow.isoformat(), "summary": "未来"}
    )
    assert response.status_code == 200
    assert "走访日期不能晚于今天。" in response.content.decode()
    assert not ContactVisit.objects.exists()


def test_a_bad_date_is_a_form_error(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    point = designate(people.committee_member, tree.branch, year)
    response = signed_in(people.committee_member, client).post(
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
    assert signed_in(getattr(people, who), client).get(url).status_code == status


def test_sibling_committee_cannot_see_or_add_to_a_point(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(
        person=sibling_secretary, organization=tree.sibling_township, role=Position.Role.SECRETARY
    )
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(sibling_secretary, client)
    assert client.get(url).status_code == 404
    assert client.post(url, {"visited_on": timezone.localdate().isoformat(), "summary": "x"}).status_code == 404
    assert not ContactVisit.objects.exists()
    assert client.get(reverse("contact_point_detail", args=[999999])).status_code == 404


def test_contact_points_page_query_count_does_not_grow(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.committee_secretary, client)
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


# A designation does not outlive the member's position ------------------------------------------------


def fresh(user: User) -> User:
    """The person as the next request or task loads them: the scope is cached on a user object for one request."""
    return User.objects.get(pk=user.pk)


def end_positions(user: User) -> None:
    for position in Position.objects.current().filter(person=user):
        account_services.position_end(position=position)


def visit(point: ContactPoint, by: User) -> ContactVisit:
    return services.contact_visit_add(contact_point=point, visited_on=timezone.localdate(), summary="走访", by=by)


def visit_rows() -> list[dict[str, object]]:
    return list(ContactVisit.objects.order_by("pk").values())


def test_after_the_position_ends_the_member_is_answered_as_a_stranger(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    visit(point, people.committee_member)
    end_positions(people.committee_member)
    before = visit_rows()
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(people.committee_member, client)
    assert client.get(url).status_code == 404
    assert client.post(url, {"visited_on": timezone.localdate().isoformat(), "summary": "离任后"}).status_code == 404
    assert client.get(URL).status_code == 403  # supervises nothing any more
    assert visit_rows() == before
    assert ContactPoint.objects.filter(pk=point.pk).exists()  # the designation stays, as history


def test_a_former_member_who_still_sees_the_branch_gets_403(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    end_positions(people.committee_member)
    account_services.position_assign(
        person=people.committee_member, organization=tree.branch, role=Position.Role.MEMBER
    )
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(people.committee_member, client)
    assert client.get(url).status_code == 403
    assert client.post(url, {"visited_on": timezone.localdate().isoformat(), "summary": "x"}).status_code == 403
    assert not ContactVisit.objects.exists()


def test_the_service_refuses_a_visit_once_the_position_has_ended(
    people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    end_positions(people.committee_member)
    with pytest.raises(DomainError, match="您已不再督导一村党支部（任职已结束或督导授权已撤销），不能再记录走访。"):
        visit(point, fresh(people.committee_member))
    assert not ContactVisit.objects.exists()


def test_a_stale_visit_form_posted_after_the_position_ended_saves_nothing(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    url = reverse("contact_point_detail", args=[point.pk])
    client = signed_in(people.committee_member, client)
    assert client.get(url).status_code == 200
    end_positions(people.committee_member)
    client.post(url, {"visited_on": timezone.localdate().isoformat(), "summary": "旧页面"})
    assert not ContactVisit.objects.exists()


def test_designating_an_organization_one_does_not_supervise_is_refused_by_the_service(
    people: SimpleNamespace, tree: Tree, year: int
) -> None:
    with pytest.raises(DomainError, match="只能选择您督导范围内的下级党组织作为联系点。"):
        designate(people.committee_member, tree.sibling_branch, year)
    end_positions(people.committee_member)
    with pytest.raises(DomainError):
        designate(fresh(people.committee_member), tree.branch, year)
    assert not ContactPoint.objects.exists()


def test_a_revoked_grant_ends_the_grantees_contact_point(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.grantee, tree.branch, year)
    visit(point, people.grantee)
    account_services.supervision_revoke(user=people.grantee, organization=tree.township)
    with pytest.raises(DomainError):
        visit(point, fresh(people.grantee))
    assert signed_in(people.grantee, client).get(reverse("contact_point_detail", args=[point.pk])).status_code == 404
    assert ContactVisit.objects.count() == 1


def test_the_committee_sees_a_departed_member_marked_and_keeps_the_visits(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    point = designate(people.committee_member, tree.branch, year)
    visit(point, people.committee_member)
    kept = designate(people.committee_deputy, tree.direct_branch, year)
    end_positions(people.committee_member)
    client = signed_in(people.committee_secretary, client)
    response = client.get(URL)
    standing = {row.pk: row.member_supervises for row in response.context["page"].object_list}
    assert standing == {point.pk: False, kept.pk: True}
    assert response.content.decode().count("data-departed") == 1
    detail = client.get(reverse("contact_point_detail", args=[point.pk]))
    assert "已离任" in detail.content.decode()
    assert [v.summary for v in detail.context["visits"]] == ["走访"]
    # The committee may still record what it finds there, and another leader may take the point.
    visit(point, people.committee_secretary)
    designate(people.committee_secretary, tree.branch, year)


def test_own_points_leave_the_list_when_their_organization_is_no_longer_supervised(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    """Moved to another committee, the person still has the page but no longer the old points as their own."""
    designate(people.committee_member, tree.branch, year)
    end_positions(people.committee_member)
    account_services.position_assign(
        person=people.committee_member, organization=tree.sibling_township, role=Position.Role.DEPUTY
    )
    response = signed_in(people.committee_member, client).get(URL)
    assert response.status_code == 200
    assert response.context["mine"] == []


DESIGNATED = ["committee_secretary", "committee_deputy", "committee_member", "committee_staff", "grantee"]


@pytest.mark.parametrize("ended", [False, True], ids=["in office", "ended"])
def test_a_contact_point_is_usable_exactly_when_can_says_supervise(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, ended: bool
) -> None:
    """For every designated person, before and after their position ends (a grant revoked): the page, the
    service, the list of their own points and the committee's mark answer as `can(person, SUPERVISE, org)`."""
    points = {name: designate(getattr(people, name), tree.branch, year) for name in DESIGNATED}
    if ended:
        for name in DESIGNATED:
            end_positions(getattr(people, name))
        account_services.supervision_revoke(user=people.grantee, organization=tree.township)
    for name, point in points.items():
        person = fresh(getattr(people, name))
        supervises = can(person, Action.SUPERVISE, tree.branch)
        assert supervises is not ended, name
        status = signed_in(person, client).get(reverse("contact_point_detail", args=[point.pk])).status_code
        assert (status == 200) is supervises, name
        assert (point in selectors.contact_points_of(person, year)) is supervises, name
        marked = ContactPoint.objects.annotate(flag=selectors.member_supervises()).get(pk=point.pk)
        assert marked.flag is supervises, name
        try:
            visit(point, person)
        except DomainError:
            assert not supervises, name
        else:
            assert supervises, name
