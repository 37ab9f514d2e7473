"""No lost updates on tasks: a step over someone else's newer change is refused and the typed text kept."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from rectification import services
from rectification.models import ExtensionRequest, RectificationTask, TaskEvent
from tests.clients import signed_in
from tests.rectification.test_task_views import png_file

STALE = "该整改任务已被他人修改，请核对后再提交；您填写的内容仍保留在下方。"
Kind = TaskEvent.Kind
Status = RectificationTask.Status


def loaded_version(client: Client, task: RectificationTask, form: str) -> str:
    """Opens the task page and returns the version the named form carries."""
    body = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    match = re.search(rf'name="{form}-version" value="([0-9a-f]{{64}})"', body) or re.search(
        rf'value="([0-9a-f]{{64}})" name="{form}-version"', body
    )
    assert match is not None, f"the {form} form carries the task's version"
    return match.group(1)


def post_step(client: Client, task: RectificationTask, action: str, version: str, **fields: str) -> Any:
    data = {f"{action}-{name}": value for name, value in fields.items()}
    data[f"{action}-version"] = version
    return client.post(reverse("task_action", args=[task.pk, action]), data)


def plan_data(measures: str) -> dict[str, str]:
    return {"measures": measures, "standard": "记录完整", "commitment": "按期完成"}


def submitted(task: RectificationTask, by: User) -> RectificationTask:
    services.task_plan(task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=by)
    services.task_progress(task=task, text="已补齐记录", files=[png_file()], by=by)
    return services.task_submit(task=task, text="已全部整改", by=by)


def test_the_second_plan_over_a_newer_one_is_refused_and_the_typed_text_kept(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    first = signed_in(people.branch_secretary)
    second = signed_in(people.branch_secretary)  # another tab, or a colleague sharing the post
    first_version = loaded_version(first, task, "plan")
    second_version = loaded_version(second, task, "plan")

    assert post_step(first, task, "plan", first_version, **plan_data("逐月补齐会议记录")).status_code == 302

    response = post_step(second, task, "plan", second_version, **plan_data("重新建立签到制度"))
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "重新建立签到制度" in body  # the person's unsaved text stays for them to merge
    assert "逐月补齐会议记录" in body  # next to the plan now on record
    assert "此步骤不能再提交" in body  # the plan is made: the form is there to copy from, not to submit
    task.refresh_from_db()
    assert (task.status, task.measures) == (Status.IN_PROGRESS, "逐月补齐会议记录")
    assert list(task.events.values_list("kind", flat=True)).count(Kind.PLANNED) == 1


def test_a_normal_step_with_the_loaded_version_goes_through(people: SimpleNamespace, task: RectificationTask) -> None:
    client = signed_in(people.branch_secretary)
    version = loaded_version(client, task, "plan")
    assert post_step(client, task, "plan", version, **plan_data("逐月补齐会议记录")).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.measures) == (Status.IN_PROGRESS, "逐月补齐会议记录")


def test_accepting_after_a_return_and_a_resubmission_is_refused_until_the_new_state_is_read(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    submitted(task, people.branch_secretary)
    returning = signed_in(people.committee_secretary)
    accepting = signed_in(people.grantee)
    return_version = loaded_version(returning, task, "return")
    accept_version = loaded_version(accepting, task, "accept")
    assert return_version == accept_version

    assert post_step(returning, task, "return", return_version, reason="缺少三月的记录").status_code == 302
    services.task_submit(task=task, text="已补齐三月记录", by=people.branch_secretary)

    # Back to 申请销号, but not the state the second reviewer read: their acceptance is refused.
    response = post_step(accepting, task, "accept", accept_version, comment="整改到位，同意销号")
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "整改到位，同意销号" in body
    assert "已补齐三月记录" in body  # the resubmission is on the page to be read
    task.refresh_from_db()
    assert (task.status, task.returned_count, task.accepted_at) == (Status.AWAITING_ACCEPTANCE, 1, None)
    assert not task.events.filter(kind=Kind.ACCEPTED).exists()

    # The re-rendered form carries the current version: having read the new state, accepting goes through.
    current = services.task_fingerprint(task)
    assert current in body
    assert post_step(accepting, task, "accept", current, comment="整改到位，同意销号").status_code == 302
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED


def test_a_completion_report_over_a_newer_state_is_refused_and_kept(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    services.task_progress(task=task, text="已补齐记录", files=[png_file()], by=people.branch_secretary)
    secretary = signed_in(people.branch_secretary)
    version = loaded_version(secretary, task, "submit")
    services.task_supervise(task=task, text="限期一周完成", by=people.committee_secretary)

    response = post_step(secretary, task, "submit", version, text="各项记录均已补齐")
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "各项记录均已补齐" in body
    assert "限期一周完成" in body
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert not task.events.filter(kind=Kind.SUBMITTED).exists()


def test_two_progress_reports_side_by_side_are_both_kept(people: SimpleNamespace, task: RectificationTask) -> None:
    services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    first = signed_in(people.branch_secretary)
    second = signed_in(people.branch_secretary)
    first_version = loaded_version(first, task, "progress")
    second_version = loaded_version(second, task, "progress")
    # The timeline only grows: neither report overwrites the other, so neither is refused.
    assert post_step(first, task, "progress", first_version, text="补齐一月记录").status_code == 302
    assert post_step(second, task, "progress", second_version, text="补齐二月记录").status_code == 302
    assert list(task.events.filter(kind=Kind.PROGRESS).values_list("text", flat=True)) == [
        "补齐一月记录",
        "补齐二月记录",
    ]


def test_a_second_extension_request_is_refused_and_its_reason_kept(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    first = signed_in(people.branch_secretary)
    second = signed_in(people.branch_secretary)
    first_version = loaded_version(first, task, "extend")
    second_version = loaded_version(second, task, "extend")
    later = (task.deadline + timedelta(days=20)).isoformat()
    assert post_step(first, task, "extend", first_version, deadline=later, reason="村里换届").status_code == 302

    response = post_step(second, task, "extend", second_version, deadline=later, reason="汛期抢险")
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "汛期抢险" in body
    assert list(ExtensionRequest.objects.values_list("reason", flat=True)) == ["村里换届"]


def test_deciding_an_extension_a_colleague_decided_is_refused_and_the_comment_kept(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    later = task.deadline + timedelta(days=20)
    extension = services.extension_request(task=task, deadline=later, reason="村里换届", by=people.branch_secretary)
    rejecting = signed_in(people.committee_secretary)
    approving = signed_in(people.grantee)
    reject_version = loaded_version(rejecting, task, "decide")
    approve_version = loaded_version(approving, task, "decide")
    url = reverse("extension_decide", args=[extension.pk])
    data = {"decide-decision": "reject", "decide-comment": "理由不充分", "decide-version": reject_version}
    assert rejecting.post(url, data).status_code == 302

    data = {"decide-decision": "approve", "decide-comment": "同意延至换届后", "decide-version": approve_version}
    response = approving.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "同意延至换届后" in body
    extension.refresh_from_db()
    task.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.REJECTED
    assert task.deadline != later
    assert not task.events.filter(kind=Kind.EXTENSION_APPROVED).exists()


def test_the_services_refuse_a_stale_version_and_skip_the_check_without_one(
    people: SimpleNamespace, task: RectificationTask
) -> None:
    stale = services.task_fingerprint(task)
    services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    with pytest.raises(services.TaskChanged, match="已被他人修改"):
        services.task_supervise(task=task, text="限期一周", by=people.committee_secretary, expected=stale)
    with pytest.raises(services.TaskChanged, match="已被他人修改"):
        services.measure_record(task=task, text="约谈", by=people.committee_secretary, expected=stale)
    task.refresh_from_db()
    assert not task.supervised
    assert not task.events.filter(kind__in=[Kind.SUPERVISED, Kind.MEASURE]).exists()

    services.task_supervise(task=task, text="限期一周", by=people.committee_secretary, expected=None)
    task.refresh_from_db()
    assert task.supervised
    current = services.task_fingerprint(task)
    services.measure_record(task=task, text="约谈", by=people.committee_secretary, expected=current)
    assert task.events.filter(kind=Kind.MEASURE).exists()
