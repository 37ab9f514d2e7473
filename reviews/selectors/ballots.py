"""Reads of 民主测评: codes, turnout, and the counts once the window has closed (never before)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count

from accounts.models import (
    Organization,
    Position,
)
from members import selectors as member_selectors
from reviews import scoring, services
from reviews.models import (
    BallotBatch,
    BallotCode,
    Cycle,
    Rating,
    SpentCode,
)


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
    for organization_id, total in member_selectors.on_record(list(rows)).items():
        rows[organization_id].members = total  # the roll, when the organization keeps one
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
