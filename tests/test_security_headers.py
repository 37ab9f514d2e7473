"""Security headers: a Content Security Policy with no inline script, frame protection, and a clean `check --deploy`."""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.security_headers import CONTENT_SECURITY_POLICY
from rectification import services as rectification_services
from rectification.models import Finding, TaskEvidence
from responsibility.models import Category
from tests.conftest import Tree
from tests.responsibility.test_evidence import png_bytes
from workbench.models import RenderedReport

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def production_environment(**variables: str) -> dict[str, str]:
    """This process's environment made production-like: none of the test run's own switches leak in."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for Playwright by tests/conftest.py, and check --deploy rightly refuses it.
    leaks = {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        key: value for key, value in os.environ.items() if key not in leaks and not key.startswith("SECURE_")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="production",
        # Random, as check --deploy wants: long, and of many different characters.
        SECRET_KEY=secrets.token_urlsafe(48)[:50],
        ALLOWED_HOSTS="example.gov.cn",
    )
    environment.update(variables)
    return environment


def run(command: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=production_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({}, id="defaults"),
        # docker-compose.yml: TLS ends at the front proxy, which redirects to HTTPS itself.
        pytest.param({"SECURE_SSL_REDIRECT": "false"}, id="compose"),
        pytest.param({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}, id="public-site"),
    ],
)
def test_check_deploy_under_production_settings_reports_nothing(variables: dict[str, str]) -> None:
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_deploy_warning_is_silenced_only_while_its_choice_is_made() -> None:
    # With HTTPS redirect on and HSTS sent, the redirect and HSTS warnings must still be able to fire.
    probe = "import django; django.setup(); from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)"
    result = run([sys.executable, "-c", probe], SECURE_HSTS_INCLUDE_SUBDOMAINS="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['security.W021']"


def test_the_policy_is_the_documented_one() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_POLICY


def assert_page_headers(response) -> None:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == EXPECTED_POLICY
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_signed_in_page_carries_the_headers(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.branch_secretary)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert_page_headers(response)


def test_the_public_page_carries_the_headers(client: Client, db: None) -> None:
    response = client.get("/public/")
    assert response.status_code == 200
    assert_page_headers(response)


def test_the_sign_in_page_carries_the_headers(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_page_headers(response)


def test_an_error_page_carries_the_headers(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.branch_secretary)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_page_headers(response)


def test_the_admin_carries_the_headers(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_page_headers(response)


# Nothing a page needs may be inline script: the policy would block it.

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_no_template_has_inline_script_or_event_handler_attributes() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, SCRIPT_URL)
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_report_editor_reads_its_settings_from_data_attributes() -> None:
    page = (ROOT / "templates" / "reviews" / "reports" / "report_edit.html").read_text(encoding="utf-8")
    script = (ROOT / "static" / "js" / "report-editor.js").read_text(encoding="utf-8")
    assert "data-autosave-url=" in page
    assert 'getAttribute("data-autosave-url")' in script
    # Code built from strings is blocked too (no 'unsafe-eval').
    assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*[\"']", script)


# Files go out as files: never as a page, downloads unless a plain image or PDF.


@pytest.fixture
def task_files(tree: Tree, people: SimpleNamespace) -> tuple[TaskEvidence, TaskEvidence]:
    """A progress update at the branch carrying a PNG and an Excel file."""
    finding = rectification_services.finding_raise(
        organization=tree.branch,
        year=timezone.localdate().year,
        source=Finding.Source.SELF_CHECK,
        description="记录不规范",
        category=Category.objects.get(name="组织建设"),
        by=people.committee_secretary,
    )
    task = rectification_services.task_create(
        findings=[finding],
        title="规范记录",
        responsible=people.branch_secretary,
        deadline=timezone.localdate() + timedelta(days=30),
        by=people.committee_secretary,
    )
    rectification_services.task_plan(
        task=task, measures="补齐记录", standard="记录完整", commitment="按期完成", by=people.branch_secretary
    )
    sheet = io.BytesIO()
    openpyxl.Workbook().save(sheet)
    event = rectification_services.task_progress(
        task=task,
        text="附件",
        files=[
            SimpleUploadedFile("照片.png", png_bytes()),
            SimpleUploadedFile("台账.xlsx", sheet.getvalue()),
        ],
        by=people.branch_secretary,
    )
    image, workbook = event.evidence.order_by("id")
    return image, workbook


def test_an_evidence_download_is_an_attachment_and_never_sniffed(
    client: Client, people: SimpleNamespace, task_files: tuple[TaskEvidence, TaskEvidence]
) -> None:
    image, workbook = task_files
    client.force_login(people.branch_member)
    response = client.get(reverse("task_evidence", args=[workbook.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # An image is shown in the browser, but only ever as the image type sniffed at upload.
    response = client.get(reverse("task_evidence", args=[image.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url_name", ["progress_export", "ledger_export"])
def test_an_excel_export_is_an_attachment(client: Client, people: SimpleNamespace, url_name: str) -> None:
    client.force_login(people.committee_secretary)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Content-Security-Policy" not in response


def test_a_rendered_pdf_is_an_attachment(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    rendered = RenderedReport.objects.create(
        organization=tree.branch,
        year=timezone.localdate().year,
        kind=RenderedReport.Kind.ORGANIZATION,
        status=RenderedReport.Status.READY,
        requested_by=people.branch_secretary,
    )
    name = default_storage.save(f"reports/test-{rendered.pk}.pdf", ContentFile(b"%PDF-1.7 test"))
    RenderedReport.objects.filter(pk=rendered.pk).update(file=name, finished_at=timezone.now())
    client.force_login(people.branch_secretary)
    response = client.get(reverse("yearly_report_download", args=[rendered.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
