"""整改任务 pages: the state machine through the views, who may do what, bad input, evidence, query counts.

Why one long file: the task's state machine is walked through its pages in order, and the permission,
bad-input and query-count cases reuse the tasks that walk builds; each is a section below.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from rectification import services
from rectification.models import ExtensionRequest, Finding, RectificationTask, TaskEvent, TaskEvidence
from responsibility.models import Category
from tests.conftest import Tree
from tests.factories import UserFactory

Kind = TaskEvent.Kind
Status = RectificationTask.Status
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# One of them reads what the measures and the completion report repeat (相似内容).
TASK_PAGE_QUERIES = 11
MY_TASKS_QUERIES = 7
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def png_file(name: str = "整改照片.png") -> SimpleUploadedFile:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    content = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return SimpleUploadedFile(name, content + chunk(b"IEND", b""), content_type="image/png")


def holder(username: str, organization: Organization, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username, full_name=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


def act(client: Client, user: User, task: RectificationTask, action: str, data: dict | None = None) -> object:
    client.force_login(user)
    fields = {f"{action}-{name}": value for name, value in (data or {}).items()}
    return client.post(reverse("task_action", args=[task.pk, action]), fields)


def page_of(client: Client, user: User, task: RectificationTask) -> str:
    client.force_login(user)
    response = client.get(reverse("task_detail", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


def kinds(task: RectificationTask) -> list[str]:
    return list(task.events.order_by("at", "id").values_list("kind", flat=True))


def plan(task: RectificationTask, by: User) -> None:
    services.task_plan(task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=by)


def progress_with_file(task: RectificationTask, by: User, count: int = 1) -> TaskEvent:
    return services.task_progress(task=task, text="已补齐记录", files=[png_file() for _ in range(count)], by=by)


def make_overdue(task: RectificationTask, days: int) -> None:
    RectificationTask.objects.filter(pk=task.pk).update(deadline=timezone.localdate() - timedelta(days=days))
    task.refresh_from_db()


# The state machine ---------------------------------------------------------------


def test_a_task_goes_from_plan_to_acceptance_through_the_pages(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    secretary, committee = people.branch_secretary, people.committee_secretary
    response = act(
        client,
        secretary,
        task,
        "plan",
        {"measures": "逐月检查会议记录", "standard": "记录齐全、签到完整", "commitment": "一个月内整改到位"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS

    client.force_login(secretary)
    response = client.post(
        reverse("task_action", args=[task.pk, "progress"]),
        {"progress-text": "已补齐签到表", "progress-files": [png_file("签到表.png")]},
    )
    assert response.status_code == 302
    assert TaskEvidence.objects.filter(event__task=task, original_name="签到表.png").exists()

    assert act(client, secretary, task, "submit", {"text": "已全部整改"}).status_code == 302
    task.refresh_from_db()
    assert task.status == Status.AWAITING_ACCEPTANCE

    assert act(client, committee, task, "return", {"reason": "缺少三月的记录"}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.returned_count) == (Status.IN_PROGRESS, 1)
    body = page_of(client, secretary, task)
    assert "缺少三月的记录" in body
    assert "上级退回" in body

    client.force_login(secretary)
    client.post(
        reverse("task_action", args=[task.pk, "progress"]),
        {"progress-text": "补上三月记录", "progress-files": [png_file("三月.png")]},
    )
    assert act(client, secretary, task, "submit", {"text": "已补齐"}).status_code == 302
    assert act(client, committee, task, "accept", {"comment": "整改到位"}).status_code == 302
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED
    assert task.accepted_by == committee

    assert kinds(task) == [
        Kind.CREATED,
        Kind.PLANNED,
        Kind.PROGRESS,
        Kind.SUBMITTED,
        Kind.RETURNED,
        Kind.PROGRESS,
        Kind.SUBMITTED,
        Kind.ACCEPTED,
    ]
    body = page_of(client, people.branch_member, task)
    for text in (
        "下达任务",
        "制定整改方案",
        "报告进展",
        "申请销号",
        "退回",
        "验收销号",
        "签到表.png",
        "三月.png",
        "整改到位",
    ):
        assert text in body
    assert "已销号" in body
    assert 'action="' + reverse("task_action", args=[task.pk, "progress"]) not in body


def test_the_page_offers_each_person_only_their_steps(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan_url = reverse("task_action", args=[task.pk, "plan"])
    assert plan_url in page_of(client, people.branch_secretary, task)
    committee_page = page_of(client, people.committee_secretary, task)
    assert plan_url not in committee_page
    assert reverse("task_action", args=[task.pk, "supervise"]) in committee_page
    member_page = page_of(client, people.branch_member, task)
    assert "<form" not in member_page.split('id="main"')[1].split("整改过程")[0]


def test_the_responsible_person_takes_the_steps_without_leading_the_branch(
    client: Client, people: SimpleNamespace, finding: Finding
) -> None:
    own = services.task_create(
        findings=[finding],
        title="整改",
        responsible=people.branch_member,
        deadline=timezone.localdate() + timedelta(days=10),
        by=people.committee_secretary,
    )
    response = act(client, people.branch_member, own, "plan", {"measures": "甲", "standard": "乙", "commitment": "丙"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == Status.IN_PROGRESS


# Who may do what -----------------------------------------------------------------


@pytest.mark.parametrize("action", ["plan", "progress", "submit", "extend", "accept", "return", "supervise", "measure"])
def test_a_branch_member_reads_but_may_not_act(
    client: Client, people: SimpleNamespace, task: RectificationTask, action: str
) -> None:
    page_of(client, people.branch_member, task)
    assert act(client, people.branch_member, task, action, {"text": "x", "reason": "x"}).status_code == 403
    assert kinds(task) == [Kind.CREATED]


@pytest.mark.parametrize("action", ["accept", "return", "supervise", "measure"])
def test_the_branch_secretary_may_not_take_the_committees_steps(
    client: Client, people: SimpleNamespace, task: RectificationTask, action: str
) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    response = act(client, people.branch_secretary, task, action, {"reason": "x", "measure": "约谈"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == Status.AWAITING_ACCEPTANCE


@pytest.mark.parametrize("action", ["plan", "extend"])
def test_the_committee_does_not_take_the_organizations_steps(
    client: Client, people: SimpleNamespace, task: RectificationTask, action: str
) -> None:
    assert act(client, people.committee_secretary, task, action, {"measures": "x"}).status_code == 403


def test_outside_the_visible_set_the_task_is_not_found(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    sibling_secretary = holder("sibling_branch_secretary", tree.branch_sibling)
    sibling_township_secretary = holder("sibling_township_secretary", tree.sibling_township)
    for person in (sibling_secretary, sibling_township_secretary, people.outsider):
        client.force_login(person)
        assert client.get(reverse("task_detail", args=[task.pk])).status_code == 404
        for action in ("plan", "accept", "return"):
            assert act(client, person, task, action, {"reason": "x"}).status_code == 404
    assert kinds(task) == [Kind.CREATED]


def test_a_sibling_townships_secretary_may_not_accept(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    other = holder("sibling_township_secretary", tree.sibling_township)
    assert act(client, other, task, "accept").status_code == 404
    task.refresh_from_db()
    assert task.status == Status.AWAITING_ACCEPTANCE


def test_a_grantee_of_the_township_may_accept(client: Client, people: SimpleNamespace, task: RectificationTask) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    assert act(client, people.grantee, task, "accept").status_code == 302
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED


def test_an_unknown_action_is_not_found_and_actions_need_post(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    assert act(client, people.branch_secretary, task, "delete").status_code == 404
    assert client.get(reverse("task_action", args=[task.pk, "plan"])).status_code == 405
    client.force_login(people.branch_secretary)
    assert client.get(reverse("task_detail", args=[999999])).status_code == 404


def test_sign_in_is_required(client: Client, task: RectificationTask) -> None:
    for url in (reverse("my_tasks"), reverse("task_detail", args=[task.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# Bad input -----------------------------------------------------------------------


def test_an_incomplete_plan_keeps_what_was_typed_and_saves_nothing(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    response = act(client, people.branch_secretary, task, "plan", {"measures": "逐月检查会议记录", "standard": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写整改标准。" in body
    assert "逐月检查会议记录" in body
    task.refresh_from_db()
    assert (task.status, task.measures) == (Status.AWAITING_PLAN, "")


def test_submitting_without_evidence_is_refused_with_the_services_message(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    services.task_progress(task=task, text="口头汇报", by=people.branch_secretary)
    assert "请先在“报告进展”中上传整改佐证材料" in page_of(client, people.branch_secretary, task)
    response = act(client, people.branch_secretary, task, "submit", {"text": "都改好了"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "申请销号前，请先在“报告进展”中上传整改佐证材料。" in body
    assert "都改好了" in body
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert Kind.SUBMITTED not in kinds(task)


def test_a_second_submit_shows_the_services_message_and_changes_nothing(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    assert act(client, people.branch_secretary, task, "submit", {"text": "完成"}).status_code == 302
    client.force_login(people.branch_secretary)
    response = client.post(reverse("task_action", args=[task.pk, "submit"]), {"submit-text": "完成"}, follow=True)
    assert "已申请销号，正在等待上级验收，无需重复提交。" in response.content.decode()
    assert kinds(task).count(Kind.SUBMITTED) == 1


def test_a_return_needs_a_reason(client: Client, people: SimpleNamespace, task: RectificationTask) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    response = act(client, people.committee_secretary, task, "return", {"reason": "   "})
    assert response.status_code == 200
    assert "退回时请填写退回理由。" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.returned_count) == (Status.AWAITING_ACCEPTANCE, 0)


def test_a_file_that_is_not_allowed_is_refused_and_nothing_is_saved(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("task_action", args=[task.pk, "progress"]),
        {"progress-text": "进展说明", "progress-files": [png_file(), SimpleUploadedFile("a.exe", EXE_BYTES)]},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "a.exe" in body
    assert "进展说明" in body
    assert "浏览器不会保留已选的文件" in body
    assert not TaskEvidence.objects.exists()
    assert Kind.PROGRESS not in kinds(task)


def test_an_extension_into_the_past_is_refused_and_keeps_the_reason(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    response = act(
        client, people.branch_secretary, task, "extend", {"deadline": yesterday.isoformat(), "reason": "村里换届"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "申请的时限不能早于今天。" in body
    assert "村里换届" in body
    assert not ExtensionRequest.objects.exists()


def test_an_extension_before_the_current_deadline_shows_the_services_message(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    earlier = task.deadline - timedelta(days=1)
    response = act(client, people.branch_secretary, task, "extend", {"deadline": earlier.isoformat(), "reason": "换届"})
    assert response.status_code == 200
    assert "申请的时限须晚于当前时限" in response.content.decode()
    assert not ExtensionRequest.objects.exists()


# Extensions ----------------------------------------------------------------------


def request_extension(client: Client, people: SimpleNamespace, task: RectificationTask, days: int = 20) -> object:
    later = task.deadline + timedelta(days=days)
    response = act(client, people.branch_secretary, task, "extend", {"deadline": later.isoformat(), "reason": "换届"})
    assert response.status_code == 302
    return later


def test_approving_an_extension_moves_the_deadline(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    later = request_extension(client, people, task)
    extension = ExtensionRequest.objects.get(task=task)
    body = page_of(client, people.committee_secretary, task)
    assert reverse("extension_decide", args=[extension.pk]) in body
    assert reverse("task_action", args=[task.pk, "extend"]) not in page_of(client, people.branch_secretary, task)

    client.force_login(people.committee_secretary)
    response = client.post(
        reverse("extension_decide", args=[extension.pk]), {"decide-decision": "approve", "decide-comment": "同意"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    extension.refresh_from_db()
    assert task.deadline == later
    assert extension.status == ExtensionRequest.Status.APPROVED
    assert kinds(task)[-2:] == [Kind.EXTENSION_REQUESTED, Kind.EXTENSION_APPROVED]
    assert "已同意" in page_of(client, people.branch_member, task)


def test_rejecting_an_extension_keeps_the_deadline(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    deadline = task.deadline
    request_extension(client, people, task)
    extension = ExtensionRequest.objects.get(task=task)
    client.force_login(people.committee_secretary)
    client.post(reverse("extension_decide", args=[extension.pk]), {"decide-decision": "reject"})
    task.refresh_from_db()
    assert task.deadline == deadline
    assert ExtensionRequest.objects.get().status == ExtensionRequest.Status.REJECTED
    response = client.post(
        reverse("extension_decide", args=[extension.pk]), {"decide-decision": "approve"}, follow=True
    )
    assert "该延期申请已审批。" in response.content.decode()


def test_only_the_committee_decides_extensions(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    request_extension(client, people, task)
    extension = ExtensionRequest.objects.get(task=task)
    url = reverse("extension_decide", args=[extension.pk])
    for person, status in (
        (people.branch_secretary, 403),
        (people.branch_member, 403),
        (holder("sibling_township_secretary", tree.sibling_township), 404),
        (people.outsider, 404),
    ):
        client.force_login(person)
        assert client.post(url, {"decide-decision": "approve"}).status_code == status
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING


# Escalation, 整改不力, 督办 -----------------------------------------------------------


def test_an_overdue_weak_task_shows_its_flags_and_the_committee_records_a_measure(
    client: Client, people: SimpleNamespace, task: RectificationTask, settings: object
) -> None:
    plan(task, people.branch_secretary)
    make_overdue(task, 40)
    body = page_of(client, people.branch_secretary, task)
    assert "已逾期 40 天" in body
    assert "整改不力" in body
    assert "上级党组织督办" in body
    committee_page = page_of(client, people.committee_secretary, task)
    assert reverse("task_action", args=[task.pk, "measure"]) in committee_page

    assert act(client, people.committee_secretary, task, "supervise", {"text": "限期一周"}).status_code == 302
    assert (
        act(
            client, people.committee_secretary, task, "measure", {"measure": "约谈", "note": "约谈支部书记"}
        ).status_code
        == 302
    )
    task.refresh_from_db()
    assert task.supervised
    assert kinds(task)[-2:] == [Kind.SUPERVISED, Kind.MEASURE]
    assert task.events.get(kind=Kind.MEASURE).text == "约谈：约谈支部书记"
    body = page_of(client, people.branch_member, task)
    assert "挂牌督办" in body
    assert "约谈支部书记" in body
    response = act(client, people.committee_secretary, task, "supervise", {"text": ""})
    assert response.status_code == 302
    assert kinds(task).count(Kind.SUPERVISED) == 1


def test_a_measure_of_another_kind_needs_its_description(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    make_overdue(task, 40)
    response = act(client, people.committee_secretary, task, "measure", {"measure": "其他", "note": ""})
    assert response.status_code == 200
    assert "请写明采取的措施" in response.content.decode()
    assert Kind.MEASURE not in kinds(task)


def test_the_page_shows_the_findings_with_recurrence_source_and_severity(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category
) -> None:
    year = timezone.localdate().year
    services.finding_raise(
        organization=tree.branch,
        year=year - 1,
        source=Finding.Source.REVIEW,
        description="党费收缴不及时",
        category=category,
        by=people.committee_secretary,
    )
    again = services.finding_raise(
        organization=tree.branch,
        year=year,
        source=Finding.Source.FEEDBACK,
        description="党费收缴仍不及时",
        category=category,
        severity=Finding.Severity.MAJOR,
        by=people.committee_secretary,
    )
    services.finding_recurrence_confirm(finding=again, by=people.committee_secretary)
    task = services.task_create(
        findings=[again],
        title="整改",
        responsible=people.branch_secretary,
        deadline=timezone.localdate() + timedelta(days=5),
        by=people.committee_secretary,
    )
    body = page_of(client, people.branch_member, task)
    assert "党费收缴仍不及时" in body
    assert f"往年同类问题（{year - 1} 年）" in body
    assert "党员群众反映" in body
    assert "较重" in body
    assert "组织建设" in body


# Evidence ------------------------------------------------------------------------


def test_evidence_is_served_only_to_who_may_see_the_organization(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    event = services.task_progress(
        task=task,
        text="照片与记录",
        files=[png_file("照片.png"), SimpleUploadedFile("记录.pdf", PDF_BYTES)],
        by=people.branch_secretary,
    )
    image, pdf = event.evidence.order_by("id")
    for person in (people.branch_member, people.committee_secretary, people.grantee, people.admin):
        client.force_login(person)
        response = client.get(reverse("task_evidence", args=[image.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        assert "filename*=utf-8''%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(people.branch_member)
    assert client.get(reverse("task_evidence", args=[pdf.pk]))["Content-Type"] == "application/pdf"
    for person in (holder("sibling_secretary", tree.branch_sibling), people.outsider):
        client.force_login(person)
        assert client.get(reverse("task_evidence", args=[image.pk])).status_code == 404
    assert client.get(reverse("task_evidence", args=[999999])).status_code == 404
    client.logout()
    assert client.get(reverse("task_evidence", args=[image.pk])).status_code == 302


# 我的整改 ------------------------------------------------------------------------


def another_task(
    finding_org: Organization, people: SimpleNamespace, category: Category, responsible: User
) -> RectificationTask:
    finding = services.finding_raise(
        organization=finding_org,
        year=timezone.localdate().year,
        source=Finding.Source.SELF_CHECK,
        description="问题",
        category=category,
        by=people.committee_secretary,
    )
    return services.task_create(
        findings=[finding],
        title=f"任务{finding.pk}",
        responsible=responsible,
        deadline=timezone.localdate() + timedelta(days=10),
        by=people.committee_secretary,
    )


def my_page(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("my_tasks"))
    assert response.status_code == 200
    return response.content.decode()


def test_my_tasks_puts_overdue_tasks_first_with_their_days(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, task: RectificationTask
) -> None:
    late = another_task(tree.branch, people, category, people.branch_secretary)
    make_overdue(late, 3)
    body = my_page(client, people.branch_secretary)
    assert body.index(late.title) < body.index(task.title)
    assert "已逾期 3 天" in body
    assert "制定整改方案" in body
    assert reverse("task_detail", args=[task.pk]) in body


def test_my_tasks_shows_the_next_step_of_each_task(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    assert "报告进展" in my_page(client, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    assert "申请销号" in my_page(client, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    assert "等待验收" in my_page(client, people.branch_secretary)


def test_the_secretary_is_told_to_press_for_escalated_tasks_of_the_branch(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, settings: object
) -> None:
    escalated = another_task(tree.branch, people, category, people.branch_deputy)
    recent = another_task(tree.branch, people, category, people.branch_member)
    make_overdue(escalated, 8)
    make_overdue(recent, 2)
    body = my_page(client, people.branch_secretary)
    assert "本组织的整改任务" in body
    assert "已逾期 8 天，请督促" in body
    assert "已逾期 2 天，请督促" not in body
    assert recent.title in body
    assert body.index(escalated.title) < body.index(recent.title)


def test_a_member_sees_only_the_tasks_they_answer_for(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    body = my_page(client, people.branch_member)
    assert task.title not in body
    assert "本组织的整改任务" not in body
    assert "目前没有由您负责" in body


def test_closed_tasks_of_this_year_are_folded_below(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    services.task_submit(task=task, text="完成", by=people.branch_secretary)
    services.task_accept(task=task, by=people.committee_secretary)
    body = my_page(client, people.branch_secretary)
    closed = body.split('class="card closed-tasks"')[1]
    assert task.title in closed
    assert task.title not in body.split('class="card closed-tasks"')[0]


def test_the_menu_links_to_my_tasks(client: Client, people: SimpleNamespace) -> None:
    assert reverse("my_tasks") in my_page(client, people.branch_member)


# Query counts --------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_tasks_query_count_does_not_grow_with_tasks(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, task: RectificationTask
) -> None:
    client.force_login(people.branch_secretary)
    url = reverse("my_tasks")
    small = count_queries(client, url)
    for index in range(6):
        other = another_task(tree.branch, people, category, [people.branch_secretary, people.branch_deputy][index % 2])
        plan(other, people.branch_secretary)
        progress_with_file(other, people.branch_secretary)
        if index % 3 == 0:
            services.task_submit(task=other, text="完成", by=people.branch_secretary)
            services.task_accept(task=other, by=people.committee_secretary)
        else:
            make_overdue(other, 10 + index)
    # Session, user, the user's scope (two), open tasks with their flags, this year's closed tasks, unread count.
    assert small == MY_TASKS_QUERIES
    assert count_queries(client, url) == small


@pytest.mark.parametrize("who", ["branch_secretary", "committee_secretary", "branch_member"])
def test_task_page_query_count_does_not_grow_with_events_and_files(
    client: Client, people: SimpleNamespace, task: RectificationTask, who: str
) -> None:
    plan(task, people.branch_secretary)
    progress_with_file(task, people.branch_secretary)
    client.force_login(getattr(people, who))
    url = reverse("task_detail", args=[task.pk])
    small = count_queries(client, url)
    for _ in range(4):
        progress_with_file(task, people.branch_secretary, count=3)
    services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=9), reason="换届", by=people.branch_secretary
    )
    assert TaskEvent.objects.filter(task=task, kind=Kind.PROGRESS).count() == 5
    assert TaskEvidence.objects.filter(event__task=task).count() == 13
    # Session, user, the task, the user's scope (two), findings, events, their files, extensions, unread count.
    assert small == TASK_PAGE_QUERIES
    assert count_queries(client, url) == small
