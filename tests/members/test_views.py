"""The roll's pages as each role sees them, and the walk: every page asks members.access, and an id naming
nothing answers 404 through it."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from members import access, services, views
from members.models import Member, MemberStatusChange, PartyGroup, Transfer
from tests.clients import signed_in
from tests.factories import OrganizationFactory
from tests.members.conftest import fields, id_number

pytestmark = pytest.mark.django_db


def test_the_branch_secretary_sees_the_roll_with_its_counts(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    response = signed_in(people.branch_secretary).get(reverse("member_roll", args=[tree.branch.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王一" in page
    assert "李二" in page
    assert "赵三" not in page
    assert response.context["counts"].members == 2
    assert response.context["counts"].probationary == 1


def test_the_roll_filters_by_status_category_and_group(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    client = signed_in(people.branch_secretary)
    url = reverse("member_roll", args=[tree.branch.pk])
    assert [m.name for m in client.get(url, {"category": "probationary"}).context["members"]] == ["李二"]
    assert [m.name for m in client.get(url, {"group": roll.group.pk}).context["members"]] == ["王一"]
    assert client.get(url, {"status": "lost"}).context["members"] == []
    assert len(client.get(url, {"status": "nonsense"}).context["members"]) == 2


def test_the_menu_offers_the_roll_to_those_who_keep_or_follow_one(people: SimpleNamespace) -> None:
    assert "党员名册" in signed_in(people.branch_secretary).get(reverse("home")).content.decode()
    assert "党员名册" in signed_in(people.committee_secretary).get(reverse("home")).content.decode()
    assert 'href="/members/"' not in signed_in(people.branch_member).get(reverse("home")).content.decode()


def test_the_id_number_is_masked_except_to_the_branch_and_its_committees(
    roll: SimpleNamespace, people: SimpleNamespace
) -> None:
    url = reverse("member_detail", args=[roll.full.pk])
    for reader in (people.branch_secretary, people.committee_secretary):
        assert id_number(1) in signed_in(reader).get(url).content.decode()
    own = signed_in(people.branch_member).get(url)
    assert own.status_code == 200
    assert id_number(1) not in own.content.decode()
    assert roll.full.masked_id_number in own.content.decode()


@pytest.mark.parametrize(
    ("actor", "status"),
    [("branch_secretary", 404), ("branch_member", 404), ("outsider", 404), ("committee_secretary", 200)],
)
def test_a_sibling_branchs_member_is_not_found_but_the_committee_above_both_reads_it(
    roll: SimpleNamespace, people: Any, actor: str, status: int
) -> None:
    response = signed_in(getattr(people, actor)).get(reverse("member_detail", args=[roll.sibling.pk]))
    assert response.status_code == status


def test_a_committee_reads_but_does_not_write(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    client = signed_in(people.committee_secretary)
    assert client.get(reverse("member_roll", args=[tree.branch.pk])).status_code == 200
    assert client.get(reverse("member_add", args=[tree.branch.pk])).status_code == 403
    assert client.get(reverse("member_edit", args=[roll.full.pk])).status_code == 403


def test_adding_a_member_through_the_form(tree: Any, people: SimpleNamespace) -> None:
    client = signed_in(people.branch_secretary)
    url = reverse("member_add", args=[tree.branch.pk])
    bad = client.post(url, {"name": "周五", "gender": "male", "joined_on": "2025-01-01", "category": "probationary"})
    assert "预备党员须填写预计转正日期" in bad.content.decode()
    assert not Member.objects.exists()
    response = client.post(
        url,
        {
            "name": "周五",
            "gender": "male",
            "joined_on": "2025-01-01",
            "category": "probationary",
            "full_membership_due": "2026-01-01",
            "transferred_from": "外县某支部",
            "transferred_on": "2025-06-01",
        },
    )
    member = Member.objects.get()
    assert response.status_code == 302
    assert member.transfers.get().from_text == "外县某支部"


def test_status_transfer_and_group_forms(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    client = signed_in(people.branch_secretary)
    response = client.post(
        reverse("member_status", args=[roll.full.pk]),
        {"status": "migrant", "on": "2026-03-01", "migrant_where": "深圳", "migrant_since": "2026-03-01"},
    )
    assert response.status_code == 302
    assert MemberStatusChange.objects.get().to_status == "migrant"
    response = client.post(reverse("member_transfer", args=[roll.full.pk]), {"to_code": "NOPE", "on": "2026-03-02"})
    assert "没有组织代码为" in response.content.decode()
    response = client.post(
        reverse("member_transfer", args=[roll.full.pk]), {"to_code": tree.direct_branch.code, "on": "2026-03-02"}
    )
    assert response.status_code == 302
    assert Transfer.objects.get().to_organization == tree.direct_branch
    # The branch no longer reads the member it gave away.
    assert client.get(reverse("member_detail", args=[roll.full.pk])).status_code == 404
    client.post(reverse("member_groups", args=[tree.branch.pk]), {"name": "第二党小组", "leader": roll.probationary.pk})
    assert PartyGroup.objects.get(name="第二党小组").leader == roll.probationary
    client.post(reverse("member_group_edit", args=[roll.group.pk]), {"name": "第一组", "order": "3"})
    assert PartyGroup.objects.get(pk=roll.group.pk).name == "第一组"


def test_committee_figures_drill_down(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary)
    response = client.get(reverse("member_figures"))
    assert response.status_code == 200
    rows = {row.label: row.figures for row in response.context["rows"]}
    assert rows["甲镇机关党总支"].members == 3
    assert rows["甲镇机关党总支"].probationary == 1
    drilled = client.get(reverse("member_figures"), {"org": tree.general.pk}).context["rows"]
    assert {row.label: row.figures.members for row in drilled} == {
        "甲镇机关党总支": 0,
        "一村党支部": 2,
        "二村党支部": 1,
    }
    assert client.get(reverse("member_figures"), {"org": tree.sibling_township.pk}).status_code == 404
    assert signed_in(people.branch_secretary).get(reverse("member_figures")).status_code == 403


def test_the_figures_query_count_does_not_grow_with_the_tree(
    tree: Any, people: SimpleNamespace, django_assert_num_queries: Any
) -> None:
    client = signed_in(people.committee_secretary)
    url = reverse("member_figures")
    client.get(url)  # the session and the scope's first reads

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for number in range(6):
        branch = OrganizationFactory(name=f"新村{number}", code=f"NEW{number}", parent=tree.township)
        services.member_add(organization=branch, by=people.admin, fields=fields(id_number=id_number(100 + number)))
    large = count()
    assert small == large
    with django_assert_num_queries(large):
        client.get(url)


def urls() -> list[URLPattern]:
    return list(views.urlpatterns)


@pytest.mark.parametrize("pattern", urls(), ids=lambda pattern: pattern.name)
def test_each_page_asks_members_access_and_an_absent_id_is_not_found(
    pattern: URLPattern, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    for name, function in inspect.getmembers(access, inspect.isfunction):
        if function.__module__ != access.__name__ or name.startswith("_"):
            continue

        def spy(*args: Any, __name: str = name, __function: Any = function, **kwargs: Any) -> Any:
            calls.append(__name)
            return __function(*args, **kwargs)

        monkeypatch.setattr(access, name, spy)
    client = signed_in(people.committee_secretary)
    client.raise_request_exception = False
    kwargs = dict.fromkeys(pattern.pattern.converters, 987654321)
    url = reverse(pattern.name, kwargs=kwargs)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    assert calls, f"{pattern.name} answered {response.status_code} without asking members.access"
    if kwargs:
        assert response.status_code == 404
    else:
        assert response.status_code < 500


def test_every_page_renders_for_the_branch_secretary_and_in_english(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    client = signed_in(people.branch_secretary)
    pages = [
        reverse("member_rolls"),
        reverse("member_roll", args=[tree.branch.pk]),
        reverse("member_add", args=[tree.branch.pk]),
        reverse("member_groups", args=[tree.branch.pk]),
        reverse("member_import", args=[tree.branch.pk]),
        reverse("member_detail", args=[roll.full.pk]),
        reverse("member_edit", args=[roll.full.pk]),
        reverse("member_status", args=[roll.full.pk]),
        reverse("member_transfer", args=[roll.full.pk]),
        reverse("member_group_edit", args=[roll.group.pk]),
    ]
    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
    client.cookies["django_language"] = "en"
    assert client.get(reverse("member_roll", args=[tree.branch.pk])).status_code == 200
    edit = client.get(reverse("member_edit", args=[roll.full.pk]))
    assert 'value="王一"' in edit.content.decode()
