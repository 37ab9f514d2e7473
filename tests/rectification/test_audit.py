"""整改 on the audit page (操作日志): no more than its pages show (rectification/audit.py).

A finding is the supervising committees' (问题清单) until it is part of a task; a task and its extension
requests are read by whoever sees the organization, as on the task page.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Position
from rectification import services
from rectification.models import ExtensionRequest, Finding, RectificationTask
from responsibility.models import Category
from tests.conftest import Tree
from tests.factories import UserFactory


def audit_page(user: Any, model: str) -> tuple[str, set[int]]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("audit_log"), {"model": model})
    assert response.status_code == 200
    return response.content.decode(), {row.history_id for row in response.context["items"]}


def test_a_finding_on_a_committee_is_its_supervisors_until_it_is_in_a_task(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    county = UserFactory(username="county_secretary", full_name="县委书记")
    account_services.position_assign(person=county, organization=tree.county, role=Position.Role.SECRETARY)
    finding = services.finding_raise(
        organization=tree.township,
        year=timezone.localdate().year,
        source=Finding.Source.INSPECTION,
        description="县委督查发现：镇党委会议记录不全",
        category=category,
        by=county,
    )
    finding.description = "县委督查发现：镇党委会议记录不全（补充）"
    finding.save()
    rows = set(finding.history.values_list("history_id", flat=True))

    assert rows <= audit_page(county, "rectification.Finding")[1]
    assert rows <= audit_page(people.grantee, "rectification.Finding")[1]  # the grant supervises the township
    # The township sees itself but supervises only what is below it: no page shows it this finding yet.
    text, shown = audit_page(people.committee_secretary, "rectification.Finding")
    assert not shown & rows
    assert "会议记录不全" not in text

    task = services.task_create(
        findings=[finding],
        title="规范镇党委会议记录",
        responsible=people.committee_secretary,
        deadline=timezone.localdate() + timedelta(days=30),
        by=county,
    )
    finding.refresh_from_db()
    finding.description = "县委督查发现：镇党委会议记录不全，已下达整改"
    finding.save()
    text, shown = audit_page(people.committee_secretary, "rectification.Finding")
    assert shown & rows == set()  # rows from before the task stay the committee's
    assert finding.history.latest().history_id in shown
    assert "已下达整改" in text
    assert "（补充）" not in text  # the old side of that change was written before the task
    page = Client()
    page.force_login(people.committee_secretary)
    assert "已下达整改" in page.get(reverse("task_detail", args=[task.pk])).content.decode()


def test_a_task_and_its_extensions_are_read_by_whoever_sees_the_organization(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    services.task_plan(
        task=task, measures="逐月检查会议记录", standard="记录齐全", commitment="按期完成", by=people.branch_secretary
    )
    services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=10), reason="需等党员大会", by=people.branch_secretary
    )
    text, shown = audit_page(people.committee_secretary, "rectification.RectificationTask")
    assert set(task.history.values_list("history_id", flat=True)) <= shown
    assert "逐月检查会议记录" in text
    extensions = set(ExtensionRequest.history.values_list("history_id", flat=True))
    assert extensions <= audit_page(people.committee_secretary, "rectification.ExtensionRequest")[1]
