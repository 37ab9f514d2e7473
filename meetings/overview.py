"""The committee's view of organizational life across its subtree (组织生活统计): reads the pages and the export share.

Everything is summed from the stored year (LifeYear per organization, KindYear per organization and
kind, written by meetings.progress.refresh), grouped in the database by child subtree (one root) or by
root (several), as members.selectors.roll_figures groups the roll: the page takes the same number of
queries whatever the size of the tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Substr

from accounts.figures_cache import cached_figures
from accounts.models import Organization
from meetings.models import KindYear, LifeYear
from meetings.progress import LIFE_AREA
from responsibility.models import Light

SUMMED = {
    "required": "required_total",
    "held": "held_total",
    "late": "late_periods",
    "missed": "missed_periods",
    "meetings": "meetings_held",
    "expected": "expected_total",
    "present": "present_total",
    "members": "members",
    "unseen": "members_unseen",
    "migrants": "migrants",
    "unreached": "migrants_unreached",
}


@dataclass(frozen=True)
class KindColumn:
    """A kind of meeting some organization of the subtree missed or held late this year: one column of the pivot."""

    pk: int
    name: str
    order: int


@dataclass
class LifeFigures:
    """A year of organizational life summed over a set of organizations."""

    organizations: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    required: int = 0
    held: int = 0
    late: int = 0
    missed: int = 0
    meetings: int = 0
    expected: int = 0
    present: int = 0
    members: int = 0
    unseen: int = 0
    migrants: int = 0
    unreached: int = 0
    missed_by_kind: dict[int, int] = field(default_factory=dict)
    """Periods missed (ended without the meetings due) per kind id: which branches missed which meetings."""
    late_by_kind: dict[int, int] = field(default_factory=dict)

    @property
    def attendance_rate(self) -> int | None:
        """实到 over 应到 人次, in percent; None when nobody was expected."""
        return round(100 * self.present / self.expected) if self.expected else None

    @property
    def worst(self) -> str:
        """The worst light of any organization summed here (green when none has a year yet)."""
        if self.red:
            return Light.RED
        if self.yellow:
            return Light.YELLOW
        return Light.GREEN

    @property
    def worst_label(self) -> str:
        return str(Light(self.worst).label)

    def add(self, other: LifeFigures) -> None:
        for name in ("organizations", "red", "yellow", "green", *SUMMED):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.missed_by_kind, other.missed_by_kind), (self.late_by_kind, other.late_by_kind)):
            for kind_id, periods in theirs.items():
                mine[kind_id] = mine.get(kind_id, 0) + periods

    def missed_in(self, columns: Sequence[KindColumn]) -> list[int]:
        """The missed periods in the order of the pivot's columns."""
        return [self.missed_by_kind.get(column.pk, 0) for column in columns]


@dataclass
class LifeRow:
    organization: Organization
    label: str
    figures: LifeFigures
    drill: bool
    """A committee's row opens the same page for its subtree; a branch's opens its year of meetings."""
    own: bool = False
    """The root itself (its own meetings, not its subtree's)."""


@dataclass
class LifeOverview:
    year: int
    total: LifeFigures
    rows: list[LifeRow]
    kinds: list[KindColumn]

    def missed_cells(self) -> Iterator[tuple[LifeRow, list[int]]]:
        for row in self.rows:
            yield row, row.figures.missed_in(self.kinds)


def _in_subtrees(roots: Sequence[Organization]) -> Q:
    in_subtrees = Q(pk__in=[])
    for root in roots:
        in_subtrees |= Q(organization__path__startswith=root.path)
    return in_subtrees


def _group_key(roots: Sequence[Organization]) -> Any:
    if len(roots) == 1:
        # The root's own row (its path) and one group per child subtree (the child's path).
        return Substr("organization__path", 1, len(roots[0].path) + Organization.steplen)
    return Case(
        *(When(organization__path__startswith=root.path, then=Value(root.path)) for root in roots), default=Value("")
    )


def _grouped(roots: Sequence[Organization], year: int) -> tuple[dict[str, LifeFigures], list[KindColumn]]:
    """Two GROUP BY queries: the LifeYear sums per group, and KindYear's missed and late periods per group and kind."""
    where = _in_subtrees(roots) & Q(year=year, organization__is_active=True)
    sums: dict[str, Any] = {name: Coalesce(Sum(column), 0) for name, column in SUMMED.items()}
    rows = (
        LifeYear.objects.filter(where)
        .values(group=_group_key(roots))
        .annotate(
            organizations=Count("id"),
            red=Count("id", filter=Q(warning=Light.RED)),
            yellow=Count("id", filter=Q(warning=Light.YELLOW)),
            green=Count("id", filter=Q(warning=Light.GREEN)),
            **sums,
        )
        .order_by()
    )
    groups: dict[str, LifeFigures] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        group = str(values.pop("group"))
        groups[group] = LifeFigures(**values)
    kinds: dict[int, KindColumn] = {}
    # Only the kinds something went wrong with: a province's KindYear rows are several per organization, and
    # the pivot's cells are the periods missed or late, which most rows have none of.
    by_kind = (
        KindYear.objects.filter(where & (Q(missed_periods__gt=0) | Q(late_periods__gt=0)))
        .values("kind_id", "kind__name", "kind__order", group=_group_key(roots))
        .annotate(missed=Coalesce(Sum("missed_periods"), 0), late=Coalesce(Sum("late_periods"), 0))
        .order_by()
    )
    for kind_row in by_kind:
        found: dict[str, Any] = dict(kind_row)
        kind_id = found["kind_id"]
        kinds.setdefault(kind_id, KindColumn(kind_id, found["kind__name"], found["kind__order"]))
        figures = groups.setdefault(str(found["group"]), LifeFigures())
        figures.missed_by_kind[kind_id] = found["missed"]
        figures.late_by_kind[kind_id] = found["late"]
    return groups, sorted(kinds.values(), key=lambda kind: (kind.order, kind.pk))


def life_overview(roots: Sequence[Organization], year: int) -> LifeOverview:
    """The year summed over the roots' subtrees, by child organization (one root) or by root (several):
    three queries for one root (the children and two GROUP BYs), two for several, whatever the tree's size."""
    if not roots:
        return LifeOverview(year, LifeFigures(), [], [])
    groups, kinds = _grouped(roots, year)
    total = LifeFigures()
    for figures in groups.values():
        total.add(figures)
    if len(roots) != 1:
        rows = [LifeRow(root, root.name, groups.get(root.path, LifeFigures()), root.is_committee) for root in roots]
        return LifeOverview(year, total, rows, kinds)
    root = roots[0]
    children = Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1, is_active=True).order_by(
        "path"
    )
    rows = [LifeRow(root, root.name, groups.get(root.path, LifeFigures()), False, own=True)]
    rows += [
        LifeRow(child, child.name, groups.get(child.path, LifeFigures()), child.is_committee) for child in children
    ]
    return LifeOverview(year, total, rows, kinds)


def life_overview_cached(roots: Sequence[Organization], year: int, *, today: date) -> LifeOverview:
    """life_overview as counted at most DASHBOARD_CACHE_SECONDS ago (the stored year moves once a night and when
    a meeting closes). The figures depend on the roots and the year only: who may see them is asked first."""
    key = "overview:{}:{}:{}".format(",".join(str(root.pk) for root in roots), year, today.isoformat())
    result, _hit = cached_figures(
        LIFE_AREA, roots, key, settings.DASHBOARD_CACHE_SECONDS, lambda: life_overview(roots, year)
    )
    return result


@dataclass
class OrganizationLife:
    """One organization's stored year, for the export's sheet of every organization."""

    path: str
    code: str
    name: str
    kind: str
    figures: LifeFigures


def every_organization(roots: Sequence[Organization], year: int) -> Iterator[OrganizationLife]:
    """Each organization of the subtrees that has a stored year, in path order: two queries read in chunks side
    by side (LifeYear and KindYear, both by path), so a province streams without being held in memory."""
    where = _in_subtrees(roots) & Q(year=year, organization__is_active=True)
    lives = (
        LifeYear.objects.filter(where)
        .order_by("organization__path")
        .values_list(
            "organization_id",
            "organization__path",
            "organization__code",
            "organization__name",
            "organization__kind",
            "warning",
            *SUMMED.values(),
        )
    )
    kind_rows = (
        KindYear.objects.filter(where)
        .order_by("organization__path", "kind_id")
        .values_list("organization__path", "kind_id", "missed_periods", "late_periods")
        .iterator(chunk_size=5000)
    )
    pending = next(kind_rows, None)
    for organization_id, path, code, name, kind, warning, *values in lives.iterator(chunk_size=5000):
        del organization_id
        figures = LifeFigures(organizations=1, **dict(zip(SUMMED, values, strict=True)))
        setattr(figures, str(warning), 1)
        missed: dict[int, int] = defaultdict(int)
        late: dict[int, int] = defaultdict(int)
        # KindYear rows of organizations without a LifeYear (none are written so) are skipped.
        while pending is not None and pending[0] < path:
            pending = next(kind_rows, None)
        while pending is not None and pending[0] == path:
            missed[pending[1]] += pending[2]
            late[pending[1]] += pending[3]
            pending = next(kind_rows, None)
        figures.missed_by_kind, figures.late_by_kind = dict(missed), dict(late)
        yield OrganizationLife(path, code, name, str(Organization.Kind(kind).label), figures)
