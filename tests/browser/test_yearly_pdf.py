"""In real Chromium: the demo administrator asks for 东湖镇's summary of last year, watches it go from queued
to ready (the page refreshes itself, no JavaScript needed) and downloads the PDF."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.browser.test_duty_report_review import new_page, shoot, sign_in
from workbench import pdf, renders
from workbench.models import RenderedReport
from workbench.tasks import render_report

pytestmark = pytest.mark.browser


def test_the_administrator_asks_for_a_committee_summary_watches_it_render_and_downloads_it(  # type: ignore[no-untyped-def]
    live_server, chromium, transactional_db, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not pdf.cjk_font_families():
        from tests.conftest import unavailable

        unavailable("no Chinese font (fonts-noto-cjk) is installed")
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    last_year = timezone.localdate().year - 1
    # Celery runs in-process in tests: hold the render back so the page shows the queue first.
    held: list[int] = []
    monkeypatch.setattr(renders, "_enqueue", held.append)
    url = live_server.url

    admin = new_page(chromium, phone=True)
    sign_in(admin, url, "demo-admin")
    admin.get_by_text("菜单").first.click()
    admin.get_by_role("link", name="年度报告").click()
    admin.get_by_role("heading", name="年度报告").first.wait_for()
    admin.get_by_label("党组织").select_option(label="中共青山县东湖镇委员会（QS-DH）")
    admin.get_by_label("年度", exact=True).fill(str(last_year))
    admin.get_by_label("年度汇总").check()
    admin.get_by_role("button", name="生成 PDF").click()

    row = admin.locator("tr[data-rendered]").first
    row.get_by_text("排队中").wait_for()
    assert admin.locator('meta[http-equiv="refresh"]').count() == 1
    assert admin.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(admin, "yearly-pdf-queued-375.png")
    rendered = RenderedReport.objects.get()
    assert held == [rendered.pk]
    assert rendered.status == RenderedReport.Status.QUEUED
    assert rendered.kind == RenderedReport.Kind.SUMMARY
    assert rendered.organization.code == "QS-DH"

    # The worker picks it up; the page refreshes itself every three seconds until it is ready.
    render_report.delay(rendered.pk)
    admin.locator("tr[data-rendered]").first.get_by_text("已生成").wait_for(timeout=20_000)
    assert admin.locator('meta[http-equiv="refresh"]').count() == 0
    shoot(admin, "yearly-pdf-ready-375.png")

    link = admin.get_by_role("link", name="下载 PDF").first
    with admin.expect_download() as download_info:
        link.click()
    download: Any = download_info.value
    saved = tmp_path / "summary.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    fetched = admin.request.get(url + link.get_attribute("href"))
    assert fetched.ok
    assert fetched.body().startswith(b"%PDF")
