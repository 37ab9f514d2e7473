"""Public commitments (党务公开): the secretary writes and publishes, anyone reads, nothing private shows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility import services
from responsibility.models import PublicCommitment, ResponsibilityList
from tests.conftest import Tree
from tests.factories import OrganizationFactory
from tests.responsibility.test_progress_views import signed_in

PUBLIC_LIST = reverse("public_commitments")


def edit_url(tree: Tree, year: int, org: str = "branch") -> str:
    return reverse("commitment_edit", args=[getattr(tree, org).pk, year])


def publish(organization, year: int, by, text: str = "带头落实“三会一课”，每季度讲一次党课。") -> PublicCommitment:  # type: ignore[no-untyped-def]
    return services.commitment_save(organization=organization, year=year, text=text, publish=True, by=by)


def test_secretary_writes_and_publishes_the_commitment(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.branch_secretary, client)
    assert client.get(edit_url(tree, year)).status_code == 200
    response = client.post(edit_url(tree, year), {"text": "  我承诺：带头讲党课。 ", "publish": "on"}, follow=True)
    assert "公开承诺已公开。" in response.content.decode()
    commitment = PublicCommitment.objects.get(organization=tree.branch, year=year)
    assert commitment.text == "我承诺：带头讲党课。"
    assert commitment.is_published
    assert commitment.secretary == people.branch_secretary
    assert reverse("public_commitment", args=[tree.branch.code, year]) in response.content.decode()


def test_saving_without_publishing_keeps_it_private(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    publish(tree.branch, year, people.branch_secretary)
    client = signed_in(people.branch_secretary, client)
    response = client.get(edit_url(tree, year))
    assert response.context["form"].initial["publish"] is True
    client.post(edit_url(tree, year), {"text": "修改后的承诺"})
    commitment = PublicCommitment.objects.get(organization=tree.branch, year=year)
    assert not commitment.is_published
    client.logout()
    assert client.get(reverse("public_commitment", args=[tree.branch.code, year])).status_code == 404


def test_blank_commitment_is_refused_and_the_saved_one_kept(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    publish(tree.branch, year, people.branch_secretary, text="原来的承诺")
    response = signed_in(people.branch_secretary, client).post(edit_url(tree, year), {"text": "   ", "publish": "on"})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert PublicCommitment.objects.get(organization=tree.branch, year=year).text == "原来的承诺"


def test_a_year_the_service_refuses_is_shown_as_a_message(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    response = signed_in(people.branch_secretary, client).post(edit_url(tree, 1999), {"text": "承诺"})
    assert response.status_code == 200
    assert "年度 1999 无效" in response.content.decode()
    assert not PublicCommitment.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_deputy", 200),
        ("branch_member", 403),
        ("committee_secretary", 403),
        ("outsider", 404),
    ],
)
def test_only_the_organizations_own_leaders_edit_its_commitment(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, who: str, status: int
) -> None:
    assert signed_in(getattr(people, who), client).get(edit_url(tree, year)).status_code == status


def test_secretary_cannot_edit_a_siblings_commitment(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(people.branch_secretary, client).post(
        edit_url(tree, year, "branch_sibling"), {"text": "冒名承诺", "publish": "on"}
    )
    assert response.status_code == 404
    assert not PublicCommitment.objects.exists()


def test_public_pages_work_signed_out_and_show_nothing_private(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    people.branch_secretary.phone = "13812345678"
    people.branch_secretary.save()
    publish(tree.branch, year, people.branch_secretary)
    listing = client.get(PUBLIC_LIST)
    assert listing.status_code == 200
    assert tree.branch.name in listing.content.decode()
    detail = client.get(reverse("public_commitment", args=[tree.branch.code, year]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "带头落实“三会一课”" in page
    assert "branch_secretary" in page
    assert f"{branch_list.completion_rate}%" in page
    assert 'data-light="' in page
    assert "13812345678" not in page
    assert "每月召开支委会" not in page  # the list's items and records stay inside
    assert reverse("public_commitments") in page


def test_public_commitment_without_a_list_says_so(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    publish(tree.branch, year, people.branch_secretary)
    response = client.get(reverse("public_commitment", args=[tree.branch.code, year]))
    assert "尚未建立" in response.content.decode()


def test_unpublished_unknown_or_wrong_year_commitment_is_404(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    services.commitment_save(
        organization=tree.branch, year=year, text="草稿", publish=False, by=people.branch_secretary
    )
    publish(tree.branch_sibling, year, people.admin)
    assert client.get(reverse("public_commitment", args=[tree.branch.code, year])).status_code == 404
    assert client.get(reverse("public_commitment", args=["NO-SUCH", year])).status_code == 404
    assert client.get(reverse("public_commitment", args=[tree.branch_sibling.code, year - 1])).status_code == 404
    listing = client.get(PUBLIC_LIST).content.decode()
    assert tree.branch_sibling.name in listing
    assert tree.branch.name not in listing


def test_public_list_searches_by_organization_name_and_paginates(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    publish(tree.branch, year, people.branch_secretary)
    publish(tree.branch_sibling, year, people.admin)
    response = client.get(PUBLIC_LIST, {"q": "二村"})
    assert tree.branch_sibling.name in response.content.decode()
    assert tree.branch.name not in response.content.decode()
    for index in range(22):
        organization = OrganizationFactory(parent=tree.township, code=f"PUB{index}", name=f"公开支部{index}")
        publish(organization, year, people.admin)
    first = client.get(PUBLIC_LIST, {"q": "公开支部"})
    assert len(first.context["page"].object_list) == 20
    assert "q=%E5%85%AC%E5%BC%80%E6%94%AF%E9%83%A8&amp;page=2" in first.content.decode()
    assert len(client.get(PUBLIC_LIST, {"q": "公开支部", "page": 2}).context["page"].object_list) == 2


def test_public_list_query_count_does_not_grow(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    publish(tree.branch, year, people.branch_secretary)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PUBLIC_LIST).status_code == 200
        return len(queries)

    small = count()
    for index in range(8):
        organization = OrganizationFactory(parent=tree.township, code=f"PUB{index}")
        publish(organization, year, people.admin)
    assert count() == small


def test_footer_links_to_the_public_page_for_everyone(client: Client, db: None) -> None:
    assert reverse("public_commitments") in client.get(reverse("login")).content.decode()


def test_public_list_shows_a_signed_in_leader_the_way_to_write_a_commitment(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    response = signed_in(people.branch_secretary, client).get(PUBLIC_LIST)
    assert edit_url(tree, year) in response.content.decode()
    member_page = signed_in(people.branch_member, client).get(PUBLIC_LIST).content.decode()
    assert edit_url(tree, year) not in member_page
