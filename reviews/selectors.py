"""Reads that pages and exports share (and the PDF of a later issue). Each filters through accounts.permissions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import (
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
    Position,
    User,
)
from accounts.permissions import scope_for
from responsibility.models import DutyRecord, ListItem, ResponsibilityList
from reviews import access, carried, scoring, services
from reviews.models import (
    BallotBatch,
    BallotCode,
    Classification,
    Component,
    Cycle,
    DutyReport,
    GapKind,
    Grade,
    GradeRule,
    Indicator,
    IndicatorKind,
    Problem,
    Rating,
    ReportVersion,
    Result,
    ReviewerAssignment,
    Score,
    SelfAssessment,
    SpentCode,
)

# --- reports: my reports, the report with its facts, results -----------------------

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
    """What the system knows beside the report, read-only: the year's list and last year's rectification."""

    year: int
    responsibility_list: ResponsibilityList | None
    late_items: list[ListItem] = field(default_factory=list)
    rectification: RectificationSummary | None = None

    @property
    def rectification_year(self) -> int:
        return self.year - 1


def report_facts(report: DutyReport) -> ReportFacts:
    """The responsibility list of the report's year and last year's rectification (at most four queries)."""
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


def self_assessment_lines(report: DutyReport) -> list[AssessmentLine]:
    """Every indicator a report assesses itself on (not the veto items), with its score and evidence (three queries)."""
    indicators = list(report.cycle.indicators.exclude(kind=IndicatorKind.VETO).order_by("order", "id"))
    assessments = {
        assessment.indicator_id: assessment
        for assessment in report.self_assessments.prefetch_related(
            Prefetch("records", queryset=DutyRecord.objects.select_related("item").order_by("-occurred_on", "-id"))
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


# --- scoring: reviewer queue, scoring page, committee assessment ----------------------


def assignments_for_reviewer(user: User) -> QuerySet[ReviewerAssignment]:
    """The reports assigned to the user in open cycles, the latest scoring deadline first (one query a page).

    Only those the user may still score: an assignment is used while its reviewer supervises the report's
    organization now, so one whose position has ended no longer finds it here.
    """
    return (
        ReviewerAssignment.objects.filter(
            permissions.supervised_q(user, "report__organization__"),
            reviewer=user,
            report__cycle__status=Cycle.Status.OPEN,
        )
        .select_related("report__organization", "report__cycle__organization")
        .annotate(scored_count=Count("scores"))
        .order_by("-report__cycle__scoring_due", "-report__cycle_id", "report__organization__path", "pk")
    )


@dataclass(frozen=True)
class RecordLink:
    pk: int
    label: str


@dataclass(frozen=True)
class SelfAssessmentRow:
    indicator_id: int | None
    indicator: str
    points: str
    note: str
    records: tuple[RecordLink, ...] = ()


@dataclass(frozen=True)
class ReportBody:
    """What a reader sees of a report: its submitted text, or the last submitted version while it is revised."""

    sections: list[tuple[str, str]]
    self_assessment: list[SelfAssessmentRow]
    version: int | None = None
    """Set when the report is not in its submitted state and the last submitted version is shown instead."""

    @property
    def is_available(self) -> bool:
        return bool(self.sections)


def report_body(report: DutyReport) -> ReportBody:
    """The submitted sections (sanitized HTML) and self-assessment; at most two queries."""
    titles = report.cycle.section_titles()
    if report.status == DutyReport.Status.SUBMITTED:
        assessments = (
            SelfAssessment.objects.filter(report=report)
            .select_related("indicator")
            .prefetch_related(Prefetch("records", queryset=DutyRecord.objects.order_by("occurred_on", "pk")))
            .order_by("indicator__order", "indicator_id")
        )
        return ReportBody(
            sections=[(title, report.sections.get(title, "")) for title in titles],
            self_assessment=[
                SelfAssessmentRow(
                    indicator_id=assessment.indicator_id,
                    indicator=assessment.indicator.name,
                    points="" if assessment.points is None else str(assessment.points),
                    note=assessment.note,
                    records=tuple(
                        RecordLink(record.pk, f"{record.occurred_on:%Y-%m-%d} {record.content[:30]}")
                        for record in assessment.records.all()
                    ),
                )
                for assessment in assessments
            ],
        )
    version = ReportVersion.objects.filter(report=report).order_by("-number").first()
    if version is None:
        return ReportBody(sections=[], self_assessment=[])
    stored = version.sections or {}
    ordered = [title for title in titles if title in stored] + [title for title in stored if title not in titles]
    return ReportBody(
        sections=[(title, stored[title]) for title in ordered],
        self_assessment=[
            SelfAssessmentRow(
                indicator_id=None,
                indicator=str(row.get("indicator", "")),
                points=str(row.get("points", "")),
                note=str(row.get("note", "")),
                records=tuple(RecordLink(pk, f"#{pk}") for pk in row.get("records", [])),
            )
            for row in version.self_assessment or []
        ],
        version=version.number,
    )


@dataclass
class IndicatorRow:
    indicator: Indicator
    own: Score | None = None
    mean: Decimal | None = None
    """The mean of submitted reviewers (trimmed by the cycle's rule); shown only once this reviewer has submitted."""
    veto_hits: int = 0
    self_points: str = ""


@dataclass
class IndicatorGroup:
    title: str
    kind: str
    rows: list[IndicatorRow] = field(default_factory=list)


SCORING_KIND_ORDER: dict[str, int] = {
    IndicatorKind.STANDARD: 0,
    IndicatorKind.BONUS: 1,
    IndicatorKind.DEDUCTION: 2,
    IndicatorKind.VETO: 3,
}


def scoring_groups(rows: list[IndicatorRow]) -> list[IndicatorGroup]:
    """Standard indicators by category in rubric order, then the bonus, deduction and veto entries."""
    groups: dict[tuple[str, str], IndicatorGroup] = {}
    for row in rows:
        kind = row.indicator.kind
        if kind == IndicatorKind.STANDARD:
            key, title = (kind, row.indicator.category), row.indicator.category
        else:
            key, title = (kind, ""), str(IndicatorKind(kind).label)
        groups.setdefault(key, IndicatorGroup(title=title, kind=kind)).rows.append(row)
    return sorted(groups.values(), key=lambda group: SCORING_KIND_ORDER.get(group.kind, 9))


def _submitted_points(report: DutyReport) -> list[tuple[int, int, Decimal, bool]]:
    """(assignment, indicator, points, vetoed) of every reviewer who has submitted: one query."""
    return list(
        Score.objects.filter(assignment__report=report, assignment__submitted_at__isnull=False).values_list(
            "assignment_id", "indicator_id", "points", "vetoed"
        )
    )


@dataclass
class ScoringPage:
    assignment: ReviewerAssignment
    body: ReportBody
    groups: list[IndicatorGroup]
    scores: dict[int, Score]
    reviewers_submitted: int
    """How many reviewers have submitted; 0 until this reviewer has submitted, so nothing of the others shows."""

    @property
    def may_score(self) -> bool:
        report = self.assignment.report
        return (
            report.cycle.status == Cycle.Status.OPEN
            and report.status == DutyReport.Status.SUBMITTED
            and self.assignment.submitted_at is None
        )

    @property
    def indicators(self) -> list[Indicator]:
        return [row.indicator for group in self.groups for row in group.rows]


def scoring_page(assignment: ReviewerAssignment) -> ScoringPage:
    """The reviewer's page: the report, the rubric with their own scores and, after they submit, the means."""
    report = assignment.report
    cycle = report.cycle
    indicators = list(cycle.indicators.all())
    scores = {score.indicator_id: score for score in Score.objects.filter(assignment=assignment)}
    body = report_body(report)
    self_points = {row.indicator_id: row.points for row in body.self_assessment if row.indicator_id}
    points: dict[int, list[Decimal]] = defaultdict(list)
    hits: Counter[int] = Counter()
    reviewers: set[int] = set()
    if assignment.submitted_at is not None:
        for assignment_id, indicator_id, value, vetoed in _submitted_points(report):
            reviewers.add(assignment_id)
            points[indicator_id].append(value)
            hits[indicator_id] += vetoed
    rows = [
        IndicatorRow(
            indicator=indicator,
            own=scores.get(indicator.pk),
            mean=(
                scoring.rounded(scoring.reviewers_mean(points[indicator.pk], trim=cycle.trim_extremes))
                if reviewers and indicator.kind != IndicatorKind.VETO
                else None
            ),
            veto_hits=hits[indicator.pk],
            self_points=self_points.get(indicator.pk, ""),
        )
        for indicator in indicators
    ]
    return ScoringPage(
        assignment=assignment,
        body=body,
        groups=scoring_groups(rows),
        scores=scores,
        reviewers_submitted=len(reviewers),
    )


def indicator_specs(indicators: list[Indicator]) -> list[scoring.IndicatorSpec]:
    return [scoring.IndicatorSpec(id=item.pk, kind=item.kind, max_points=item.max_points) for item in indicators]


@dataclass
class ReviewerScores:
    assignment: ReviewerAssignment
    points: list[Decimal | bool | None]
    """Per indicator in rubric order: the points, None where left empty; for a veto indicator whether it was hit."""
    vetoed: bool
    total: Decimal
    """This reviewer's own 述职评议 score on 0..100."""


@dataclass
class Assessment:
    report: DutyReport
    body: ReportBody
    indicators: list[Indicator]
    reviewers: list[ReviewerScores]
    pending: list[ReviewerAssignment]
    means: list[Decimal | None]
    review_score: Decimal | None
    vetoed: bool
    ballots: BallotStanding
    responsibility_list: ResponsibilityList | None
    problems: list[Problem]

    @property
    def completion_rate(self) -> int:
        return self.responsibility_list.completion_rate if self.responsibility_list else 0

    @property
    def daily_score(self) -> Decimal | None:
        """The daily component: the committee's score when it set one, otherwise the list's completion rate;
        None without either (no list, or a list with nothing required): no data, never 0."""
        places = self.report.cycle.score_places
        if self.report.daily_score is not None:
            return scoring.rounded(self.report.daily_score, places)
        if self.responsibility_list is None or not self.responsibility_list.required_total:
            return None
        return scoring.rounded(Decimal(self.completion_rate), places)

    @property
    def indicator_rows(self) -> list[tuple[Indicator, list[Decimal | bool | None], Decimal | None]]:
        """Per indicator: each submitted reviewer's points (in reviewer order) and the mean."""
        return [
            (indicator, [reviewer.points[index] for reviewer in self.reviewers], self.means[index])
            for index, indicator in enumerate(self.indicators)
        ]


def report_assessment(report: DutyReport) -> Assessment:
    """Everything the committee weighs for one report, in a fixed number of queries."""
    cycle = report.cycle
    indicators = list(cycle.indicators.all())
    assignments = list(
        ReviewerAssignment.objects.filter(report=report)
        .annotate(reviewer_supervises=services.reviewer_supervises())
        .select_related("reviewer")
        .order_by("submitted_at", "pk")
    )
    per_reviewer: dict[int, dict[int, Decimal]] = defaultdict(dict)
    vetoes: set[tuple[int, int]] = set()
    for assignment_id, indicator_id, value, hit in _submitted_points(report):
        per_reviewer[assignment_id][indicator_id] = value
        if hit:
            vetoes.add((assignment_id, indicator_id))
    specs = indicator_specs(indicators)
    reviewers = [
        ReviewerScores(
            assignment=assignment,
            points=[
                (assignment.pk, indicator.pk) in vetoes
                if indicator.kind == IndicatorKind.VETO
                else per_reviewer[assignment.pk].get(indicator.pk)
                for indicator in indicators
            ],
            vetoed=any(assignment_id == assignment.pk for assignment_id, _indicator in vetoes),
            total=scoring.review_score(
                specs,
                {key: [value] for key, value in per_reviewer[assignment.pk].items()},
                trim=False,
                places=cycle.score_places,
            ),
        )
        for assignment in assignments
        if assignment.submitted_at is not None
    ]
    pooled: dict[int, list[Decimal]] = defaultdict(list)
    for scores in per_reviewer.values():
        for indicator_id, value in scores.items():
            pooled[indicator_id].append(value)
    places = cycle.score_places
    means: list[Decimal | None] = [
        scoring.rounded(scoring.reviewers_mean(pooled[indicator.pk], trim=cycle.trim_extremes), places)
        if reviewers and indicator.kind != IndicatorKind.VETO
        else None
        for indicator in indicators
    ]
    return Assessment(
        report=report,
        body=report_body(report),
        indicators=indicators,
        reviewers=reviewers,
        pending=[assignment for assignment in assignments if assignment.submitted_at is None],
        means=means,
        review_score=scoring.review_score(specs, pooled, trim=cycle.trim_extremes, places=places)
        if reviewers
        else None,
        vetoed=bool(vetoes),
        ballots=ballot_standing(cycle, report.organization),
        responsibility_list=ResponsibilityList.objects.filter(
            organization=report.organization, year=cycle.year
        ).first(),
        problems=list(Problem.objects.filter(report=report).select_related("created_by")),
    )


# --- cycles: progress, ranking, exports, rubric templates --------------------------------


def cycles_q(user: Any, prefix: str = "") -> Q:
    """The cycles a user follows (see may_follow_cycle), as a filter; `prefix` reaches the cycle from another model."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(**{f"{prefix}organization__path__in": sorted(scope.manage_paths)}) | permissions.supervised_q(
        user, f"{prefix}organization__"
    )


def cycles_for(user: Any) -> QuerySet[Cycle]:
    """The cycles the user follows, newest first, with their report counts."""
    return (
        Cycle.objects.filter(cycles_q(user))
        .select_related("organization")
        .annotate(
            report_count=Count("reports", distinct=True),
            submitted_count=Count("reports", filter=Q(reports__status=DutyReport.Status.SUBMITTED), distinct=True),
        )
        .order_by("-year", "-id")
    )


def _count(rows: QuerySet[Any], key: str) -> Coalesce:
    """A correlated COUNT subquery: counts several relations side by side without multiplying rows."""
    counted = rows.order_by().values(key).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted), 0)


def cycle_progress(cycle: Cycle, *, status: str = "") -> QuerySet[DutyReport]:
    """Each participating organization's report with its reviewers, ballots and problems counted, in one query."""
    reports = cycle.reports.select_related("organization")
    if status:
        reports = reports.filter(status=status)
    same_report = {"report": OuterRef("pk")}
    same_organization = {"cycle": OuterRef("cycle"), "organization": OuterRef("organization")}
    return reports.annotate(
        reviewers_assigned=_count(ReviewerAssignment.objects.filter(**same_report), "report"),
        reviewers_submitted=_count(
            ReviewerAssignment.objects.filter(**same_report, submitted_at__isnull=False), "report"
        ),
        problem_count=_count(Problem.objects.filter(**same_report), "report"),
        ballots_cast=_count(SpentCode.objects.filter(**same_organization), "organization"),
        codes_issued=_count(BallotCode.objects.filter(**same_organization, voided_at__isnull=True), "organization"),
    ).order_by("organization__path")


@dataclass
class CycleSummary:
    """The head of the progress page: how far the whole cycle has come."""

    reports: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    assignments: int = 0
    assignments_submitted: int = 0
    codes: int = 0
    ballots: int = 0
    """Codes spent: the turnout, which is all anyone sees of the ballots while the window is open."""
    problems: int = 0

    def status_count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def draft(self) -> int:
        return self.status_count(DutyReport.Status.DRAFT)

    @property
    def submitted(self) -> int:
        return self.status_count(DutyReport.Status.SUBMITTED)

    @property
    def returned(self) -> int:
        return self.status_count(DutyReport.Status.RETURNED)


def cycle_summary(cycle: Cycle) -> CycleSummary:
    """Counts over the whole cycle (four queries, whatever its size)."""
    by_status = dict(cycle.reports.order_by().values_list("status").annotate(total=Count("pk")))
    assignments = ReviewerAssignment.objects.filter(report__cycle=cycle).aggregate(
        total=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False))
    )
    codes = BallotCode.objects.filter(cycle=cycle, voided_at__isnull=True).aggregate(total=Count("pk"))
    # The ballots and the problems in one more query, as subqueries on the cycle row.
    others = (
        Cycle.objects.filter(pk=cycle.pk)
        .annotate(
            ballot_total=_count(SpentCode.objects.filter(cycle=OuterRef("pk")), "cycle"),
            problem_total=_count(Problem.objects.filter(report__cycle=OuterRef("pk")), "report__cycle"),
        )
        .values("ballot_total", "problem_total")
        .get()
    )
    return CycleSummary(
        reports=sum(by_status.values()),
        by_status=by_status,
        assignments=assignments["total"],
        assignments_submitted=assignments["submitted"],
        codes=codes["total"],
        ballots=others["ballot_total"],
        problems=others["problem_total"],
    )


def reviewer_candidates(cycle: Cycle) -> QuerySet[User]:
    """Who may review the cycle's reports: its committee's leading roles and those granted supervision over it."""
    organization = cycle.organization
    paths = [*organization.ancestor_paths(), organization.path]
    leaders = (
        Position.objects.current().filter(organization=organization).exclude(role=Position.Role.MEMBER).values("person")
    )
    user_grants = OrganizationUserObjectPermission.objects.filter(
        permission__codename=permissions.SUPERVISE_CODENAME, content_object__path__in=paths
    ).values("user")
    group_grants = OrganizationGroupObjectPermission.objects.filter(
        permission__codename=permissions.SUPERVISE_CODENAME, content_object__path__in=paths
    ).values("group")
    chosen = Q(pk__in=leaders) | Q(pk__in=user_grants) | Q(groups__in=group_grants)
    return User.objects.filter(chosen, is_active=True).distinct().order_by("full_name", "username")


def reviewer_table(cycle: Cycle) -> QuerySet[DutyReport]:
    """The cycle's reports with their reviewers, each marked whether they may still score (two queries a page)."""
    assignments = (
        ReviewerAssignment.objects.select_related("reviewer")
        .annotate(reviewer_supervises=services.reviewer_supervises())
        .order_by("reviewer__full_name", "pk")
    )
    return (
        cycle.reports.select_related("organization")
        .prefetch_related(Prefetch("assignments", queryset=assignments))
        .order_by("organization__path")
    )


def _pending_reports(cycle: Cycle, viewer: Any) -> set[int]:
    """Reports the viewer has still to score: the others' scores stay hidden from them until they submit."""
    if not getattr(viewer, "is_authenticated", False):
        return set()
    return set(
        ReviewerAssignment.objects.filter(report__cycle=cycle, reviewer=viewer, submitted_at__isnull=True).values_list(
            "report_id", flat=True
        )
    )


@dataclass(frozen=True)
class ClosingNoteLine:
    gap: str
    reason: str

    @property
    def gap_label(self) -> str:
        return str(GapKind(self.gap).label) if self.gap in GapKind.values else self.gap


@dataclass(frozen=True)
class RankingRow:
    rank: int | None
    """None for a 待定 grade, and for a report hidden from the viewer."""
    report: DutyReport
    daily_score: Decimal | None
    """None: the component had no data (never 0); see `missing` and `weights`."""
    review_score: Decimal | None
    ballot_score: Decimal | None
    composite: Decimal | None
    grade: str
    grade_reason: str
    classification: str
    ballots_valid: int
    ballots_published: bool
    reviewers: int
    weights: dict[str, str]
    notes: list[ClosingNoteLine]
    hidden: bool = False
    """The viewer still has to score this report: none of its review figures are shown to them yet."""
    turnout: int | None = None
    """While the ballot window is open: how many codes were spent (the only ballot figure anyone sees)."""
    missing: tuple[str, ...] = ()

    @property
    def organization(self) -> Organization:
        return self.report.organization

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label)

    @property
    def reason_label(self) -> str:
        return str(GradeRule(self.grade_reason).label) if self.grade_reason in GradeRule.values else ""

    @property
    def classification_label(self) -> str:
        return str(Classification(self.classification).label)

    @property
    def weights_label(self) -> str:
        """The weights applied, e.g. "日常考核 57.1% · 述职评议 42.9%"; empty when no composite was made."""
        return " · ".join(f"{Component(name).label} {weight}%" for name, weight in self.weights.items())

    @property
    def missing_labels(self) -> list[str]:
        """The weighted components that had no data (their weight went to the others, or the grade is 待定)."""
        return [str(Component(name).label) for name in self.missing]


RANKING_FIGURES = (
    "rank",
    "daily_score",
    "review_score",
    "ballot_score",
    "composite",
    "grade",
    "grade_reason",
    "classification",
    "ballots_valid",
    "ballots_published",
    "reviewers",
    "weights",
)
# The stored figures as the cycle rounds them (Result keeps two places).
SHOWN = {
    "daily_score": "shown_daily",
    "review_score": "shown_review",
    "ballot_score": "shown_ballot",
    "composite": "shown_composite",
}


def _notes(stored: Iterable[dict[str, str]]) -> list[ClosingNoteLine]:
    return [ClosingNoteLine(note.get("gap", ""), note.get("reason", "")) for note in stored]


SCORE_OF: dict[str, str] = {
    Component.DAILY: "daily_score",
    Component.REVIEW: "review_score",
    Component.BALLOT: "ballot_score",
}


def _missing(cycle: Cycle, figures: Any) -> tuple[str, ...]:
    """The components the cycle weighs that have no data in FIGURES (a Result or a computed row)."""
    read = figures.get if isinstance(figures, dict) else lambda name: getattr(figures, name)
    return tuple(
        name for name, weight in services.cycle_weights(cycle).items() if weight and read(SCORE_OF[name]) is None
    )


def cycle_ranking(cycle: Cycle, viewer: Any) -> list[RankingRow]:
    """The ranking: a closed cycle's stored results, an open cycle's provisional figures, a draft's none.

    Provisional figures show the viewer nothing they may not yet see: reports they have still to score
    are listed without figures and left out of the ranks, and while the ballot window is open ballots
    count for nobody (turnout only), so a vote never moves a figure on this page.
    """
    if cycle.status == Cycle.Status.CLOSED:
        results = Result.objects.filter(report__cycle=cycle).select_related("report__organization", "report__cycle")
        ranked = [
            RankingRow(
                report=result.report,
                notes=_notes(result.notes),
                missing=_missing(cycle, result),
                **{name: getattr(result, SHOWN.get(name, name)) for name in RANKING_FIGURES},
            )
            for result in results
        ]
        return sorted(ranked, key=_ranking_order)
    if cycle.status != Cycle.Status.OPEN:
        return []
    pending = _pending_reports(cycle, viewer)
    computed = services.compute_results(cycle)
    visible = [row for row in computed if row["report"].pk not in pending]
    ranks = scoring.competition_ranks(
        [
            None if row["grade"] == Grade.PENDING else (scoring.tier(row["grade_reason"]), row["composite"])
            for row in visible
        ]
    )
    rank_of = {row["report"].pk: rank for row, rank in zip(visible, ranks, strict=True)}
    turnout = None if services.ballot_window_closed(cycle) else _turnout(cycle)[0]
    rows = []
    for row in computed:
        hidden = row["report"].pk in pending
        figures = {name: row[name] for name in RANKING_FIGURES}
        figures["rank"] = rank_of.get(row["report"].pk)
        rows.append(
            RankingRow(
                report=row["report"],
                notes=[],
                hidden=hidden,
                turnout=None if turnout is None else turnout.get(row["report"].organization_id, 0),
                missing=_missing(cycle, row),
                **figures,
            )
        )
    return sorted(rows, key=_ranking_order)


def _ranking_order(row: RankingRow) -> tuple[bool, int, str]:
    """Ranked rows by rank; then the unranked (待定, or hidden from the viewer) by organization."""
    return (row.rank is None, row.rank or 0, row.organization.path)


@dataclass(frozen=True)
class Tally:
    value: str
    label: str
    count: int


def ranking_distribution(rows: list[RankingRow]) -> tuple[list[Tally], list[Tally]]:
    """How many reports earned each grade and each class, counting only the rows the viewer may see."""
    shown = [row for row in rows if not row.hidden]
    grades = Counter(row.grade for row in shown)
    classes = Counter(row.classification for row in shown)
    return (
        [Tally(value, str(label), grades.get(value, 0)) for value, label in Grade.choices],
        [Tally(value, str(label), classes.get(value, 0)) for value, label in Classification.choices],
    )


def submitted_scores(cycle: Cycle, viewer: Any) -> QuerySet[Score]:
    """Every submitted reviewer's points per indicator, except on reports the viewer has still to score."""
    pending = ReviewerAssignment.objects.filter(
        report__cycle=cycle, reviewer_id=getattr(viewer, "pk", None), submitted_at__isnull=True
    ).values("report")
    return (
        Score.objects.filter(assignment__report__cycle=cycle, assignment__submitted_at__isnull=False)
        .exclude(assignment__report__in=pending)
        .select_related("assignment__reviewer", "assignment__report__organization", "indicator")
        .order_by(
            "assignment__report__organization__path",
            "assignment__reviewer__full_name",
            "assignment__reviewer_id",
            "indicator__order",
            "indicator_id",
        )
    )


# --- ballots: codes, turnout, and the counts once the window has closed ----------------


@dataclass(frozen=True)
class RatingCount:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class BallotStanding:
    """What anyone may know of an organization's 民主测评: turnout while the window is open; afterwards the
    counts and score, but only with at least the cycle's minimum of valid ballots."""

    cast: int
    issued: int
    window_closed: bool
    minimum: int
    counts: list[RatingCount] | None = None
    """None while the window is open or below the minimum: ratings are not published then."""
    score: Decimal | None = None

    @property
    def published(self) -> bool:
        return self.counts is not None

    @property
    def valid(self) -> int:
        return sum(count.count for count in self.counts or ())

    @property
    def poor(self) -> int:
        return next((count.count for count in self.counts or () if count.value == Rating.POOR), 0)


def _standing(cycle: Cycle, *, cast: int, issued: int, counts: services.BallotCounts | None) -> BallotStanding:
    closed = services.ballot_window_closed(cycle)
    if not services.ballots_published(cycle, counts) or counts is None:
        return BallotStanding(cast=cast, issued=issued, window_closed=closed, minimum=cycle.min_ballots)
    return BallotStanding(
        cast=cast,
        issued=issued,
        window_closed=closed,
        minimum=cycle.min_ballots,
        counts=[RatingCount(value, str(label), counts.counts.get(value, 0)) for value, label in Rating.choices],
        score=scoring.ballot_score(counts.counts, services.cycle_points(cycle), cycle.score_places),
    )


def _turnout(cycle: Cycle) -> tuple[dict[int, int], dict[int, int]]:
    """Per organization: codes spent and codes issued (not voided). Counts only: nothing says which code."""
    cast = dict(
        SpentCode.objects.filter(cycle=cycle)
        .values("organization_id")
        .annotate(total=Count("pk"))
        .values_list("organization_id", "total")
    )
    issued = dict(
        BallotCode.objects.filter(cycle=cycle, voided_at__isnull=True)
        .values("organization_id")
        .annotate(total=Count("pk"))
        .values_list("organization_id", "total")
    )
    return cast, issued


def ballot_standing(cycle: Cycle, organization: Organization) -> BallotStanding:
    """One organization's 民主测评 as its viewers may see it (a fixed number of queries)."""
    cast = SpentCode.objects.filter(cycle=cycle, organization=organization).count()
    issued = BallotCode.objects.filter(cycle=cycle, organization=organization, voided_at__isnull=True).count()
    counts = (
        services.ballot_counts(cycle, [organization.pk]).get(organization.pk)
        if services.ballot_window_closed(cycle)
        else None
    )
    return _standing(cycle, cast=cast, issued=issued, counts=counts)


@dataclass
class BallotBatchRow:
    """One printed batch of an organization's codes."""

    number: int
    count: int
    reason: str
    printed_count: int


@dataclass
class BallotFigures:
    """A participating organization's codes and turnout (and, once published, its counts)."""

    organization: Organization
    members: int = 0
    issued: int = 0
    voided: int = 0
    batches: list[BallotBatchRow] = field(default_factory=list)
    standing: BallotStanding | None = None


def ballot_overview(cycle: Cycle) -> list[BallotFigures]:
    """Per participating organization: members on record, codes issued and voided, turnout, batches (fixed queries)."""
    rows = {
        report.organization_id: BallotFigures(report.organization)
        for report in cycle.reports.select_related("organization").order_by("organization__path")
    }
    members = (
        Position.objects.current()
        .filter(organization__in=list(rows))
        .values("organization_id")
        .annotate(total=Count("person", distinct=True))
        .values_list("organization_id", "total")
    )
    for organization_id, total in members:
        rows[organization_id].members = total
    for batch in BallotBatch.objects.filter(cycle=cycle).order_by("organization_id", "number"):
        row = rows.get(batch.organization_id)
        if row is not None:
            row.batches.append(BallotBatchRow(batch.number, batch.count, batch.reason, batch.printed_count))
    voided = (
        BallotCode.objects.filter(cycle=cycle, voided_at__isnull=False)
        .values("organization_id")
        .annotate(total=Count("pk"))
        .values_list("organization_id", "total")
    )
    for organization_id, total in voided:
        if organization_id in rows:
            rows[organization_id].voided = total
    cast, issued = _turnout(cycle)
    counts = services.ballot_counts(cycle) if services.ballot_window_closed(cycle) else {}
    for organization_id, row in rows.items():
        row.issued = issued.get(organization_id, 0)
        row.standing = _standing(
            cycle, cast=cast.get(organization_id, 0), issued=row.issued, counts=counts.get(organization_id)
        )
    return list(rows.values())


def ballot_batch_codes(cycle: Cycle, organization_pk: Any, batch: int) -> list[BallotCode]:
    """One batch of an organization's codes with the organization, for the printable sheet (one query)."""
    return list(
        BallotCode.objects.filter(cycle=cycle, organization_id=organization_pk, batch=batch)
        .select_related("organization")
        .order_by("code")
    )


def ballot_code_exists(code: str) -> bool:
    return BallotCode.objects.filter(code=code).exists()


@dataclass(frozen=True)
class VoteSubject:
    """What a voter sees before rating: the cycle, the organization and its secretary (the person rated).

    Whether the code was used is not part of it: the ballot form looks the same for a spent code, so
    whoever holds a printed sheet cannot find out which slips have voted; only casting says so.
    """

    code: str
    cycle: Cycle
    organization: Organization
    secretary_name: str
    is_void: bool


def vote_subject(code: str) -> VoteSubject | None:
    """The ballot code's cycle, organization and secretary; None for an unknown code (two queries)."""
    ballot_code = BallotCode.objects.select_related("cycle", "organization").filter(code=code).first()
    if ballot_code is None:
        return None
    secretary = Position.objects.secretary_of(ballot_code.organization)
    return VoteSubject(
        code=ballot_code.code,
        cycle=ballot_code.cycle,
        organization=ballot_code.organization,
        secretary_name=secretary.get_full_name() if secretary else "",
        is_void=ballot_code.is_void,
    )


# --- the whole report, for its page and its PDF ------------------------------------


@dataclass(frozen=True)
class ReportDocument:
    """Everything a duty report says, as the PDF of a later issue prints it: one place to read it from."""

    report: DutyReport
    cycle: Cycle
    organization: Organization
    body: ReportBody
    facts: ReportFacts
    versions: list[ReportVersion]
    result: Result | None
    """Only once the cycle is closed; before that the committee's figures are not the organization's to see."""
    comment: str
    problems: list[Problem]


def report_document(report: DutyReport) -> ReportDocument:
    """The report's text, facts, versions and, after closing, its result, comment and problems (fixed queries)."""
    report = DutyReport.objects.select_related("cycle", "organization").get(pk=report.pk)
    closed = report.cycle.is_closed
    result = Result.objects.filter(report=report).first() if closed else None
    return ReportDocument(
        report=report,
        cycle=report.cycle,
        organization=report.organization,
        body=report_body(report),
        facts=report_facts(report),
        versions=report_versions(report),
        result=result,
        comment=report.comment if closed else "",
        problems=list(report.problems.order_by("order", "id")) if closed else [],
    )
