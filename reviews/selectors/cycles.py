"""Reads of a cycle: the cycles a person follows, progress organization by organization, the reviewers' table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts import permissions
from accounts.models import (
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
    Position,
    User,
)
from accounts.permissions import scope_for
from reviews import services
from reviews.models import (
    BallotCode,
    Cycle,
    DutyReport,
    Problem,
    ReviewerAssignment,
    SpentCode,
)


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
