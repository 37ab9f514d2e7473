"""What people upload and type on a rectification task never runs in a browser."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from foundation.errors import DomainError
from rectification import services
from rectification.models import Finding, RectificationTask, TaskEvidence
from responsibility.models import Category
from tests.conftest import Tree
from tests.responsibility.test_evidence import png_bytes

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def started(task: RectificationTask, people: SimpleNamespace) -> RectificationTask:
    """The task with its plan in, so progress (with files) may be reported."""
    services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    return task


def page_of(client: Client, person, task: RectificationTask) -> str:  # type: ignore[no-untyped-def]
    client.force_login(person)
    response = client.get(reverse("task_detail", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("name", "content"), [("整改照片.png", SVG), ("整改记录.pdf", HTML)])
def test_svg_and_html_are_refused_as_task_evidence(
    started: RectificationTask, people: SimpleNamespace, name: str, content: bytes
) -> None:
    with pytest.raises(DomainError, match="的内容不是允许的类型"):
        services.task_progress(
            task=started, text="照片", files=[SimpleUploadedFile(name, content)], by=people.branch_secretary
        )
    assert not TaskEvidence.objects.exists()


def test_a_malicious_file_name_is_stored_under_a_random_name_and_shown_escaped(
    client: Client, started: RectificationTask, people: SimpleNamespace
) -> None:
    services.task_progress(
        task=started,
        text="照片",
        files=[
            SimpleUploadedFile("../../etc/passwd.png", png_bytes()),
            SimpleUploadedFile("<script>.png", png_bytes()),
        ],
        by=people.branch_secretary,
    )
    for evidence in TaskEvidence.objects.all():
        assert re.fullmatch(rf"rectification/{started.organization_id}/[0-9a-f]{{32}}\.png", evidence.file.name)
    page = page_of(client, people.branch_member, started)
    assert "passwd.png" in page
    assert "&lt;script&gt;.png" in page
    assert "<script>" not in page


def test_script_in_a_finding_and_a_progress_report_is_shown_as_text(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    finding = services.finding_raise(
        organization=tree.branch,
        year=timezone.localdate().year,
        source=Finding.Source.SELF_CHECK,
        description=f"记录不规范{SCRIPT}",
        category=category,
        by=people.committee_secretary,
    )
    task = services.task_create(
        findings=[finding],
        title=f"规范记录{SCRIPT}",
        responsible=people.branch_secretary,
        deadline=timezone.localdate() + timedelta(days=30),
        by=people.committee_secretary,
    )
    services.task_plan(
        task=task, measures=f"补齐{SCRIPT}", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    services.task_progress(task=task, text=f"已补齐{SCRIPT}", by=people.branch_secretary)
    page = page_of(client, people.committee_secretary, task)
    for text in (
        f"记录不规范{ESCAPED_SCRIPT}",
        f"规范记录{ESCAPED_SCRIPT}",
        f"补齐{ESCAPED_SCRIPT}",
        f"已补齐{ESCAPED_SCRIPT}",
    ):
        assert text in page
    assert "<script>alert" not in page
