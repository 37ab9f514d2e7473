"""Sign-in, home, the organization tree pages: who sees what, in which language, at what cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import TEST_PASSWORD, OrganizationFactory


def test_sign_in_page_is_chinese_by_default(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    assert "登录名" in response.content.decode()


def test_wrong_password_and_unknown_login_get_the_same_message(client: Client, people: SimpleNamespace) -> None:
    wrong_password = client.post(reverse("login"), {"username": "branch_secretary", "password": "nope-nope-1"})
    unknown_login = client.post(reverse("login"), {"username": "nobody-here", "password": "nope-nope-1"})
    assert wrong_password.status_code == unknown_login.status_code == 200
    assert "登录名或密码不正确" in wrong_password.content.decode()
    assert "登录名或密码不正确" in unknown_login.content.decode()


def test_secretary_signs_in_and_sees_the_branch_on_home(client: Client, people: SimpleNamespace) -> None:
    response = client.post(reverse("login"), {"username": "branch_secretary", "password": TEST_PASSWORD}, follow=True)
    body = response.content.decode()
    assert "我的工作" in body
    assert "一村党支部" in body
    assert "书记" in body


def test_home_requires_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_person_without_position_is_told_what_to_do(client: Client, people: SimpleNamespace) -> None:
    body = signed_in(people.outsider, client).get(reverse("home")).content.decode()
    assert "尚未任职" in body


def test_english_is_available_through_the_language_switch(client: Client, people: SimpleNamespace) -> None:
    signed_in(people.branch_secretary, client)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True)
    body = response.content.decode()
    assert 'lang="en"' in body
    assert "My work" in body
    assert "我的工作" not in body


def test_committee_sees_its_subtree_from_the_tree_page(client: Client, people: SimpleNamespace) -> None:
    body = signed_in(people.committee_secretary, client).get(reverse("organization_tree")).content.decode()
    assert "甲镇党委" in body
    assert "乙镇党委" not in body


def test_search_finds_by_name_or_code_within_sight_only(client: Client, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    by_name = client.get(reverse("organization_tree"), {"q": "村党支部"}).content.decode()
    assert "一村党支部" in by_name
    assert "三村党支部" in by_name
    assert "乙镇一村党支部" not in by_name
    assert "另一县一村党支部" not in by_name
    by_code = client.get(reverse("organization_tree"), {"q": "c-t1-g-b2"}).content.decode()
    assert "二村党支部" in by_code


def test_branch_secretary_gets_404_for_a_sibling_branch(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    client = signed_in(people.branch_secretary, client)
    assert client.get(reverse("organization_detail", args=[tree.branch.pk])).status_code == 200
    assert client.get(reverse("organization_detail", args=[tree.branch_sibling.pk])).status_code == 404
    assert client.get(reverse("organization_detail", args=[tree.general.pk])).status_code == 404


def test_organization_page_shows_positions_children_and_counts(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    body = (
        signed_in(people.committee_secretary, client)
        .get(reverse("organization_detail", args=[tree.township.pk]))
        .content.decode()
    )
    assert "committee_secretary" in body  # the secretary's name
    assert "甲镇机关党总支" in body
    assert "三村党支部" in body
    assert "县委" in body  # the breadcrumb shows the parent, read-only


def test_import_page_is_for_administrators_only(client: Client, people: SimpleNamespace) -> None:
    assert signed_in(people.committee_secretary, client).get(reverse("organization_import")).status_code == 403


def _add_children(parent: Organization, count: int) -> None:
    for index in range(count):
        child = OrganizationFactory(
            parent=parent, kind=Organization.Kind.GENERAL_BRANCH, code=f"{parent.code}-X{index}"
        )
        OrganizationFactory(parent=child, kind=Organization.Kind.BRANCH, code=f"{child.code}-B")


@pytest.mark.parametrize("path_name", ["organization_detail", "organization_tree", "home"])
def test_page_query_count_does_not_grow_with_the_tree(
    client: Client, people: SimpleNamespace, tree: Tree, path_name: str
) -> None:
    client = signed_in(people.committee_secretary, client)
    url = reverse(path_name, args=[tree.township.pk]) if path_name == "organization_detail" else reverse(path_name)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    _add_children(tree.township, 12)
    assert count() == small


def test_healthz_answers_ok(client: Client, db: None) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
