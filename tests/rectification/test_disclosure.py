"""党务公开 of a rectification list: the committee publishes or withdraws; anyone reads it without signing in."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rectification import services
from rectification.models import Disclosure, Finding, RectificationTask
from responsibility.models import Category
from tests.clients import signed_in
from tests.conftest import Tree

YEAR = timezone.localdate().year


def manage_url(tree: Tree) -> str:
    return reverse("disclosure", args=[tree.branch.pk, YEAR])


def public_url(tree: Tree, year: int = YEAR) -> str:
    return reverse("public_rectification", args=[tree.branch.code, year])


@pytest.fixture
def planned(task: RectificationTask, people: SimpleNamespace) -> RectificationTask:
    return services.task_plan(
        task=task, measures="逐月检查会议记录。", standard="记录齐全", commitment="按期完成", by=people.branch_secretary
    )


def test_committee_publishes_and_anyone_reads_it_signed_out(
    client: Client, tree: Tree, people: SimpleNamespace, planned: RectificationTask
) -> None:
    response = signed_in(people.committee_secretary, client).post(manage_url(tree), {"action": "publish"})
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert not disclosure.hide_names
    client.logout()

    page = client.get(public_url(tree))
    assert page.status_code == 200
    text = page.content.decode()
    assert tree.branch.name in text
    assert "“三会一课”记录不规范" in text
    assert "逐月检查会议记录。" in text
    assert "整改中" in text
    assert planned.deadline.strftime("%Y-%m-%d") in text
    assert people.branch_secretary.get_full_name() in text
    assert (
        reverse("public_rectification", args=[tree.branch.code, YEAR])
        in client.get(reverse("public_rectifications")).content.decode()
    )


def test_names_are_hidden_when_the_committee_chooses_so(
    client: Client, tree: Tree, people: SimpleNamespace, planned: RectificationTask
) -> None:
    signed_in(people.committee_secretary, client).post(manage_url(tree), {"action": "publish", "hide_names": "on"})
    assert Disclosure.objects.get().hide_names
    client.logout()
    text = client.get(public_url(tree)).content.decode()
    assert "逐月检查会议记录。" in text
    assert people.branch_secretary.get_full_name() not in text
    assert "责任人" not in text


def test_the_closing_date_is_shown_once_accepted(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask
) -> None:
    accepted_at = timezone.now() - timedelta(days=2)
    RectificationTask.objects.filter(pk=task.pk).update(status="accepted", accepted_at=accepted_at)
    services.disclosure_publish(organization=tree.branch, year=YEAR, hide_names=True, by=people.committee_secretary)
    text = client.get(public_url(tree)).content.decode()
    assert "已销号" in text
    assert timezone.localtime(accepted_at).strftime("%Y-%m-%d") in text


def test_an_unpublished_or_withdrawn_list_is_not_found(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask
) -> None:
    assert client.get(public_url(tree)).status_code == 404
    services.disclosure_publish(organization=tree.branch, year=YEAR, hide_names=True, by=people.committee_secretary)
    assert client.get(public_url(tree)).status_code == 200
    assert client.get(public_url(tree, YEAR - 1)).status_code == 404
    assert client.get(reverse("public_rectification", args=["NO-SUCH", YEAR])).status_code == 404
    response = signed_in(people.committee_secretary, client).post(manage_url(tree), {"action": "withdraw"})
    assert response.status_code == 302
    assert not Disclosure.objects.exists()
    client.logout()
    assert client.get(public_url(tree)).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("committee_secretary", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("branch_member", 403),
        ("outsider", 404),
    ],
)
def test_only_those_supervising_the_organization_manage_its_disclosure(
    client: Client, tree: Tree, people: SimpleNamespace, role: str, status: int
) -> None:
    signed_in(getattr(people, role), client)
    assert client.get(manage_url(tree)).status_code == status
    response = client.post(manage_url(tree), {"action": "publish"})
    assert response.status_code == (302 if status == 200 else status)
    assert Disclosure.objects.exists() == (status == 200)


def test_a_committee_does_not_publish_its_own_list(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    url = reverse("disclosure", args=[tree.township.pk, YEAR])
    assert signed_in(people.committee_secretary, client).get(url).status_code == 403


def test_the_public_page_costs_the_same_whatever_the_number_of_tasks(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category, task: RectificationTask
) -> None:
    services.disclosure_publish(organization=tree.branch, year=YEAR, hide_names=False, by=people.committee_secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(public_url(tree)).status_code == 200
        return len(captured)

    small = queries()
    for index in range(5):
        findings = [
            services.finding_raise(
                organization=tree.branch,
                year=YEAR,
                source=Finding.Source.SELF_CHECK,
                description=f"问题{index}-{part}",
                category=category,
                by=people.committee_secretary,
            )
            for part in range(2)
        ]
        services.task_create(
            findings=findings,
            title=f"整改{index}",
            responsible=people.branch_deputy,
            deadline=timezone.localdate() + timedelta(days=5),
            by=people.committee_secretary,
        )
    assert queries() == small
