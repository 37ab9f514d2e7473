"""The home page's 整改任务 card: my open and overdue tasks, the secretary's escalated ones, the committee's."""

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
from accounts.models import Organization, Position, User
from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.rectification.test_task_views import make_overdue, plan, progress_with_file


def home_of(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def new_task(
    organization: Organization, people: SimpleNamespace, category: Category, responsible: User
) -> RectificationTask:
    finding = services.finding_raise(
        organization=organization,
        year=timezone.localdate().year,
        source=Finding.Source.SELF_CHECK,
        description="问题",
        category=category,
        by=people.committee_secretary,
    )
    return services.task_create(
        findings=[finding],
        title=f"整改任务{finding.pk}",
        responsible=responsible,
        deadline=timezone.localdate() + timedelta(days=10),
        by=people.committee_secretary,
    )


def submitted(task: RectificationTask, by: User) -> RectificationTask:
    plan(task, by)
    progress_with_file(task, by)
    return services.task_submit(task=task, text="完成", by=by)


def test_home_counts_my_open_and_overdue_tasks(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, task: RectificationTask
) -> None:
    late = new_task(tree.branch, people, category, people.branch_secretary)
    make_overdue(late, 2)
    body = home_of(client, people.branch_secretary)
    assert "整改任务" in body
    assert '<span class="count">2</span> 项整改任务由您负责' in body
    assert '<span class="count">1</span> 项已逾期' in body
    assert reverse("my_tasks") in body


def test_home_tells_the_secretary_to_press_for_escalated_tasks_of_the_branch(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category
) -> None:
    escalated = new_task(tree.branch, people, category, people.branch_deputy)
    recent = new_task(tree.branch, people, category, people.branch_member)
    make_overdue(escalated, 9)
    make_overdue(recent, 1)
    body = home_of(client, people.branch_secretary)
    assert "已逾期 9 天，请督促" in body
    assert reverse("task_detail", args=[escalated.pk]) in body
    assert reverse("task_detail", args=[recent.pk]) not in body
    # The responsible deputy sees the task as their own, not as one to press for.
    deputy_home = home_of(client, people.branch_deputy)
    assert "请督促" not in deputy_home
    assert '<span class="count">1</span> 项已逾期' in deputy_home


def test_home_shows_the_committee_tasks_awaiting_acceptance_and_pending_extensions(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, task: RectificationTask
) -> None:
    submitted(task, people.branch_secretary)
    other = new_task(tree.direct_branch, people, category, holder("direct_secretary", tree.direct_branch))
    services.extension_request(
        task=other, deadline=other.deadline + timedelta(days=5), reason="换届", by=other.responsible
    )
    body = home_of(client, people.committee_secretary)
    assert '<span class="count">1</span> 项整改任务申请销号，待验收' in body
    assert reverse("rectification_board") + "?status=awaiting_acceptance" in body
    assert '<span class="count">1</span> 项延期申请待审批' in body
    assert reverse("task_detail", args=[other.pk]) in body


def test_a_sibling_committee_does_not_see_the_townships_tasks(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    submitted(task, people.branch_secretary)
    body = home_of(client, holder("sibling_township_secretary", tree.sibling_township))
    assert "暂无申请销号待验收的任务和待审批的延期申请。" in body
    assert reverse("task_detail", args=[task.pk]) not in body


def test_a_leader_without_tasks_gets_an_empty_state(client: Client, people: SimpleNamespace) -> None:
    assert "目前没有需要您处理的整改任务" in home_of(client, people.branch_secretary)


def test_members_and_outsiders_see_no_rectification_card_without_tasks(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    for person in (people.branch_member, people.outsider):
        assert "rectification-waiting" not in home_of(client, person)


def holder(username: str, organization: Organization) -> User:
    person = UserFactory(username=username, full_name=username)
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person


@pytest.mark.parametrize("who", ["branch_secretary", "committee_secretary", "branch_member"])
def test_home_query_count_does_not_grow_with_tasks(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, task: RectificationTask, who: str
) -> None:
    client.force_login(getattr(people, who))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    small = count()
    for index in range(4):
        responsible = [people.branch_secretary, people.branch_deputy, people.branch_member][index % 3]
        other = new_task(tree.branch, people, category, responsible)
        if index % 2:
            make_overdue(other, 10 + index)
            services.extension_request(
                task=other, deadline=timezone.localdate() + timedelta(days=20), reason="换届", by=responsible
            )
        else:
            submitted(other, people.branch_secretary)
    assert count() == small
