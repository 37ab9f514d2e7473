"""A task's responsible person takes its steps only while they hold a position in its organization.

`task_create` names only someone in office there; the task keeps the name once that position ends
(history, marked 已离任 for the committee and the organization), but its own steps (plan, progress,
submit, extension) are then refused: pages answer 404/403 as for anyone else, the services raise,
nothing is written, and the reminders go to the organization's secretary instead.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Position, User
from accounts.permissions import Action, can
from accounts.services import position_assign, position_end
from foundation.errors import DomainError
from rectification import access, selectors, services
from rectification.models import ExtensionRequest, Finding, RectificationTask, TaskEvent
from reminders import sweep as reminders
from tests.conftest import Tree
from tests.rectification.test_task_views import png_file

REFUSED = "只有仍在一村党支部任职的整改责任人和负责该组织工作的人员可以办理此整改任务。"
PLAN = {"measures": "补齐会议记录", "standard": "记录齐全", "commitment": "按期完成"}


def fresh(user: User) -> User:
    """The person as the next request or task loads them: the scope is cached on a user object for one request."""
    return User.objects.get(pk=user.pk)


def end_positions_in(user: User, task: RectificationTask) -> None:
    for position in Position.objects.current().filter(person=user, organization=task.organization):
        position_end(position=position)


def rows() -> list[Any]:
    return [
        list(RectificationTask.objects.order_by("pk").values()),
        list(TaskEvent.objects.order_by("pk").values()),
        list(ExtensionRequest.objects.order_by("pk").values()),
    ]


def act(client: Client, user: User, task: RectificationTask, action: str, data: dict[str, str]) -> int:
    client.force_login(user)
    fields = {f"{action}-{name}": value for name, value in data.items()}
    return client.post(reverse("task_action", args=[task.pk, action]), fields).status_code


@pytest.fixture
def member_task(finding: Finding, people: SimpleNamespace) -> RectificationTask:
    """一村's finding given to a plain 党员 of the branch: nothing but the task lets them act on it."""
    return services.task_create(
        findings=[finding],
        title="规范“三会一课”记录",
        responsible=people.branch_member,
        deadline=timezone.localdate() + timedelta(days=30),
        by=people.committee_secretary,
    )


@pytest.fixture
def moved_up(member_task: RectificationTask, people: SimpleNamespace, tree: Tree) -> User:
    """The responsible 党员 leaves the branch for the township committee: they still see the branch (403)."""
    person = people.branch_member
    end_positions_in(person, member_task)
    position_assign(person=person, organization=tree.township, role=Position.Role.COMMITTEE_MEMBER)
    return fresh(person)


def test_the_responsible_member_takes_the_steps_while_in_office(
    client: Client, member_task: RectificationTask, people: SimpleNamespace
) -> None:
    assert not can(people.branch_member, Action.MANAGE, member_task.organization)
    assert act(client, people.branch_member, member_task, "plan", PLAN) == 302
    member_task.refresh_from_db()
    assert member_task.status == RectificationTask.Status.IN_PROGRESS
    assert [line.task for line in selectors.my_tasks(people.branch_member, timezone.localdate()).mine] == [member_task]
    assert selectors.home_tasks(fresh(people.branch_member), timezone.localdate()).open_count == 1


def test_after_the_position_ends_the_pages_answer_as_for_a_stranger(
    client: Client, member_task: RectificationTask, people: SimpleNamespace
) -> None:
    end_positions_in(people.branch_member, member_task)
    before = rows()
    client.force_login(people.branch_member)
    assert client.get(reverse("task_detail", args=[member_task.pk])).status_code == 404
    assert act(client, people.branch_member, member_task, "plan", PLAN) == 404
    assert rows() == before
    person = fresh(people.branch_member)
    assert selectors.my_tasks(person, timezone.localdate()).mine == []
    assert selectors.home_tasks(person, timezone.localdate()).open_count == 0


def test_a_former_responsible_who_still_sees_the_branch_gets_403(
    client: Client, member_task: RectificationTask, moved_up: User
) -> None:
    before = rows()
    client.force_login(moved_up)
    page = client.get(reverse("task_detail", args=[member_task.pk]))
    assert page.status_code == 200  # the township's 委员 supervises the branch
    assert page.context["keeps"] is False
    assert not {"plan", "progress", "submit", "extend"} & set(page.context["actions"])
    assert "已离任" in page.content.decode()
    for step, data in [("plan", PLAN), ("extend", {"deadline": "2099-01-01", "reason": "离任"})]:
        assert act(client, moved_up, member_task, step, data) == 403
    assert rows() == before


WRITES = {
    "task_plan": lambda task, by: services.task_plan(task=task, by=by, **PLAN),
    "task_progress": lambda task, by: services.task_progress(task=task, text="离任后报告", by=by, files=[png_file()]),
    "task_submit": lambda task, by: services.task_submit(task=task, text="离任后申请销号", by=by),
    "extension_request": lambda task, by: services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=10), reason="离任后申请", by=by
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_the_services_refuse_a_former_responsible(
    member_task: RectificationTask, people: SimpleNamespace, moved_up: User, write: str
) -> None:
    if write in ("task_progress", "task_submit"):
        services.task_plan(task=member_task, by=people.branch_secretary, **PLAN)
        services.task_progress(task=member_task, text="已补齐", by=people.branch_secretary, files=[png_file()])
    before = rows()
    with pytest.raises(
        DomainError, match="只有仍在一村党支部任职的整改责任人和负责该组织工作的人员可以办理此整改任务。"
    ):
        WRITES[write](RectificationTask.objects.get(pk=member_task.pk), moved_up)
    assert rows() == before


def test_the_organization_still_takes_the_steps_and_everyone_sees_the_mark(
    client: Client, member_task: RectificationTask, people: SimpleNamespace, moved_up: User, tree: Tree
) -> None:
    assert act(client, people.branch_secretary, member_task, "plan", PLAN) == 302
    mine = selectors.my_tasks(people.branch_secretary, timezone.localdate())
    assert [line.task.responsible_in_office for line in mine.organizations] == [False]
    client.force_login(people.committee_secretary)
    board = client.get(reverse("rectification_board"), {"org": tree.township.pk})
    row = board.content.decode().split(f'data-task="{member_task.pk}"')[1].split("</tr>")[0]
    assert "已离任" in row


def test_reminders_go_to_the_secretary_once_the_responsible_has_left(
    member_task: RectificationTask, people: SimpleNamespace, moved_up: User
) -> None:
    key = f"task:{member_task.pk}:"
    assert not [d for d in reminders.deadlines_for(moved_up) if d.key.startswith(key)]
    assert [d for d in reminders.deadlines_for(people.branch_secretary) if d.key.startswith(key)]
    reminders.sweep(today=member_task.deadline - timedelta(days=1))
    assert not moved_up.notifications.filter(kind="reminder.task").exists()
    assert people.branch_secretary.notifications.filter(kind="reminder.task").exists()


@pytest.mark.parametrize("ended", [False, True], ids=["in office", "ended"])
def test_the_steps_are_allowed_exactly_while_the_responsible_holds_a_position_there(
    client: Client, member_task: RectificationTask, people: SimpleNamespace, ended: bool
) -> None:
    """For the 党员 answering for the task (nothing else lets them act on it): the page's steps, the service and
    the committee's mark agree with whether they are among the organization's current positions."""
    if ended:
        end_positions_in(people.branch_member, member_task)
    person = fresh(people.branch_member)
    task = access.task_for(people.admin, member_task.pk)
    in_office = task.organization.positions.current().filter(person=person).exists()
    assert in_office is not ended
    assert can(person, Action.MANAGE, task.organization) is False
    assert services.keeps(person, task) is in_office
    assert task.responsible_in_office is in_office
    assert (act(client, person, task, "plan", PLAN) == 302) is in_office
    task.refresh_from_db()
    assert (task.status == RectificationTask.Status.IN_PROGRESS) is in_office
