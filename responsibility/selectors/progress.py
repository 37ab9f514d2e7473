"""责任落实进度 over a subtree: figures grouped in one query, the table, who follows which organizations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import Case, Count, F, FilteredRelation, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Least, Substr

from accounts.models import Organization
from responsibility.models import ListItem, ResponsibilityList

PROGRESS_LIGHTS = ("red", "yellow", "green", "none")
"""The light filter: a colour, or "none" for organizations without a list for the year."""


@dataclass(frozen=True)
class ProgressFilters:
    year: int
    sector: str = ""
    kind: str = ""
    light: str = ""


@dataclass
class ProgressFigures:
    """Totals over a set of organizations and their lists for one year."""

    organizations: int = 0
    lists: int = 0
    draft: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    late: int = 0
    required: int = 0
    done: int = 0

    @property
    def without_list(self) -> int:
        return self.organizations - self.lists

    @property
    def completion(self) -> int:
        return completion_rate(self.done, self.required)

    def add(self, other: ProgressFigures) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def completion_rate(done: int | None, required: int | None) -> int:
    """Percent of required records done, as ResponsibilityList.completion_rate computes it."""
    if not required:
        return 0
    return round(100 * min(done or 0, required) / required)


def _progress_organizations(roots: Sequence[Organization], filters: ProgressFilters) -> QuerySet[Organization]:
    """Active organizations in the roots' subtrees (inclusive) matching the filters, joined to the year's list."""
    in_subtrees = Q(pk__in=[])
    for root in roots:
        in_subtrees |= Q(path__startswith=root.path)
    organizations = (
        Organization.objects.filter(in_subtrees, is_active=True)
        .annotate(
            year_list=FilteredRelation("responsibility_lists", condition=Q(responsibility_lists__year=filters.year))
        )
        .order_by()
    )
    if filters.sector:
        organizations = organizations.filter(sector=filters.sector)
    if filters.kind:
        organizations = organizations.filter(kind=filters.kind)
    if filters.light == "none":
        organizations = organizations.filter(year_list__isnull=True)
    elif filters.light:
        organizations = organizations.filter(year_list__warning=filters.light)
    return organizations


def progress_table(roots: Sequence[Organization], filters: ProgressFilters) -> QuerySet[Organization]:
    """Each matching organization with its year's list figures as `list_*` attributes; one query, by path."""
    return (
        _progress_organizations(roots, filters)
        .annotate(
            list_id=F("year_list__id"),
            list_status=F("year_list__status"),
            list_warning=F("year_list__warning"),
            list_red=F("year_list__red_items"),
            list_yellow=F("year_list__yellow_items"),
            list_green=F("year_list__green_items"),
            list_late=F("year_list__late_items"),
            list_required=F("year_list__required_total"),
            list_done=F("year_list__done_total"),
        )
        .order_by("path")
    )


def list_status_label(status: str | None) -> str:
    """The name of a list's state read as a plain value (the progress table's `list_status`)."""
    return str(ResponsibilityList.Status(status).label) if status else ""


def _group_key(roots: Sequence[Organization]) -> Any:
    if len(roots) == 1:
        # One root: its own row plus one group per child subtree.
        return Substr("path", 1, len(roots[0].path) + Organization.steplen)
    lengths = {len(root.path) for root in roots}
    if len(lengths) == 1:
        return Substr("path", 1, lengths.pop())
    return Case(*(When(path__startswith=root.path, then=Value(root.path)) for root in roots), default=Value(""))


def progress_by_group(roots: Sequence[Organization], filters: ProgressFilters) -> dict[str, ProgressFigures]:
    """Figures per group path in one GROUP BY: per child subtree for one root, per root for several."""
    if not roots:
        return {}
    Status = ResponsibilityList.Status
    rows = (
        _progress_organizations(roots, filters)
        .values(group=_group_key(roots))
        .annotate(
            organizations=Count("id"),
            lists=Count("year_list__id"),
            draft=Count("year_list__id", filter=Q(year_list__status=Status.DRAFT)),
            submitted=Count("year_list__id", filter=Q(year_list__status=Status.SUBMITTED)),
            approved=Count("year_list__id", filter=Q(year_list__status=Status.APPROVED)),
            returned=Count("year_list__id", filter=Q(year_list__status=Status.RETURNED)),
            red=Coalesce(Sum("year_list__red_items"), 0),
            yellow=Coalesce(Sum("year_list__yellow_items"), 0),
            green=Coalesce(Sum("year_list__green_items"), 0),
            late=Coalesce(Sum("year_list__late_items"), 0),
            required=Coalesce(Sum("year_list__required_total"), 0),
            # Over-achievement in one list must not make up for another's shortfall.
            done=Coalesce(Sum(Least("year_list__done_total", "year_list__required_total")), 0),
        )
        .order_by()
    )
    return {row.pop("group"): ProgressFigures(**row) for row in rows}


def committee_children(organization: Organization) -> QuerySet[Organization]:
    """The committees directly below: the subtrees the progress page drills into."""
    return (
        Organization.objects.filter(path__startswith=organization.path, depth=organization.depth + 1, is_active=True)
        .exclude(kind=Organization.Kind.BRANCH)
        .order_by("path")
    )


def list_items_for_export(responsibility_list: ResponsibilityList) -> QuerySet[ListItem]:
    return responsibility_list.items.select_related("category", "work_point", "responsible__person").order_by(
        "order", "id"
    )
