"""The yearly documents' figures and HTML: an organization's yearly report (`organization_year`) and a
committee's yearly summary (`committee_year`), each in a fixed number of queries whatever the number of
organizations, tasks or indicators, and their HTML from Django templates."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Organization
from rectification.models import Finding, RectificationTask
from rectification.selectors import CarriedTask, carried_tasks
from responsibility.models import ResponsibilityList
from reviews import selectors
from reviews.models import Cycle, DutyReport, Grade, IndicatorKind, Result
from workbench import charts
from workbench.models import RenderedReport
from workbench.pdf import page_footer_content

logger = logging.getLogger(__name__)

Kind = RenderedReport.Kind
Status = RenderedReport.Status
TaskStatus = RectificationTask.Status

LISTED = 50
"""How many overdue tasks and recurring findings the summary lists; it gives the totals beside them."""


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
    # 年年是问题 as the committee confirmed it: a link only suggested by the wording is not a finding of the year.
    recurring = Finding.objects.filter(
        organization__path__startswith=committee.path,
        year=year,
        recurring_of__isnull=False,
        recurring_state=Finding.Recurrence.CONFIRMED,
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
