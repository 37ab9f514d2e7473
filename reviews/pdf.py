"""Yearly reports as PDF (WeasyPrint): an organization's yearly report and a committee's yearly summary.

Three layers, top to bottom:

- the documents' figures (`organization_year`, `committee_year`): a fixed number of queries per document,
  whatever the number of organizations, tasks or indicators;
- HTML from Django templates (`organization_report_html`, `committee_summary_html`) and `render_pdf`, which
  resolves /static/ from the static files on disk (never the network) and refuses to print without a
  Chinese font rather than print empty boxes;
- the background workflow of a `RenderedReport` (`rendered_report_request`, `rendered_report_render`,
  `rendered_report_retry`): queued → rendering → ready or failed, driven by the Celery task
  `reviews.render_report`; the partial unique index `one_render_in_flight` keeps a second render of the same
  document from starting while one is under way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import Action, can, require, scope_for, supervised_q
from foundation.errors import DomainError
from foundation.queue import queue_or_leave
from rectification.models import Finding, RectificationTask
from rectification.selectors import CarriedTask, carried_tasks
from responsibility.models import ResponsibilityList
from reviews import charts, selectors
from reviews.models import Cycle, DutyReport, Grade, IndicatorKind, RenderedReport, Result

logger = logging.getLogger(__name__)

Kind = RenderedReport.Kind
Status = RenderedReport.Status
TaskStatus = RectificationTask.Status

LISTED = 50
"""How many overdue tasks and recurring findings the summary lists; it gives the totals beside them."""
STALE_AFTER = timedelta(minutes=30)
"""A render still "rendering" after this long died with its worker: asking again replaces it."""
REQUEUE_AFTER = timedelta(minutes=10)
"""A render still queued this long after it was asked for lost its message (the broker was down): send it again."""
BASE_URL = "https://pdf.invalid/"
"""Where the documents pretend to live, so /static/… resolves to a URL the fetcher below maps to a file."""
CJK_SAMPLE_LANGUAGE = b":lang=zh"


# --- the fonts: no Chinese font, no PDF ---------------------------------------------------


class MissingFontError(DomainError):
    """The host has no Chinese font: a PDF would show empty boxes instead of characters."""


def _fontconfig() -> Any:
    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    library = ctypes.CDLL(name)
    library.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    library.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    library.FcNameParse.restype = ctypes.c_void_p
    library.FcNameParse.argtypes = [ctypes.c_char_p]
    library.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    library.FcObjectSetCreate.restype = ctypes.c_void_p
    library.FcObjectSetAdd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    library.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    library.FcFontList.restype = ctypes.POINTER(_FcFontSet)
    library.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    library.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FcFontSet)]
    library.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    return library


class _FcFontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]


def cjk_font_families() -> list[str]:
    """What `fc-list :lang=zh family` prints, asked of fontconfig itself (slim images lack the fc-list binary).

    A fresh configuration each time, so a font installed while the worker runs counts at the next render.
    """
    try:
        fc = _fontconfig()
    except OSError:
        return []
    config = fc.FcInitLoadConfigAndFonts()
    pattern = fc.FcNameParse(CJK_SAMPLE_LANGUAGE)
    objects = fc.FcObjectSetCreate()
    fc.FcObjectSetAdd(objects, b"family")
    fonts = fc.FcFontList(config, pattern, objects)
    families: set[str] = set()
    try:
        if fonts:
            for index in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                if fc.FcPatternGetString(fonts.contents.fonts[index], b"family", 0, ctypes.byref(value)) == 0:
                    families.add((value.value or b"").decode("utf-8", "replace"))
    finally:
        if fonts:
            fc.FcFontSetDestroy(fonts)
        fc.FcObjectSetDestroy(objects)
        fc.FcPatternDestroy(pattern)
        fc.FcConfigDestroy(config)
    return sorted(families)


def check_cjk_font() -> None:
    """Raises MissingFontError with the fix in Chinese when fontconfig knows no font covering Chinese."""
    if not cjk_font_families():
        raise MissingFontError(
            _(
                "服务器未安装中文字体，无法生成 PDF（否则汉字会显示为方框）。"
                "请管理员安装 fonts-noto-cjk（例如 apt-get install fonts-noto-cjk）后重试。"
            )
        )


# --- static files without the network ------------------------------------------------------


def static_file(url: str) -> Path | None:
    """The file behind a /static/… URL: from the apps' static folders, else from STATIC_ROOT (hashed names)."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(settings.STATIC_URL):
        return None
    name = path[len(settings.STATIC_URL) :]
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    try:
        stored = Path(staticfiles_storage.path(name))
    except NotImplementedError:
        return None
    return stored if stored.is_file() else None


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serves the documents' stylesheets from disk; any other URL is refused, so rendering never goes online."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            file = static_file(url) if url.startswith(BASE_URL) else None
            if file is None:
                raise ValueError(f"not a static file: {url}")
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=file.read_bytes(), headers={"Content-Type": content_type})

    return StaticFilesFetcher()


def render_pdf(html: str) -> bytes:
    """A4 PDF bytes of a document's HTML; refuses (MissingFontError) when no Chinese font is installed."""
    check_cjk_font()
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher())
    return bytes(document.write_pdf())


def page_footer_content() -> str:
    """The CSS `content` of the footer, "第 X 页 共 Y 页" in the active language, built from one translatable phrase."""
    phrase = _("第 {page} 页 共 {pages} 页")

    def literal(text: str) -> str:
        # A CSS string: backslashes and quotes escaped, "<" too so a translation cannot close the <style> element.
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
        return f'"{escaped}"'

    head, _marker, rest = phrase.partition("{page}")
    middle, _marker, tail = rest.partition("{pages}")
    parts = [literal(head), "counter(page)", literal(middle), "counter(pages)", literal(tail)]
    return " ".join(part for part in parts if part != '""')


# --- an organization's year ----------------------------------------------------------------


@dataclass
class ScoreLine:
    category: str
    name: str
    kind: str
    kind_label: str
    max_points: Decimal
    mean: Decimal | None
    veto_hits: int = 0


@dataclass
class OrganizationYear:
    """Everything an organization's yearly report prints."""

    organization: Organization
    year: int
    responsibility_list: ResponsibilityList | None
    document: selectors.ReportDocument | None
    """The duty report of the year's cycle (the latest one started), if the organization took part in one."""
    scores: list[ScoreLine] = field(default_factory=list)
    ballots: selectors.BallotStanding | None = None
    review_score: Decimal | None = None
    cycle_size: int = 0
    tasks: list[CarriedTask] = field(default_factory=list)

    @property
    def result(self) -> Result | None:
        return self.document.result if self.document else None

    @property
    def is_closed(self) -> bool:
        return bool(self.document and self.document.cycle.is_closed)

    @property
    def tasks_accepted(self) -> int:
        return sum(1 for task in self.tasks if task.is_accepted)

    @property
    def tasks_overdue(self) -> int:
        return sum(1 for task in self.tasks if task.is_overdue)

    @property
    def grade_label(self) -> str:
        return self.result.get_grade_display() if self.result else ""


def year_report(organization: Organization, year: int) -> DutyReport | None:
    """The organization's duty report in the latest started cycle of YEAR (one query)."""
    return (
        DutyReport.objects.filter(organization=organization, cycle__year=year)
        .exclude(cycle__status=Cycle.Status.DRAFT)
        .order_by("-cycle_id")
        .first()
    )


def organization_year(organization: Organization, year: int) -> OrganizationYear:
    """The figures of an organization's yearly report, in a fixed number of queries."""
    figures = OrganizationYear(
        organization=organization,
        year=year,
        responsibility_list=ResponsibilityList.objects.filter(organization=organization, year=year).first(),
        document=None,
        tasks=carried_tasks(organization, year),
    )
    report = year_report(organization, year)
    if report is None:
        return figures
    figures.document = selectors.report_document(report)
    if not figures.is_closed:
        # Before closing the committee's figures are not the organization's to see (as on the report's page).
        return figures
    assessment = selectors.report_assessment(figures.document.report)
    for index, indicator in enumerate(assessment.indicators):
        hits = sum(1 for reviewer in assessment.reviewers if reviewer.points[index] is True)
        figures.scores.append(
            ScoreLine(
                category=indicator.category,
                name=indicator.name,
                kind=indicator.kind,
                kind_label=str(IndicatorKind(indicator.kind).label),
                max_points=indicator.max_points,
                mean=assessment.means[index],
                veto_hits=hits if indicator.kind == IndicatorKind.VETO else 0,
            )
        )
    figures.ballots = assessment.ballots
    figures.review_score = assessment.review_score
    figures.cycle_size = Result.objects.filter(report__cycle=figures.document.cycle).count()
    return figures


# --- a committee's year over its subtree -------------------------------------------------------


@dataclass
class SummaryCycle:
    cycle: Cycle
    results: list[Result] = field(default_factory=list)


@dataclass
class RectificationLine:
    """One child organization's subtree (or the committee itself) and its tasks of the year."""

    organization: Organization
    is_own: bool = False
    total: int = 0
    accepted: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.total - self.accepted

    @property
    def rate(self) -> int:
        return round(100 * self.accepted / self.total) if self.total else 0


@dataclass(frozen=True)
class OverdueTask:
    task: RectificationTask
    days: int


@dataclass
class CommitteeYear:
    """Everything a committee's yearly summary prints."""

    organization: Organization
    year: int
    today: date
    cycles: list[SummaryCycle]
    grade_counts: list[tuple[str, int]]
    rectification: list[RectificationLine]
    overdue_tasks: list[OverdueTask]
    recurring_findings: list[Finding]
    recurring_total: int

    @property
    def results_total(self) -> int:
        return sum(len(cycle.results) for cycle in self.cycles)

    @property
    def tasks_total(self) -> int:
        return sum(line.total for line in self.rectification)

    @property
    def tasks_accepted(self) -> int:
        return sum(line.accepted for line in self.rectification)

    @property
    def tasks_open(self) -> int:
        return self.tasks_total - self.tasks_accepted

    @property
    def tasks_overdue(self) -> int:
        return sum(line.overdue for line in self.rectification)

    @property
    def tasks_rate(self) -> int:
        return round(100 * self.tasks_accepted / self.tasks_total) if self.tasks_total else 0

    @property
    def grade_chart(self) -> SafeString:
        return charts.distribution_chart(self.grade_counts, title=_("考核等次分布"))

    @property
    def listed(self) -> int:
        return LISTED


def _subtree_tasks(committee: Organization, year: int) -> QuerySet[RectificationTask]:
    return RectificationTask.objects.filter(organization__path__startswith=committee.path, year=year)


def committee_year(committee: Organization, year: int, today: date | None = None) -> CommitteeYear:
    """The figures of a committee's yearly summary over its subtree: seven queries, whatever its size."""
    today = today or timezone.localdate()
    cycles = [
        SummaryCycle(cycle)
        for cycle in Cycle.objects.filter(organization=committee, year=year)
        .exclude(status=Cycle.Status.DRAFT)
        .order_by("id")
    ]
    by_cycle = {summary.cycle.pk: summary for summary in cycles}
    results = (
        Result.objects.filter(
            report__cycle__organization=committee, report__cycle__year=year, report__cycle__status=Cycle.Status.CLOSED
        )
        .select_related("report__organization", "report__cycle")
        .order_by("report__cycle_id", F("rank").asc(nulls_last=True), "report__organization__path")
    )
    for result in results:
        by_cycle[result.report.cycle_id].results.append(result)
    grades = dict.fromkeys(Grade.values, 0)
    for summary in cycles:
        for result in summary.results:
            grades[result.grade] = grades.get(result.grade, 0) + 1

    # Completion per child subtree: one GROUP BY on the first level below the committee.
    group_length = len(committee.path) + Organization.steplen
    rows = (
        _subtree_tasks(committee, year)
        .order_by()
        .values(group=Substr("organization__path", 1, group_length))
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(status=TaskStatus.ACCEPTED)),
            overdue=Count("id", filter=~Q(status=TaskStatus.ACCEPTED) & Q(deadline__lt=today)),
        )
    )
    figures = {row["group"]: row for row in rows}
    children = Organization.objects.filter(path__startswith=committee.path, depth=committee.depth + 1).order_by("path")
    lines = [RectificationLine(child) for child in children]
    if committee.path in figures:
        lines.insert(0, RectificationLine(committee, is_own=True))
    for line in lines:
        row = figures.get(line.organization.path)
        if row:
            line.total, line.accepted, line.overdue = row["total"], row["accepted"], row["overdue"]

    overdue_tasks = [
        OverdueTask(task, task.overdue_days(today))
        for task in _subtree_tasks(committee, year)
        .exclude(status=TaskStatus.ACCEPTED)
        .filter(deadline__lt=today)
        .select_related("organization", "responsible")
        .order_by("deadline", "organization__path", "id")[:LISTED]
    ]
    recurring = Finding.objects.filter(
        organization__path__startswith=committee.path, year=year, recurring_of__isnull=False
    )
    return CommitteeYear(
        organization=committee,
        year=year,
        today=today,
        cycles=cycles,
        grade_counts=[(str(label), grades.get(value, 0)) for value, label in Grade.choices],
        rectification=lines,
        overdue_tasks=overdue_tasks,
        recurring_findings=list(
            recurring.select_related("organization", "category", "recurring_of").order_by(
                "organization__path", "-created_at", "-id"
            )[:LISTED]
        ),
        recurring_total=recurring.count(),
    )


# --- HTML ------------------------------------------------------------------------------------


@contextmanager
def _document_language() -> Iterator[None]:
    """Documents are printed in the site's language (Chinese), whoever asked and in whatever language."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _context(organization: Organization, year: int) -> dict[str, Any]:
    return {
        "organization": organization,
        "year": year,
        "printed_on": timezone.localdate(),
        "footer_content": page_footer_content(),
    }


def organization_report_html(organization: Organization, year: int) -> str:
    """The organization's yearly report as HTML for WeasyPrint."""
    with _document_language():
        context = _context(organization, year) | {"figures": organization_year(organization, year)}
        return render_to_string("pdf/organization_report.html", context)


def committee_summary_html(organization: Organization, year: int) -> str:
    """The committee's yearly summary over its subtree as HTML for WeasyPrint."""
    with _document_language():
        context = _context(organization, year) | {"figures": committee_year(organization, year)}
        return render_to_string("pdf/committee_summary.html", context)


def document_html(organization: Organization, year: int, kind: str) -> str:
    if kind == Kind.SUMMARY:
        return committee_summary_html(organization, year)
    return organization_report_html(organization, year)


# --- who may ask for and read the documents ------------------------------------------------------


def may_request(user: Any, organization: Organization) -> bool:
    """Those who keep the organization (MANAGE) or supervise it; both imply seeing it. Administrators always."""
    return can(user, Action.MANAGE, organization) or can(user, Action.SUPERVISE, organization)


def require_request(user: Any, organization: Organization) -> None:
    """404 when the organization is out of sight, 403 when seen but neither kept nor supervised."""
    require(user, Action.VIEW, organization)
    if not may_request(user, organization):
        raise PermissionDenied


def requestable_q(user: Any, prefix: str = "") -> Q:
    """The organizations whose documents the user may ask for and download, as a filter."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(**{f"{prefix}path__in": sorted(scope.manage_paths)}) | supervised_q(user, prefix)


def rendered_reports_for(user: Any) -> QuerySet[RenderedReport]:
    """Every rendered document the user may download, the latest first (one query a page)."""
    return (
        RenderedReport.objects.filter(requestable_q(user, "organization__"))
        .select_related("organization", "requested_by")
        .order_by("-requested_at", "-id")
    )


# --- the background workflow ------------------------------------------------------------------------


def _check_request(organization: Organization, year: int, kind: str) -> None:
    if kind not in Kind.values:
        raise DomainError(_("请选择报告类型。"))
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise DomainError(_("年度应在 2000 年至 %(year)s 年之间。") % {"year": this_year})
    if kind == Kind.SUMMARY and organization.kind == Organization.Kind.BRANCH:
        raise DomainError(_("党支部没有下级党组织，请选择“年度报告”。"))


def _send(rendered_id: int) -> None:
    # With the broker down the row stays committed as queued: the periodic sweep
    # (rendered_reports_requeue) sends it once the broker is back.
    queue_or_leave(
        "reviews.render_report",
        rendered_id,
        logger=logger,
        message=f"Could not queue render {rendered_id}; the periodic sweep queues it again.",
    )


def _enqueue(rendered_id: int) -> None:
    transaction.on_commit(lambda: _send(rendered_id))


def rendered_reports_requeue(*, now: Any = None, limit: int = 500) -> int:
    """Sends again the renders still queued REQUEUE_AFTER after they were asked for (their message was lost).

    A duplicate message is harmless: only one run moves a row out of QUEUED.
    """
    cutoff = (now or timezone.now()) - REQUEUE_AFTER
    waiting = list(
        RenderedReport.objects.filter(status=Status.QUEUED, requested_at__lt=cutoff)
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )
    for rendered_id in waiting:
        _send(rendered_id)
    return len(waiting)


def rendered_report_request(
    *, organization: Organization, year: int, kind: str, by: User
) -> tuple[RenderedReport, bool]:
    """Queues the document and its render after commit; (the one already in flight, False) if there is one."""
    _check_request(organization, year, kind)
    in_flight = RenderedReport.objects.filter(
        organization=organization, year=year, kind=kind, status__in=[Status.QUEUED, Status.RENDERING]
    )
    for _attempt in range(2):
        try:
            with transaction.atomic():
                rendered = RenderedReport.objects.create(
                    organization=organization, year=year, kind=kind, requested_by=by
                )
        except IntegrityError:
            existing = in_flight.first()
            if existing is None:
                continue  # It finished between our insert and our read: ask again.
            if existing.status == Status.RENDERING and existing.requested_at < timezone.now() - STALE_AFTER:
                # Its worker died mid-render (acks_late redelivers, but the guarded update refuses it).
                RenderedReport.objects.filter(pk=existing.pk, status=Status.RENDERING).update(
                    status=Status.FAILED, error=_("生成中断（超时），已重新生成。"), finished_at=timezone.now()
                )
                continue
            return existing, False
        _enqueue(rendered.pk)
        return rendered, True
    raise DomainError(_("已在生成中，请稍后刷新。"))


def rendered_report_retry(*, rendered: RenderedReport, by: User) -> RenderedReport:
    """Puts a failed render back in the queue; refused while another render of the same document is under way."""
    try:
        with transaction.atomic():
            updated = RenderedReport.objects.filter(pk=rendered.pk, status=Status.FAILED).update(
                status=Status.QUEUED, error="", finished_at=None
            )
    except IntegrityError:
        raise DomainError(_("已在生成中，请稍后刷新。")) from None
    if updated != 1:
        raise DomainError(_("只有生成失败的报告可以重试。"))
    _enqueue(rendered.pk)
    rendered.refresh_from_db()
    return rendered


def _file_name(rendered: RenderedReport) -> str:
    # One name per row: a render retried after its worker was killed overwrites what that run left, never adds a file.
    return f"{rendered.organization.code}-{rendered.year}-{rendered.kind}-{rendered.pk}.pdf"


def rendered_report_render(*, rendered_id: int) -> str:
    """QUEUED → RENDERING → READY (the file in storage) or FAILED (with the reason); a no-op for any other state.

    The guarded update makes a duplicate delivery of the task harmless: only one run moves the row out of QUEUED.
    """
    started = RenderedReport.objects.filter(pk=rendered_id, status=Status.QUEUED).update(status=Status.RENDERING)
    if started != 1:
        return "skipped"
    rendered = RenderedReport.objects.select_related("organization").get(pk=rendered_id)
    try:
        data = render_pdf(document_html(rendered.organization, rendered.year, rendered.kind))
        field_file = rendered.file
        name = field_file.field.generate_filename(rendered, _file_name(rendered))
        if field_file.storage.exists(name):
            field_file.storage.delete(name)  # the partial file of a killed run
        stored = field_file.storage.save(name, ContentFile(data))
    except Exception as error:  # whatever went wrong, the person sees why and may retry
        logger.exception("Rendering %s failed", rendered_id)
        reason = str(error) if isinstance(error, DomainError) else _("生成失败：%(error)s") % {"error": error}
        RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(
            status=Status.FAILED, error=reason[:2000], finished_at=timezone.now()
        )
        return Status.FAILED
    RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(
        status=Status.READY, file=stored, error="", finished_at=timezone.now()
    )
    return Status.READY
