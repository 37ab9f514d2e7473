"""A rectification task's evidence you can see: thumbnails behind the task's access check, the 销号
application and the files before the committee's forms, a refused step reopening at itself, and the way
back that follows what the reader may do."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import services as account_services
from accounts.models import Position
from rectification import services
from rectification.models import RectificationTask
from tests.conftest import Tree
from tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def photo(name: str = "整改照片.jpg") -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 30)).save(output, "JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def submitted(task: RectificationTask, people: SimpleNamespace) -> RectificationTask:
    services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    services.task_progress(
        task=task,
        text="已补齐记录",
        files=[photo(), SimpleUploadedFile("整改报告.pdf", PDF_BYTES)],
        by=people.branch_secretary,
    )
    services.task_submit(task=task, text="已全部整改到位，申请销号", by=people.branch_secretary)
    task.refresh_from_db()
    return task


def test_the_thumbnail_goes_through_the_tasks_access_check(
    client: Client, people: SimpleNamespace, tree: Tree, task: RectificationTask
) -> None:
    submitted(task, people)
    image = task.events.get(kind="progress").evidence.get(content_type="image/jpeg")
    url = reverse("task_evidence", args=[image.pk]) + "?size=thumb"
    client.force_login(people.committee_secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(b"".join(response.streaming_content))).size) <= 320  # type: ignore[attr-defined]
    sibling = UserFactory(username="sibling_secretary")
    account_services.position_assign(person=sibling, organization=tree.branch_sibling, role=Position.Role.SECRETARY)
    client.force_login(sibling)
    assert client.get(url).status_code == 404
    client.force_login(people.outsider)
    assert client.get(url).status_code == 404


def test_a_pdf_never_gets_a_thumbnail(client: Client, people: SimpleNamespace, task: RectificationTask) -> None:
    submitted(task, people)
    pdf = task.events.get(kind="progress").evidence.get(content_type="application/pdf")
    client.force_login(people.committee_secretary)
    assert client.get(reverse("task_evidence", args=[pdf.pk]) + "?size=thumb").status_code == 404


def test_the_application_and_the_evidence_come_before_the_committees_forms(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    submitted(task, people)
    client.force_login(people.committee_secretary)
    body = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    application = body.index('id="submission"')
    assert body.index("已全部整改到位，申请销号") > application
    evidence = body.index('id="evidence"')
    first_form = min(body.index('id="step-accept"'), body.index('id="step-return"'), body.index('id="step-supervise"'))
    assert application < evidence < body.index("?size=thumb") < first_form
    assert body.index('class="evidence-preview"') < first_form


def test_a_return_without_a_reason_reopens_at_the_form_with_the_error_beside_the_field(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    submitted(task, people)
    client.force_login(people.committee_secretary)
    page = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert f'action="{reverse("task_action", args=[task.pk, "return"])}#step-return"' in page
    response = client.post(reverse("task_action", args=[task.pk, "return"]), {"return-reason": "  "})
    assert response.status_code == 200
    body = response.content.decode()
    form = body.index('id="step-return"')
    field = body.index('name="return-reason"', form)
    error = body.index('id="id_return-reason_error"')
    assert form < field < error < body.index("</form>", form)
    assert "退回时请填写退回理由。" in body[error : error + 200]
    assert "id_return-reason_error" in body[body.rindex("<textarea", 0, field) : field + 200]
    task.refresh_from_db()
    assert task.status == RectificationTask.Status.AWAITING_ACCEPTANCE


@pytest.mark.parametrize(
    ("who", "crumb", "not_crumb"),
    [
        ("committee_secretary", "rectification_board", "my_tasks"),
        ("branch_secretary", "my_tasks", "rectification_board"),
        ("branch_member", "my_tasks", "rectification_board"),
    ],
)
def test_the_breadcrumb_follows_the_readers_role(
    client: Client, people: SimpleNamespace, task: RectificationTask, who: str, crumb: str, not_crumb: str
) -> None:
    client.force_login(getattr(people, who))
    body = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    start = body.index('<nav class="breadcrumbs"')
    nav = body[start : body.index("</nav>", start)]
    assert f'href="{reverse(crumb)}"' in nav
    assert f'href="{reverse(not_crumb)}"' not in nav
    assert f'href="{reverse(not_crumb)}?' not in nav
