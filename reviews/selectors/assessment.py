"""Reads of scoring and assessment: the reviewer's queue and scoring page, the committee's view of one report."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet

from accounts import permissions
from accounts.models import (
    User,
)
from meetings.models import LifeYear, Meeting
from responsibility.models import DutyRecord, ResponsibilityList
from reviews import scoring, services
from reviews.models import (
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    Problem,
    ReportVersion,
    ReviewerAssignment,
    Score,
    SelfAssessment,
)
from reviews.selectors.ballots import BallotStanding, ballot_standing


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
    meetings: tuple[RecordLink, ...] = ()
    """The held meetings cited as evidence (一次录入，多处使用), labelled by date, kind and topic."""


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
    """The submitted sections (sanitized HTML) and self-assessment with its cited records and meetings; at most
    four queries."""
    titles = report.cycle.section_titles()
    if report.status == DutyReport.Status.SUBMITTED:
        assessments = (
            SelfAssessment.objects.filter(report=report)
            .select_related("indicator")
            .prefetch_related(
                Prefetch("records", queryset=DutyRecord.objects.order_by("occurred_on", "pk")),
                Prefetch("meetings", queryset=Meeting.objects.select_related("kind").order_by("held_on", "pk")),
            )
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
                    meetings=tuple(
                        RecordLink(meeting.pk, f"{meeting.held_on:%Y-%m-%d} {meeting.kind.name}：{meeting.topic[:30]}")
                        for meeting in assessment.meetings.all()
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
                meetings=tuple(RecordLink(pk, f"#{pk}") for pk in row.get("meetings", [])),
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
    life: LifeYear | None = None
    """The organization's year of meetings, read only when the cycle gives organizational life a share."""

    @property
    def completion_rate(self) -> int:
        return self.responsibility_list.completion_rate if self.responsibility_list else 0

    @property
    def daily_score(self) -> Decimal | None:
        """The daily component: the committee's score when it set one, otherwise the list's completion rate
        blended with the year's organizational life by the cycle's rule (scoring.daily_blend); None without
        any of them: no data, never 0."""
        cycle = self.report.cycle
        places = cycle.score_places
        if self.report.daily_score is not None:
            return scoring.rounded(self.report.daily_score, places)
        completion = (
            Decimal(self.completion_rate)
            if self.responsibility_list is not None and self.responsibility_list.required_total
            else None
        )
        return scoring.daily_blend(completion, self.life_score, cycle.life_share, places)

    @property
    def life_score(self) -> Decimal | None:
        """组织生活 out of 100 by the cycle's rule; None when the cycle gives it no share or nothing was required."""
        cycle = self.report.cycle
        if not cycle.life_share or self.life is None:
            return None
        return scoring.life_score(
            required=self.life.required_total,
            held=self.life.held_total,
            late=self.life.late_periods,
            missed=self.life.missed_periods,
            late_deduction=cycle.life_late_deduction,
            missed_deduction=cycle.life_missed_deduction,
        )

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
        life=LifeYear.objects.filter(organization=report.organization, year=cycle.year).first()
        if cycle.life_share
        else None,
    )
