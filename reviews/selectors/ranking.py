"""The ranking: final once closed, provisional while open, with the committee's closing notes and the
submitted scores (the others' hidden from a reviewer who has still to score)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from accounts.models import (
    Organization,
)
from reviews import scoring, services
from reviews.models import (
    Classification,
    Component,
    Cycle,
    DutyReport,
    GapKind,
    Grade,
    GradeRule,
    Result,
    ReviewerAssignment,
    Score,
)
from reviews.selectors.ballots import _turnout


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
