"""Reads of the duty report: my reports, the report's facts and versions, the self-assessment, the home page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import (
    Organization,
    Position,
)
from accounts.permissions import scope_for
from meetings.facts import LifeFacts, life_facts
from meetings.models import Meeting
from responsibility.models import DutyRecord, ListItem, ResponsibilityList
from reviews import access, carried
from reviews.models import (
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    ReportVersion,
    Result,
    ReviewerAssignment,
    SelfAssessment,
)

EVIDENCE_SHOWN = 50
"""The self-assessment page lists the latest records of the year; a text filter reaches the rest."""
LATE_ITEMS_SHOWN = 10


def my_reports(user: Any) -> list[DutyReport]:
    """The reports of the organizations the user keeps, in started cycles, newest cycle first (one query)."""
    paths = sorted(scope_for(user).manage_paths)
    if not paths:
        return []
    reports = (
        DutyReport.objects.filter(organization__path__in=paths)
        .exclude(cycle__status=Cycle.Status.DRAFT)
        .select_related("cycle", "cycle__organization", "organization", "result")
        .order_by("-cycle__year", "-cycle__id", "organization__path")
    )
    return list(access.with_cycle_size(reports))


@dataclass(frozen=True)
class RectificationSummary:
    """上年度整改落实情况: the organization's tasks of a year and their counts, as the next duty report shows them."""

    year: int
    rows: list[carried.CarriedRow]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def accepted(self) -> int:
        return sum(1 for row in self.rows if row.is_accepted)

    @property
    def open(self) -> int:
        return self.total - self.accepted

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.is_overdue)


def rectification_summary(organization: Organization, year: int) -> RectificationSummary | None:
    """The organization's rectification tasks of YEAR (two queries); None when it had none.

    The report shows it beside the text the secretary writes, not as one of its sections, so it cannot be removed.
    """
    rows = carried.rows_of(organization, year)
    return RectificationSummary(year=year, rows=rows) if rows else None


@dataclass
class ReportFacts:
    """What the system knows beside the report, read-only: the year's list, its organizational life (the
    meetings, 一次录入，多处使用) and last year's rectification."""

    year: int
    responsibility_list: ResponsibilityList | None
    late_items: list[ListItem] = field(default_factory=list)
    rectification: RectificationSummary | None = None
    life: LifeFacts | None = None

    @property
    def rectification_year(self) -> int:
        return self.year - 1


def report_facts(report: DutyReport) -> ReportFacts:
    """The responsibility list of the report's year, the year's organizational life and last year's
    rectification (at most six queries)."""
    year = report.cycle.year
    responsibility_list = ResponsibilityList.objects.filter(organization=report.organization_id, year=year).first()
    late_items: list[ListItem] = []
    if responsibility_list is not None and (responsibility_list.late_items or responsibility_list.red_items):
        late_items = list(
            responsibility_list.items.filter(Q(late_periods__gt=0) | Q(missed_periods__gt=0))
            .select_related("category")
            .order_by("-missed_periods", "-late_periods", "order", "id")[:LATE_ITEMS_SHOWN]
        )
    return ReportFacts(
        year=year,
        responsibility_list=responsibility_list,
        late_items=late_items,
        rectification=rectification_summary(report.organization, year - 1),
        life=life_facts(report.organization_id, year),
    )


def report_versions(report: DutyReport) -> list[ReportVersion]:
    return list(report.versions.select_related("submitted_by", "on_behalf_of").order_by("-number"))


def report_version(report: DutyReport, number: int) -> ReportVersion:
    try:
        return report.versions.select_related("submitted_by", "on_behalf_of").get(number=number)
    except ReportVersion.DoesNotExist as missing:
        raise Http404 from missing


@dataclass
class AssessmentLine:
    """One indicator of the rubric with the organization's own score (if any)."""

    indicator: Indicator
    assessment: SelfAssessment | None

    @property
    def record_ids(self) -> list[int]:
        return [record.pk for record in self.assessment.records.all()] if self.assessment else []

    @property
    def meeting_ids(self) -> list[int]:
        return [meeting.pk for meeting in self.assessment.meetings.all()] if self.assessment else []


def self_assessment_lines(report: DutyReport) -> list[AssessmentLine]:
    """Every indicator a report assesses itself on (not the veto items), with its score and evidence (four queries)."""
    indicators = list(report.cycle.indicators.exclude(kind=IndicatorKind.VETO).order_by("order", "id"))
    assessments = {
        assessment.indicator_id: assessment
        for assessment in report.self_assessments.prefetch_related(
            Prefetch("records", queryset=DutyRecord.objects.select_related("item").order_by("-occurred_on", "-id")),
            Prefetch("meetings", queryset=Meeting.objects.select_related("kind").order_by("-held_on", "-id")),
        )
    }
    return [AssessmentLine(indicator, assessments.get(indicator.pk)) for indicator in indicators]


def is_secretary(user: Any, organization: Organization) -> bool:
    """Whether the user is the organization's current 书记 (others submitting are recorded as acting for them)."""
    return organization.positions.current().filter(person_id=user.pk, role=Position.Role.SECRETARY).exists()


@dataclass
class HomeReviews:
    """What of 述职评议 waits for the person on the home page."""

    reports: list[DutyReport]
    """Reports of the organizations they lead, in open cycles."""
    to_score: int
    """Submitted reports assigned to them and not yet scored."""
    cycles: list[Cycle]
    """Open cycles run by the committees they lead."""
    results: list[Result] = field(default_factory=list)
    """The results of the organizations they lead in cycles closed within RESULT_CARD_DAYS."""


RESULT_CARD_DAYS = 365
"""How long a closed cycle's result stays on the secretary's home page (a year: until the next one)."""


def home_reviews(user: Any, led: Iterable[Organization]) -> HomeReviews:
    """At most four queries whatever the number of reports, results, assignments and cycles."""
    led_ids = [organization.pk for organization in led]
    reports: list[DutyReport] = []
    results: list[Result] = []
    if led_ids:
        reports = list(
            DutyReport.objects.filter(organization_id__in=led_ids, cycle__status=Cycle.Status.OPEN)
            .select_related("cycle", "organization")
            .order_by("cycle__report_due", "organization__path")
        )
        since = timezone.now() - timedelta(days=RESULT_CARD_DAYS)
        results = list(
            Result.objects.filter(report__organization_id__in=led_ids, report__cycle__closed_at__gte=since)
            .select_related("report__cycle__organization", "report__organization")
            .order_by("-report__cycle__closed_at", "report__organization__path")
        )
    scope = scope_for(user)
    to_score = 0
    cycles: list[Cycle] = []
    if scope.is_committee and not scope.is_admin:
        to_score = ReviewerAssignment.objects.filter(
            permissions.supervised_q(user, "report__organization__"),
            reviewer_id=user.pk,
            submitted_at__isnull=True,
            report__status=DutyReport.Status.SUBMITTED,
            report__cycle__status=Cycle.Status.OPEN,
        ).count()
        if scope.manage_paths:
            cycles = list(
                Cycle.objects.filter(status=Cycle.Status.OPEN, organization__path__in=sorted(scope.manage_paths))
                .select_related("organization")
                .order_by("report_due", "id")
            )
    return HomeReviews(reports=reports, to_score=to_score, cycles=cycles, results=results)


def evidence_choices(report: DutyReport, *, query: str = "", keep: list[int] | None = None) -> list[DutyRecord]:
    """The organization's records of the report's year offered as evidence: the latest (by text) and those kept."""
    records = DutyRecord.objects.filter(organization=report.organization_id, occurred_on__year=report.cycle.year)
    shown = records
    if query:
        shown = shown.filter(Q(content__icontains=query) | Q(item__content__icontains=query))
    latest = list(shown.select_related("item").order_by("-occurred_on", "-id")[:EVIDENCE_SHOWN])
    missing = set(keep or ()) - {record.pk for record in latest}
    if missing:
        latest += list(records.filter(pk__in=missing).select_related("item"))
    return sorted(latest, key=lambda record: (record.item.order, record.item_id, -record.occurred_on.toordinal()))


def meeting_choices(report: DutyReport) -> list[Meeting]:
    """The organization's meetings held in the report's year, offered as evidence as records are (one query):
    a branch holds a few dozen a year, so all are shown."""
    return list(
        Meeting.objects.filter(
            organization=report.organization_id, status=Meeting.Status.HELD, held_on__year=report.cycle.year
        )
        .select_related("kind")
        .order_by("-held_on", "-id")
    )
