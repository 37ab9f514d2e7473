"""工作台: a committee's year over its subtree, in figures, per direct child organization.

Each block is one aggregate query grouped by the child's path prefix
(`substr(path, 1, len(root.path) + 4)`; one group per root when there are several
roots), so the cost does not depend on how many organizations lie below. The lists
block and the rectification block reuse the progress page's and the board's own
selectors, so the dashboard shows the same numbers as the pages it links to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Self

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.figures_cache import cached_figures
from accounts.models import Organization
from accounts.permissions import scope_key
from rectification import rules
from rectification.selectors import BoardFigures, BoardFilters, board_figures_by_group
from responsibility.models import DutyRecord
from responsibility.selectors import ProgressFigures, ProgressFilters, active_children_of, progress_by_group
from reviews.models import Cycle, DutyReport, Grade, Result, ReviewerAssignment


def percent(part: int, whole: int) -> int:
    """A whole percentage; 0 of nothing is 0%."""
    return round(100 * part / whole) if whole else 0


@dataclass
class _Figures:
    """Counts that add up over groups."""

    def add(self, other: Self) -> None:
        for name in (item.name for item in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RecordFigures(_Figures):
    """履责记实 of one month: those that count (not returned), how many organizations wrote any, what awaits review."""

    records: int = 0
    organizations: int = 0
    awaiting: int = 0


@dataclass
class ReportFigures(_Figures):
    """Duty reports of the year's open and closed cycles."""

    reports: int = 0
    submitted: int = 0
    returned: int = 0
    scored: int = 0
    """Reports with at least one reviewer's submitted scores."""

    @property
    def not_submitted(self) -> int:
        return self.reports - self.submitted

    @property
    def submission_rate(self) -> int:
        return percent(self.submitted, self.reports)


@dataclass
class GradeFigures(_Figures):
    """The final grades (Result) of the year's closed cycles, one count per Grade."""

    good: int = 0
    fair: int = 0
    average: int = 0
    poor: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.good + self.fair + self.average + self.poor + self.pending

    def pairs(self) -> list[tuple[str, int]]:
        """(label, count) in the order of the grades: 好, 较好, 一般, 差, 待定."""
        return [(str(label), getattr(self, value)) for value, label in Grade.choices]


@dataclass
class DashboardRow:
    """One line of the drill-down: the root itself, one direct child's subtree, or one root among several."""

    label: str
    organization: Organization | None
    """None on the totals line."""
    drill: bool
    lists: ProgressFigures = field(default_factory=ProgressFigures)
    records: RecordFigures = field(default_factory=RecordFigures)
    reports: ReportFigures = field(default_factory=ReportFigures)
    grades: GradeFigures = field(default_factory=GradeFigures)
    rectification: BoardFigures = field(default_factory=BoardFigures)

    @property
    def approval_rate(self) -> int:
        return percent(self.lists.approved, self.lists.organizations)

    @property
    def rectification_rate(self) -> int:
        return percent(self.rectification.accepted, self.rectification.tasks)


@dataclass
class Dashboard:
    year: int
    month: date
    """The first day of the month whose records are counted."""
    roots: list[Organization]
    rows: list[DashboardRow]
    total: DashboardRow | None
    """The rows summed; None when there is nothing to show."""
    computed_at: datetime | None = None
    """When the figures were counted: a cached dashboard says how old it is."""


def month_span(today: date) -> tuple[date, date]:
    """The first day of today's month and the first day of the next."""
    start = today.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def _in_subtrees(roots: Sequence[Organization], prefix: str) -> Q:
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(**{f"{prefix}path__startswith": root.path})
    return condition


def group_key(roots: Sequence[Organization], field_name: str) -> Any:
    """The group of a path: per direct child's subtree under one root (the root is its own group), else per root."""
    if len(roots) == 1:
        return Substr(field_name, 1, len(roots[0].path) + Organization.steplen)
    lengths = {len(root.path) for root in roots}
    if len(lengths) == 1:
        return Substr(field_name, 1, lengths.pop())
    whens = [When(**{f"{field_name}__startswith": root.path}, then=Value(root.path)) for root in roots]
    return Case(*whens, default=Value(""))


def _grouped(rows: Iterable[Any], figures: type[Any]) -> dict[str, Any]:
    """{group path: figures} from `values(group=...).annotate(...)` rows."""
    return {row.pop("group"): figures(**row) for row in rows}


def records_by_group(roots: Sequence[Organization], today: date) -> dict[str, RecordFigures]:
    """This month's duty records per group (one query)."""
    start, end = month_span(today)
    counting = ~Q(status=DutyRecord.Status.RETURNED)
    rows = (
        DutyRecord.objects.filter(_in_subtrees(roots, "organization__"), occurred_on__gte=start, occurred_on__lt=end)
        .values(group=group_key(roots, "organization__path"))
        .annotate(
            records=Count("id", filter=counting),
            organizations=Count("organization_id", filter=counting, distinct=True),
            awaiting=Count("id", filter=Q(status=DutyRecord.Status.SUBMITTED)),
        )
        .order_by()
    )
    return _grouped(rows, RecordFigures)


def reports_by_group(roots: Sequence[Organization], year: int) -> dict[str, ReportFigures]:
    """The year's duty reports per group, submitted and scored (one query).

    A draft cycle is left out: its organizations have not been asked for a report yet.
    """
    scored = Exists(ReviewerAssignment.objects.filter(report=OuterRef("pk"), submitted_at__isnull=False))
    rows = (
        DutyReport.objects.filter(
            _in_subtrees(roots, "organization__"),
            cycle__year=year,
            cycle__status__in=[Cycle.Status.OPEN, Cycle.Status.CLOSED],
        )
        .values(group=group_key(roots, "organization__path"))
        .annotate(
            reports=Count("id"),
            submitted=Count("id", filter=Q(status=DutyReport.Status.SUBMITTED)),
            returned=Count("id", filter=Q(status=DutyReport.Status.RETURNED)),
            scored=Count("id", filter=Q(scored)),
        )
        .order_by()
    )
    return _grouped(rows, ReportFigures)


def grades_by_group(roots: Sequence[Organization], year: int) -> dict[str, GradeFigures]:
    """The grades of the year's closed cycles per group (one query)."""
    rows = (
        Result.objects.filter(
            _in_subtrees(roots, "report__organization__"),
            report__cycle__year=year,
            report__cycle__status=Cycle.Status.CLOSED,
        )
        .values(group=group_key(roots, "report__organization__path"))
        .annotate(**{value: Count("id", filter=Q(grade=value)) for value in Grade.values})
        .order_by()
    )
    return _grouped(rows, GradeFigures)


def _row_heads(roots: Sequence[Organization]) -> list[tuple[str, Organization, bool]]:
    """(label, organization, drill) of each row: the root and its active direct children (one query), or the roots."""
    if len(roots) != 1:
        return [(root.name, root, True) for root in roots]
    root = roots[0]
    heads = [(_("本级（%(name)s）") % {"name": root.name}, root, False)]
    heads.extend((child.name, child, True) for child in active_children_of(root))
    return heads


def committee_dashboard(user: Any, roots: Sequence[Organization], *, year: int, today: date) -> Dashboard:
    """The dashboard over the roots' subtrees for a year: seven queries, whatever lies below.

    Rectification counts what the user supervises, exactly as the board does (a committee's
    own tasks are its superior's to follow).
    """
    start, _end = month_span(today)
    if not roots:
        return Dashboard(year=year, month=start, roots=[], rows=[], total=None)
    lists = progress_by_group(roots, ProgressFilters(year=year))
    records = records_by_group(roots, today)
    reports = reports_by_group(roots, year)
    grades = grades_by_group(roots, year)
    tasks = board_figures_by_group(
        user, roots, BoardFilters(year=year), today=today, limits=rules.Limits.from_settings()
    )
    rows = [
        DashboardRow(
            label,
            organization,
            drill,
            lists=lists.get(organization.path, ProgressFigures()),
            records=records.get(organization.path, RecordFigures()),
            reports=reports.get(organization.path, ReportFigures()),
            grades=grades.get(organization.path, GradeFigures()),
            rectification=tasks.get(organization.path, BoardFigures()),
        )
        for label, organization, drill in _row_heads(roots)
    ]
    total = DashboardRow(_("合计"), None, drill=False)
    for row in rows:
        total.lists.add(row.lists)
        total.records.add(row.records)
        total.reports.add(row.reports)
        total.grades.add(row.grades)
        total.rectification.add(row.rectification)
    return Dashboard(year=year, month=start, roots=list(roots), rows=rows, total=total)


def committee_dashboard_cached(user: Any, roots: Sequence[Organization], *, year: int, today: date) -> Dashboard:
    """The dashboard as counted at most DASHBOARD_CACHE_SECONDS ago for this person, roots, year and day.

    At province scale the seven aggregates read every record, report and task of the year
    (seconds, not milliseconds); a committee's figures move slowly, so a few minutes' lag
    (shown on the page) buys pages that answer at once. Per person: the rectification block
    counts what that person supervises, so the key holds their scope (`permissions.scope_key`): a position
    that ends or a grant revoked is counted afresh at once. Nothing marks this area changed: the time limit
    alone bounds the lag of the figures, and an unreachable cache counts afresh.
    """
    seconds = settings.DASHBOARD_CACHE_SECONDS

    def count() -> Dashboard:
        board = committee_dashboard(user, roots, year=year, today=today)
        if seconds > 0:  # only a kept dashboard has an age worth showing
            board.computed_at = timezone.now()
        return board

    # The scope is in the key: figures counted under a position that has since ended are never shown.
    key = "{}:{}:{}:{}:{}".format(
        user.pk, scope_key(user), ",".join(str(root.pk) for root in roots), year, today.isoformat()
    )
    return cached_figures("dashboard", roots, key, seconds, count)[0]
