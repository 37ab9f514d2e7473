"""Reads of the committee's 整改督办: the board and its figures, 问题清单, the ledger (整改台账), 党务公开."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr

from accounts.figures_cache import cached_figures
from accounts.models import Organization, User
from accounts.permissions import scope_key, supervised_q
from rectification import rules, services
from rectification.models import (
    Disclosure,
    Finding,
    RectificationTask,
    TaskEvent,
)
from reviews.models import DutyReport, Problem

RECENT_RECURRING = 10
"""How many recurring findings the board's "at a glance" panel shows (and as many links waiting for a word)."""
CONFIRMED = Finding.Recurrence.CONFIRMED
SUGGESTED = Finding.Recurrence.SUGGESTED


@dataclass(frozen=True)
class BoardFilters:
    """The board's and the ledger's filters; an empty value filters nothing."""

    year: int
    all_years: bool = False
    """Every year's tasks: what waits for acceptance is not only this year's."""
    status: str = ""
    """A task status, or OPEN_STATUS for every task not yet closed."""
    overdue: bool = False
    escalated: bool = False
    weak: bool = False
    recurring: bool = False
    source: str = ""
    sector: str = ""


OPEN_STATUS = "open"


@dataclass
class BoardFigures:
    """Counts over a set of tasks (and their organizations' recurring findings) for one year."""

    tasks: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    awaiting_acceptance: int = 0
    accepted: int = 0
    weak: int = 0
    recurring_findings: int = 0

    def add(self, other: BoardFigures) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def _open_q() -> Q:
    return ~Q(status=RectificationTask.Status.ACCEPTED)


def overdue_q(today: date) -> Q:
    """Open past its deadline: rules.escalation is at least RESPONSIBLE."""
    return _open_q() & Q(deadline__lt=today)


def escalated_q(today: date, limits: rules.Limits) -> Q:
    """督办: rules.escalation reached COMMITTEE, or the committee put it under supervision."""
    return Q(supervised=True) | (_open_q() & Q(deadline__lte=today - timedelta(days=limits.committee_after)))


def weak_q(today: date, limits: rules.Limits) -> Q:
    """整改不力 exactly as rules.is_weak judges it."""
    too_late = _open_q() & Q(deadline__lte=today - timedelta(days=limits.weak_after))
    return Q(returned_count__gte=limits.weak_returns) | too_late


def _in_subtrees(roots: Sequence[Organization], prefix: str = "organization__") -> Q:
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(**{f"{prefix}path__startswith": root.path})
    return condition


def _confirmed_q(prefix: str = "") -> Q:
    """年年是问题: a link to an earlier finding the committee confirmed (a suggested one counts nowhere yet)."""
    return Q(**{f"{prefix}recurring_of__isnull": False, f"{prefix}recurring_state": CONFIRMED})


def _recurring_exists() -> Exists:
    return Exists(Finding.objects.filter(_confirmed_q(), task=OuterRef("pk")))


def board_tasks(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """The supervised tasks of the roots' subtrees for the year, filtered; unordered and without joins."""
    tasks = RectificationTask.objects.filter(_in_subtrees(roots), supervised_q(user, "organization__")).order_by()
    if not filters.all_years:
        tasks = tasks.filter(year=filters.year)
    if filters.status == OPEN_STATUS:
        tasks = tasks.filter(_open_q())
    elif filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.overdue:
        tasks = tasks.filter(overdue_q(today))
    if filters.escalated:
        tasks = tasks.filter(escalated_q(today, limits))
    if filters.weak:
        tasks = tasks.filter(weak_q(today, limits))
    if filters.recurring:
        tasks = tasks.filter(_recurring_exists())
    if filters.source:
        tasks = tasks.filter(Exists(Finding.objects.filter(task=OuterRef("pk"), source=filters.source)))
    if filters.sector:
        tasks = tasks.filter(organization__sector=filters.sector)
    return tasks


def board_table(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """The board's task table: open work first, the most urgent deadline first; one query a page."""
    closed_last = Case(When(status=RectificationTask.Status.ACCEPTED, then=Value(1)), default=Value(0))
    return (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .select_related("organization", "responsible")
        .annotate(
            has_recurring=_recurring_exists(),
            closed_last=closed_last,
            responsible_in_office=services.responsible_in_office(),
        )
        .order_by("closed_last", "deadline", "organization__path", "id")
    )


def _group_key(roots: Sequence[Organization], field: str = "organization__path") -> Any:
    if len(roots) == 1:
        # One root: its own row plus one group per child subtree.
        return Substr(field, 1, len(roots[0].path) + Organization.steplen)
    lengths = {len(root.path) for root in roots}
    if len(lengths) == 1:
        return Substr(field, 1, lengths.pop())
    whens = [When(**{f"{field}__startswith": root.path}, then=Value(root.path)) for root in roots]
    return Case(*whens, default=Value(""))


def board_figures_cached(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> dict[str, BoardFigures]:
    """board_figures_by_group, cached while no task or finding under the roots changes (BOARD_CACHE_SECONDS at most)."""
    # The scope is in the key: figures counted under a position that has since ended are never shown.
    key = "board:{}:{}:{}:{}:{}:{}".format(
        user.pk,
        scope_key(user),
        ",".join(str(root.pk) for root in roots),
        repr(filters),
        today.isoformat(),
        repr(limits),
    )
    figures, _hit = cached_figures(
        services.FIGURES_AREA,
        roots,
        hashlib.sha256(key.encode()).hexdigest(),
        settings.BOARD_CACHE_SECONDS,
        lambda: board_figures_by_group(user, roots, filters, today=today, limits=limits),
    )
    return figures


def board_figures_by_group(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> dict[str, BoardFigures]:
    """Figures per group path (per child subtree for one root, per root for several) in two GROUP BY queries."""
    if not roots:
        return {}
    Status = RectificationTask.Status
    rows = (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .values(group=_group_key(roots))
        .annotate(
            tasks=Count("id"),
            open=Count("id", filter=_open_q()),
            overdue=Count("id", filter=overdue_q(today)),
            escalated=Count("id", filter=escalated_q(today, limits)),
            awaiting_acceptance=Count("id", filter=Q(status=Status.AWAITING_ACCEPTANCE)),
            accepted=Count("id", filter=Q(status=Status.ACCEPTED)),
            weak=Count("id", filter=weak_q(today, limits)),
        )
        .order_by()
    )
    groups = {}
    for row in rows:
        values = cast(dict[str, Any], row)
        group = values.pop("group")
        groups[group] = BoardFigures(**values)
    for group, count in recurring_counts_by_group(user, roots, filters).items():
        groups.setdefault(group, BoardFigures()).recurring_findings = count
    return groups


def _board_findings(user: Any, roots: Sequence[Organization], filters: BoardFilters) -> QuerySet[Finding]:
    findings = Finding.objects.filter(_in_subtrees(roots), supervised_q(user, "organization__"))
    if filters.source:
        findings = findings.filter(source=filters.source)
    if filters.sector:
        findings = findings.filter(organization__sector=filters.sector)
    return findings


def recurring_counts_by_group(user: Any, roots: Sequence[Organization], filters: BoardFilters) -> dict[str, int]:
    """Recurring findings (confirmed links) of the year per group path, like board_figures_by_group groups tasks."""
    findings = _board_findings(user, roots, filters).filter(_confirmed_q())
    if not filters.all_years:
        findings = findings.filter(year=filters.year)
    rows = findings.values(group=_group_key(roots)).annotate(count=Count("id")).order_by()
    return {row["group"]: row["count"] for row in rows}


def recent_recurring_findings(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, limit: int = RECENT_RECURRING
) -> list[Finding]:
    """年年提问题、年年是问题 at a glance: the latest confirmed recurring findings with the earlier one they repeat."""
    return list(
        _board_findings(user, roots, filters)
        .filter(_confirmed_q())
        .select_related("organization", "category", "recurring_of")
        .order_by("-year", "-created_at", "-id")[:limit]
    )


def recurrence_suggestions(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, limit: int = RECENT_RECURRING
) -> list[Finding]:
    """The latest findings worded like an earlier year's, waiting for the committee's 确认 or 不是同一问题."""
    return list(
        _board_findings(user, roots, filters)
        .filter(recurring_of__isnull=False, recurring_state=SUGGESTED)
        .select_related("organization", "category", "recurring_of")
        .order_by("-year", "-created_at", "-id")[:limit]
    )


def group_organizations(paths: Iterable[str]) -> dict[str, Organization]:
    """The organizations heading the board's groups, by path, in one query."""
    return {organization.path: organization for organization in Organization.objects.filter(path__in=sorted(paths))}


@dataclass(frozen=True)
class FindingFilters:
    year: int | None = None
    source: str = ""
    recurring: bool = False
    without_task: bool = False


def supervised_findings(user: Any, filters: FindingFilters) -> QuerySet[Finding]:
    """问题清单: findings in what the user supervises, by organization then newest first."""
    findings = Finding.objects.filter(supervised_q(user, "organization__"))
    if filters.year:
        findings = findings.filter(year=filters.year)
    if filters.source:
        findings = findings.filter(source=filters.source)
    if filters.recurring:
        findings = findings.filter(_confirmed_q())
    if filters.without_task:
        findings = findings.filter(task__isnull=True)
    return findings.select_related("organization", "category", "recurring_of", "task").order_by(
        "organization__path", "-year", "-created_at", "-id"
    )


FINDING_ORGANIZATIONS_LISTED = 300
"""How many supervised organizations the new-finding page lists; beyond that one types the code."""


def finding_organization_choices(user: Any, limit: int = FINDING_ORGANIZATIONS_LISTED) -> list[Organization]:
    """Active organizations the user supervises, in tree order, to raise a finding on."""
    return list(Organization.objects.filter(supervised_q(user), is_active=True).order_by("path")[:limit])


def current_people_of(organization: Organization) -> QuerySet[User]:
    """The people holding a current position in the organization: who may answer for its task."""
    return (
        User.objects.filter(positions__organization=organization, positions__is_current=True, is_active=True)
        .distinct()
        .order_by("full_name", "id")
    )


def findings_by_ids(ids: Iterable[int]) -> list[Finding]:
    """The findings chosen for a new task, with their organizations (callers check permissions)."""
    return list(Finding.objects.filter(pk__in=list(ids)).select_related("organization", "category").order_by("id"))


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    finding: Finding | None
    """The finding the problem already became, if any."""


def report_problems(report: DutyReport) -> list[ProblemLine]:
    """A review's problems, each with the finding it already became (two queries)."""
    findings = Finding.objects.filter(problem__report=report).select_related("category", "task")
    by_problem = {finding.problem_id: finding for finding in findings}
    return [ProblemLine(problem, by_problem.get(problem.pk)) for problem in report.problems.order_by("order", "id")]


def _findings_in_order() -> Prefetch:
    return Prefetch("findings", queryset=Finding.objects.order_by("id"))


def ledger_tasks(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """整改台账: the board's tasks with their findings and latest progress text; two queries a chunk."""
    progress = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.PROGRESS)
    latest_progress = progress.order_by("-at", "-id").values("text")
    return (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .select_related("organization", "responsible")
        .annotate(latest_progress=Subquery(latest_progress[:1]))
        .prefetch_related(_findings_in_order())
        .order_by("organization__path", "deadline", "id")
    )


def disclosure_of(organization: Organization, year: int) -> Disclosure | None:
    return Disclosure.objects.filter(organization=organization, year=year).first()


def disclosed_tasks(organization: Organization, year: int) -> list[RectificationTask]:
    """An organization's tasks of a year with their findings, as the public page and its preview show them."""
    return list(
        organization.rectification_tasks.filter(year=year)
        .select_related("responsible")
        .prefetch_related(_findings_in_order())
        .order_by("deadline", "id")
    )


def published_disclosure(code: str, year: int) -> Disclosure | None:
    """A published rectification list of an active organization, or None."""
    return (
        Disclosure.objects.filter(organization__code=code, year=year, organization__is_active=True)
        .select_related("organization")
        .first()
    )


def published_disclosures() -> QuerySet[Disclosure]:
    """党务公开: every published rectification list, newest year first."""
    return (
        Disclosure.objects.filter(organization__is_active=True)
        .select_related("organization")
        .order_by("-year", "organization__path")
    )
