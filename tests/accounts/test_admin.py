"""The Django admin for organizations, people and positions."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import Client
from django.urls import reverse

from accounts.models import Organization, Position
from tests.conftest import Tree


def test_admin_lists_and_searches_organizations(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    response = client.get(reverse("admin:accounts_organization_changelist"), {"q": "甲镇"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲镇党委" in body
    assert "乙镇党委" not in body


def test_admin_adds_an_organization_under_a_parent_named_by_code(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    client.force_login(people.admin)
    response = client.post(
        reverse("admin:accounts_organization_add"),
        {
            "parent_code": "C-T1",
            "name": "四村党支部",
            "code": "C-T1-B4",
            "kind": "branch",
            "sector": "rural",
            "established_on": "",
            "is_active": "on",
            "positions-TOTAL_FORMS": "0",
            "positions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Organization.objects.get(code="C-T1-B4")
    assert created.parent_path() == tree.township.path
    assert not Organization.objects.find_problems()[0]


def test_admin_refuses_a_child_under_a_branch_with_a_message(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    client.force_login(people.admin)
    response = client.post(
        reverse("admin:accounts_organization_add"),
        {
            "parent_code": tree.branch.code,
            "name": "错误组织",
            "code": "BAD-1",
            "kind": "branch",
            "sector": "",
            "is_active": "on",
            "positions-TOTAL_FORMS": "0",
            "positions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "党支部下不能再设下级组织" in response.content.decode()
    assert not Organization.objects.filter(code="BAD-1").exists()


def test_admin_refuses_a_second_current_secretary(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    client.force_login(people.admin)
    response = client.post(
        reverse("admin:accounts_position_add"),
        {"person": people.outsider.pk, "organization": tree.branch.pk, "role": "secretary", "is_current": "on"},
    )
    assert response.status_code == 200
    assert "该组织已有现任书记" in response.content.decode()
    assert Position.objects.filter(organization=tree.branch, role="secretary").count() == 1


def test_admin_is_closed_to_committees(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.committee_secretary)
    response = client.get(reverse("admin:accounts_organization_changelist"))
    assert response.status_code == 302
