"""Yearly reports as PDF: what they print, the render workflow, the command, and who may ask and download.

The printed text is read back with pdftotext and the fonts with pdffonts (poppler-utils); under CI=true a
missing tool or Chinese font fails instead of skipping.

Why one long file: what the reports print, their render workflow, the command and who may ask for
them all read the same seeded year and closed cycle built at the top.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from foundation.errors import DomainError
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from reviews.models import Cycle
from tests.clients import signed_in
from tests.conftest import Tree, unavailable
from tests.factories import OrganizationFactory, PositionFactory, UserFactory
from tests.reviews.conftest import close_cycle
from workbench import charts, pdf, renders, yearly
from workbench.models import RenderedReport

Kind = RenderedReport.Kind
Status = RenderedReport.Status
CJK_FONT = re.compile(r"NotoSansCJK|Noto-Sans-CJK|NotoSerifCJK|Noto-Serif-CJK|SourceHan|WenQuanYi", re.IGNORECASE)
LAST_YEAR = timezone.localdate().year - 1
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def poppler() -> None:
    for tool in ("pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} (poppler-utils) is not installed")
    if not pdf.cjk_font_families():
        unavailable("no Chinese font (fonts-noto-cjk) is installed")


def _run(tool: list[str], data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "document.pdf"
    source.write_bytes(data)
    return subprocess.run([*tool, str(source), "-"], check=True, capture_output=True, text=True).stdout


def pdf_text(data: bytes, tmp_path: Path) -> str:
    return _run(["pdftotext", "-layout"], data, tmp_path)


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(data)
    return subprocess.run(["pdffonts", str(source)], check=True, capture_output=True, text=True).stdout


def squeezed(text: str) -> str:
    """pdftotext drops the narrow spaces between Chinese characters; compare without any whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def seeded(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())


def _tasks(organization: Organization, person: User, count: int, *, year: int = THIS_YEAR) -> None:
    today = timezone.localdate()
    RectificationTask.objects.bulk_create(
        RectificationTask(
            organization=organization,
            year=year,
            title=f"整改事项第{index}项：规范“三会一课”会议记录和签到",
            measures="逐月检查会议记录",
            responsible=person,
            created_by=person,
            deadline=today - timedelta(days=index % 3) if index % 2 else today + timedelta(days=10),
            status=RectificationTask.Status.ACCEPTED if index % 4 == 0 else RectificationTask.Status.IN_PROGRESS,
        )
        for index in range(count)
    )


# --- what the documents print -----------------------------------------------------------------


def test_an_organization_report_prints_its_chinese_sections_footer_and_an_embedded_cjk_font(
    seeded: None, poppler: None, tmp_path: Path
) -> None:
    village = Organization.objects.get(code="QS-DH-01")
    data = pdf.render_pdf(yearly.organization_report_html(village, LAST_YEAR))
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    flat = squeezed(text)
    for heading in ("年度党建工作报告", "一、责任清单完成情况", "二、述职报告", "三、考核评分", "五、民主测评"):
        assert heading in flat
    assert "六、考核结果" in flat
    assert "七、整改落实情况" in flat
    assert "东湖镇柳塘村党支部" in text
    assert "履职情况" in text  # the duty report's own text
    assert "第1页共" in flat  # the footer: 第 1 页 共 N 页
    assert "单位（盖章）" in flat
    assert CJK_FONT.search(pdf_fonts(data, tmp_path))


def test_a_committee_summary_prints_ranking_grades_chart_rectification_and_signature(
    seeded: None, poppler: None, tmp_path: Path
) -> None:
    township = Organization.objects.get(code="QS-DH")
    html = yearly.committee_summary_html(township, LAST_YEAR)
    assert "<svg" in html
    assert "考核等次分布" in html
    data = pdf.render_pdf(html)
    text = pdf_text(data, tmp_path)
    flat = squeezed(text)
    for heading in ("年度党建工作汇总", "一、述职评议考核排名", "二、考核等次分布", "三、整改完成情况"):
        assert heading in flat
    assert "四、逾期未完成的整改" in flat
    assert "五、反复出现的问题" in flat
    assert "负责人签字" in flat
    assert "第1页共" in flat
    assert "东湖镇柳塘村党支部" in text
    assert f"中共青山县东湖镇委员会·{LAST_YEAR}年度" in flat  # the running header
    assert CJK_FONT.search(pdf_fonts(data, tmp_path))


def test_a_long_table_splits_across_pages_and_repeats_its_header(
    tree: Tree, people: SimpleNamespace, poppler: None, tmp_path: Path
) -> None:
    _tasks(tree.branch, people.branch_secretary, 70)
    data = pdf.render_pdf(yearly.organization_report_html(tree.branch, THIS_YEAR))
    text = pdf_text(data, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    with_header = [page for page in pages if "整改时限" in page and "逾期天数" in page]
    assert len(with_header) >= 2
    assert all(f"整改事项第{index}项" in squeezed(text) for index in range(70))


def test_the_summary_counts_rectification_per_child_subtree(tree: Tree, people: SimpleNamespace) -> None:
    _tasks(tree.branch, people.branch_secretary, 4)  # under 甲镇机关党总支
    _tasks(tree.direct_branch, people.branch_secretary, 2)
    _tasks(tree.township, people.committee_secretary, 1)
    _tasks(tree.sibling_branch, people.branch_secretary, 5)  # another committee's
    figures = yearly.committee_year(tree.township, THIS_YEAR)
    lines = {line.organization.code: line for line in figures.rectification}
    assert [line.organization.code for line in figures.rectification] == ["C-T1", "C-T1-G", "C-T1-B3"]
    assert lines["C-T1"].is_own
    assert lines["C-T1"].total == 1
    assert (lines["C-T1-G"].total, lines["C-T1-G"].accepted) == (4, 1)
    assert lines["C-T1-B3"].total == 2
    assert figures.tasks_total == 7


def test_the_summary_lists_recurring_findings_the_committee_confirmed(tree: Tree, people: SimpleNamespace) -> None:
    category = Category.objects.get(name="组织建设")
    earlier = Finding.objects.create(
        organization=tree.branch,
        year=THIS_YEAR - 1,
        source=Finding.Source.SELF_CHECK,
        description="会议记录不规范",
        category=category,
        created_by=people.committee_secretary,
    )
    Finding.objects.create(
        organization=tree.branch,
        year=THIS_YEAR,
        source=Finding.Source.SELF_CHECK,
        description="会议记录仍不规范",
        category=category,
        recurring_of=earlier,
        recurring_likeness=100,
        recurring_state=Finding.Recurrence.CONFIRMED,
        created_by=people.committee_secretary,
    )
    # Only suggested by its wording: not yet 年年是问题.
    Finding.objects.create(
        organization=tree.branch,
        year=THIS_YEAR,
        source=Finding.Source.SELF_CHECK,
        description="会议记录不够规范",
        category=category,
        recurring_of=earlier,
        recurring_likeness=90,
        recurring_state=Finding.Recurrence.SUGGESTED,
        created_by=people.committee_secretary,
    )
    figures = yearly.committee_year(tree.township, THIS_YEAR)
    assert figures.recurring_total == 1
    assert figures.recurring_findings[0].recurring_of == earlier
    html = yearly.committee_summary_html(tree.township, THIS_YEAR)
    assert "会议记录仍不规范" in html
    assert "会议记录不规范" in html
    assert "会议记录不够规范" not in html


def _close(cycle: Cycle, people: SimpleNamespace) -> None:
    close_cycle(cycle, people.committee_secretary)


def test_an_organization_report_costs_the_same_queries_whatever_its_size(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, django_assert_num_queries: Any
) -> None:
    _close(open_cycle, people)
    _tasks(tree.branch, people.branch_secretary, 2)
    yearly.organization_report_html(tree.branch, THIS_YEAR)
    with CaptureQueriesContext(connection) as small:
        yearly.organization_report_html(tree.branch, THIS_YEAR)
    _tasks(tree.branch, people.branch_secretary, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        html = yearly.organization_report_html(tree.branch, THIS_YEAR)
    assert "整改事项第39项" in html


def test_a_committee_summary_costs_the_same_queries_whatever_the_subtree(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle, django_assert_num_queries: Any
) -> None:
    _close(open_cycle, people)
    _tasks(tree.branch, people.branch_secretary, 2)
    with django_assert_num_queries(7):
        yearly.committee_summary_html(tree.township, THIS_YEAR)
    for number in range(6):
        child = OrganizationFactory(name=f"新建村{number}党支部", code=f"C-T1-N{number}", parent=tree.township)
        _tasks(child, people.branch_secretary, 5)
    with django_assert_num_queries(7):
        html = yearly.committee_summary_html(tree.township, THIS_YEAR)
    assert "新建村5党支部" in html


def test_the_footer_is_built_from_one_translatable_phrase() -> None:
    assert pdf.page_footer_content() == '"第 " counter(page) " 页 共 " counter(pages) " 页"'


def test_a_static_url_resolves_to_a_file_and_anything_else_to_nothing() -> None:
    found = pdf.static_file("/static/css/pdf.css")
    assert found is not None
    assert found.name == "pdf.css"
    assert pdf.static_file("/static/../config/settings.py") is None
    assert pdf.static_file("/media/reports/x.pdf") is None


# --- the charts ---------------------------------------------------------------------------------


def test_a_bar_chart_escapes_labels_and_carries_a_title_and_a_text_alternative() -> None:
    svg = str(charts.bar_chart([("<b>一村</b>", 80), ("二村", 40.5)], title="完成率", unit="%", max_value=100))
    assert "<b>" not in svg
    assert "&lt;b&gt;一村" in svg
    assert "<title>完成率</title>" in svg
    assert "<desc>" in svg
    assert "二村：40.5%" in svg
    assert 'viewBox="0 0 640 56"' in svg
    assert "<script" not in svg


def test_a_distribution_chart_gives_counts_and_shares() -> None:
    svg = str(charts.distribution_chart([("好", 2), ("较好", 1), ("一般", 1), ("差", 0)], title="等次分布"))
    assert "好：2（50%）" in svg
    assert "差：0（0%）" in svg
    assert "暂无数据" in str(charts.distribution_chart([("好", 0)], title="等次分布"))
    table = str(charts.chart_table([("好", 2)], caption="等次分布"))
    assert "<caption>等次分布</caption>" in table
    assert "visually-hidden" in table


# --- the render workflow ------------------------------------------------------------------------


def _request(organization: Organization, person: User, kind: str = Kind.ORGANIZATION) -> tuple[RenderedReport, bool]:
    return renders.rendered_report_request(organization=organization, year=THIS_YEAR, kind=kind, by=person)


def test_a_request_is_queued_and_the_task_renders_it_after_commit(
    tree: Tree, people: SimpleNamespace, poppler: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rendered, created = _request(tree.township, people.committee_secretary, Kind.SUMMARY)
    assert created
    assert rendered.status == Status.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()  # Celery runs eagerly in tests: the task renders now
    rendered.refresh_from_db()
    assert rendered.status == Status.READY
    assert rendered.finished_at is not None
    assert not rendered.error
    assert rendered.file.name.startswith("reports/C-T1-")
    with default_storage.open(rendered.file.name, "rb") as stored:
        assert stored.read(4) == b"%PDF"


def test_the_task_moves_only_a_queued_row_so_a_second_delivery_does_nothing(
    tree: Tree, people: SimpleNamespace, poppler: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        rendered, _created = _request(tree.branch, people.branch_secretary)
    assert renders.rendered_report_render(rendered_id=rendered.pk) == Status.READY
    first = RenderedReport.objects.get(pk=rendered.pk).file.name
    assert renders.rendered_report_render(rendered_id=rendered.pk) == "skipped"
    assert RenderedReport.objects.get(pk=rendered.pk).file.name == first


def test_asking_again_while_one_is_in_flight_returns_the_same_row(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first, created = _request(tree.branch, people.branch_secretary)
        second, created_again = _request(tree.branch, people.committee_secretary)
    assert created
    assert not created_again
    assert second.pk == first.pk
    assert len(callbacks) == 1
    RenderedReport.objects.filter(pk=first.pk).update(status=Status.RENDERING)
    with django_capture_on_commit_callbacks(execute=False):
        third, created = _request(tree.branch, people.branch_secretary)
    assert not created
    assert third.pk == first.pk
    # Another year or kind is another document.
    with django_capture_on_commit_callbacks(execute=False):
        _other, created = renders.rendered_report_request(
            organization=tree.branch, year=LAST_YEAR, kind=Kind.ORGANIZATION, by=people.branch_secretary
        )
    assert created


def test_a_render_stuck_for_long_is_failed_and_replaced_by_a_new_request(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        stuck, _created = _request(tree.branch, people.branch_secretary)
    RenderedReport.objects.filter(pk=stuck.pk).update(
        status=Status.RENDERING, requested_at=timezone.now() - timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=False):
        fresh, created = _request(tree.branch, people.branch_secretary)
    assert created
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert "超时" in stuck.error


def test_a_failed_render_records_the_reason_and_a_retry_renders_it(
    tree: Tree,
    people: SimpleNamespace,
    poppler: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def broken(html: str) -> bytes:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(renders, "render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        rendered, _created = _request(tree.branch, people.branch_secretary)
    rendered.refresh_from_db()
    assert rendered.status == Status.FAILED
    assert "磁盘已满" in rendered.error
    assert rendered.finished_at
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        renders.rendered_report_retry(rendered=rendered, by=people.branch_secretary)
    rendered.refresh_from_db()
    assert rendered.status == Status.READY
    assert rendered.error == ""
    assert rendered.file


def test_without_a_chinese_font_the_render_fails_with_a_clear_reason(
    tree: Tree,
    people: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr(pdf, "cjk_font_families", lambda: [])
    with django_capture_on_commit_callbacks(execute=True):
        rendered, _created = _request(tree.branch, people.branch_secretary)
    rendered.refresh_from_db()
    assert rendered.status == Status.FAILED
    assert "中文字体" in rendered.error
    assert "fonts-noto-cjk" in rendered.error
    assert not rendered.file


def test_only_a_failed_render_may_be_retried(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        rendered, _created = _request(tree.branch, people.branch_secretary)
    with pytest.raises(DomainError, match="只有生成失败"):
        renders.rendered_report_retry(rendered=rendered, by=people.branch_secretary)
    # A failed one cannot go back to the queue while another render of the same document is under way.
    RenderedReport.objects.filter(pk=rendered.pk).update(status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=False):
        _request(tree.branch, people.branch_secretary)
    with pytest.raises(DomainError, match="已在生成中"):
        renders.rendered_report_retry(rendered=rendered, by=people.branch_secretary)


def test_a_summary_of_a_branch_or_a_future_year_is_refused(tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="党支部没有下级党组织"):
        _request(tree.branch, people.branch_secretary, Kind.SUMMARY)
    with pytest.raises(DomainError, match="年度应在"):
        renders.rendered_report_request(
            organization=tree.branch, year=THIS_YEAR + 1, kind=Kind.ORGANIZATION, by=people.branch_secretary
        )
    assert not RenderedReport.objects.exists()


# --- the command -----------------------------------------------------------------------------------


def test_the_command_writes_the_same_pdf_to_a_file(tree: Tree, poppler: None, tmp_path: Path) -> None:
    target = tmp_path / "summary.pdf"
    out = StringIO()
    call_command("render_report", "--org", "C-T1", "--year", str(THIS_YEAR), "--summary", "-o", str(target), stdout=out)
    assert target.read_bytes().startswith(b"%PDF")
    assert "已生成" in out.getvalue()
    assert "年度党建工作汇总" in squeezed(pdf_text(target.read_bytes(), tmp_path))


def test_the_command_refuses_an_unknown_code_a_branch_summary_and_a_missing_font(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = str(tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="没有代码为"):
        call_command("render_report", "--org", "NOPE", "--year", "2024", "-o", target)
    with pytest.raises(CommandError, match="党支部"):
        call_command("render_report", "--org", "C-T1-G-B1", "--year", "2024", "--summary", "-o", target)
    monkeypatch.setattr(pdf, "cjk_font_families", lambda: [])
    with pytest.raises(CommandError, match="中文字体"):
        call_command("render_report", "--org", "C-T1-G-B1", "--year", "2024", "-o", target)


# --- the pages and who may use them -----------------------------------------------------------------------


def _post_request(client: Client, organization: Organization, kind: str = Kind.ORGANIZATION) -> Any:
    return client.post(
        reverse("yearly_report_request"), {"organization": organization.pk, "year": THIS_YEAR, "kind": kind}
    )


@pytest.mark.parametrize(
    ("who", "where", "kind", "status"),
    [
        ("committee_secretary", "township", Kind.SUMMARY, 302),  # keeps it
        ("committee_staff", "township", Kind.SUMMARY, 302),
        ("committee_secretary", "general", Kind.SUMMARY, 302),  # supervises it
        ("committee_secretary", "branch", Kind.ORGANIZATION, 302),
        ("grantee", "township", Kind.SUMMARY, 302),  # supervises by grant
        ("branch_secretary", "branch", Kind.ORGANIZATION, 302),
        ("admin", "unrelated", Kind.SUMMARY, 302),
        ("committee_party_member", "township", Kind.SUMMARY, 403),  # sees it, keeps nothing
        ("branch_member", "branch", Kind.ORGANIZATION, 403),
        ("branch_secretary", "general", Kind.SUMMARY, 404),  # the branch's parent
        ("branch_secretary", "branch_sibling", Kind.ORGANIZATION, 404),
        ("committee_secretary", "sibling_township", Kind.SUMMARY, 404),
        ("committee_secretary", "county", Kind.SUMMARY, 404),
        ("outsider", "branch", Kind.ORGANIZATION, 404),
    ],
)
def test_who_may_ask_for_a_document(
    tree: Tree,
    people: SimpleNamespace,
    who: str,
    where: str,
    kind: str,
    status: int,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(getattr(people, who))
    with django_capture_on_commit_callbacks(execute=False):
        response = _post_request(client, getattr(tree, where), kind)
    assert response.status_code == status
    assert RenderedReport.objects.exists() == (status == 302)


def test_a_branch_summary_shows_the_reason_on_the_form(tree: Tree, people: SimpleNamespace) -> None:
    response = _post_request(signed_in(people.branch_secretary), tree.branch, Kind.SUMMARY)
    assert response.status_code == 200
    assert "党支部没有下级党组织" in response.content.decode()
    assert not RenderedReport.objects.exists()


def test_asking_twice_says_it_is_already_rendering(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = signed_in(people.committee_secretary)
    with django_capture_on_commit_callbacks(execute=False):
        _post_request(client, tree.township, Kind.SUMMARY)
        response = client.post(
            reverse("yearly_report_request"),
            {"organization": tree.township.pk, "year": THIS_YEAR, "kind": Kind.SUMMARY},
            follow=True,
        )
    assert RenderedReport.objects.count() == 1
    page = response.content.decode()
    assert "已在生成中" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "排队中" in page


def _ready(organization: Organization, person: User, kind: str = Kind.ORGANIZATION) -> RenderedReport:
    rendered = RenderedReport.objects.create(
        organization=organization, year=THIS_YEAR, kind=kind, status=Status.READY, requested_by=person
    )
    name = default_storage.save(f"reports/test-{rendered.pk}.pdf", ContentFile(b"%PDF-1.7 test"))
    RenderedReport.objects.filter(pk=rendered.pk).update(file=name, finished_at=timezone.now())
    rendered.refresh_from_db()
    return rendered


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("committee_secretary", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_member", 403),  # sees the branch, keeps nothing
        ("committee_party_member", 404),  # a member sees only the township itself
        ("branch_sibling_secretary", 404),
        ("outsider", 404),
    ],
)
def test_who_may_download_a_branch_report(tree: Tree, people: SimpleNamespace, who: str, status: int) -> None:
    rendered = _ready(tree.branch, people.branch_secretary)
    if who == "branch_sibling_secretary":
        people.branch_sibling_secretary = UserFactory(username="sibling_secretary")
        PositionFactory(person=people.branch_sibling_secretary, organization=tree.branch_sibling, role="secretary")
    response = signed_in(getattr(people, who)).get(reverse("yearly_report_download", args=[rendered.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]


def test_a_document_not_ready_cannot_be_downloaded(tree: Tree, people: SimpleNamespace) -> None:
    rendered = RenderedReport.objects.create(
        organization=tree.branch, year=THIS_YEAR, kind=Kind.ORGANIZATION, requested_by=people.branch_secretary
    )
    response = signed_in(people.branch_secretary).get(reverse("yearly_report_download", args=[rendered.pk]))
    assert response.status_code == 404


def test_retry_is_checked_like_the_organization(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    rendered = RenderedReport.objects.create(
        organization=tree.branch,
        year=THIS_YEAR,
        kind=Kind.ORGANIZATION,
        status=Status.FAILED,
        error="x",
        requested_by=people.branch_secretary,
    )
    url = reverse("yearly_report_retry", args=[rendered.pk])
    assert signed_in(people.outsider).post(url).status_code == 404
    assert signed_in(people.branch_member).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_in(people.committee_secretary).post(url)
    assert response.status_code == 302
    assert len(callbacks) == 1
    rendered.refresh_from_db()
    assert rendered.status == Status.QUEUED
    assert rendered.error == ""


def test_the_list_shows_only_documents_of_organizations_the_person_keeps_or_supervises(
    tree: Tree, people: SimpleNamespace
) -> None:
    mine = _ready(tree.branch, people.branch_secretary)
    township = _ready(tree.township, people.committee_secretary, Kind.SUMMARY)
    sibling = _ready(tree.sibling_branch, people.admin)
    failed = RenderedReport.objects.create(
        organization=tree.direct_branch,
        year=THIS_YEAR,
        kind=Kind.ORGANIZATION,
        status=Status.FAILED,
        error="服务器未安装中文字体",
        requested_by=people.committee_secretary,
    )
    page = signed_in(people.committee_secretary).get(reverse("yearly_reports")).content.decode()
    for shown in (mine, township, failed):
        assert f'data-rendered="{shown.pk}"' in page
    assert f'data-rendered="{sibling.pk}"' not in page
    assert "服务器未安装中文字体" in page
    assert "重试" in page
    assert "下载 PDF" in page
    assert 'http-equiv="refresh"' not in page
    branch_page = signed_in(people.branch_secretary).get(reverse("yearly_reports")).content.decode()
    assert f'data-rendered="{mine.pk}"' in branch_page
    assert f'data-rendered="{township.pk}"' not in branch_page


def test_the_page_is_not_for_members_and_outsiders(tree: Tree, people: SimpleNamespace) -> None:
    assert signed_in(people.branch_member).get(reverse("yearly_reports")).status_code == 404
    assert signed_in(people.outsider).get(reverse("yearly_reports")).status_code == 404
    response = signed_in(people.committee_secretary).get(
        reverse("yearly_reports"), {"organization": tree.sibling_township.pk}
    )
    assert response.status_code == 404


def test_a_link_preselects_the_organization(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary).get(reverse("yearly_reports"), {"organization": tree.branch.pk})
    assert response.status_code == 200
    assert response.context["form"].initial["organization"] == tree.branch.pk
    assert response.context["form"].initial["kind"] == Kind.ORGANIZATION


def test_the_menu_links_the_page_for_committees_only(tree: Tree, people: SimpleNamespace) -> None:
    url = reverse("yearly_reports")
    assert url in signed_in(people.committee_secretary).get(reverse("home")).content.decode()
    assert url in signed_in(people.admin).get(reverse("home")).content.decode()
    assert url not in signed_in(people.branch_secretary).get(reverse("home")).content.decode()


def test_the_list_page_costs_the_same_queries_whatever_its_length(
    tree: Tree, people: SimpleNamespace, django_assert_num_queries: Any
) -> None:
    client = signed_in(people.committee_secretary)
    _ready(tree.branch, people.branch_secretary)
    client.get(reverse("yearly_reports"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("yearly_reports"))
    for organization in (tree.township, tree.general, tree.direct_branch, tree.branch_sibling):
        _ready(organization, people.committee_secretary)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("yearly_reports"))
    assert response.content.decode().count("data-rendered=") == 5


def test_a_request_made_while_the_broker_is_down_is_saved_and_sent_by_the_sweep(
    tree: Tree,
    people: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from kombu.exceptions import OperationalError

    from workbench import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_report, "delay", broker_down)
    client = signed_in(people.committee_secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_request(client, tree.township, Kind.SUMMARY)
    assert response.status_code == 302
    rendered = RenderedReport.objects.get()
    assert rendered.status == Status.QUEUED
    # Not yet: a render may wait in a long queue for a while.
    assert renders.rendered_reports_requeue() == 0
    sent: list[int] = []
    monkeypatch.setattr(tasks.render_report, "delay", sent.append)
    later = timezone.now() + renders.REQUEUE_AFTER + timedelta(seconds=1)
    assert renders.rendered_reports_requeue(now=later) == 1
    assert sent == [rendered.pk]
    # The sweep leaves alone what is rendering or done.
    RenderedReport.objects.filter(pk=rendered.pk).update(status=Status.RENDERING)
    assert renders.rendered_reports_requeue(now=later) == 0
