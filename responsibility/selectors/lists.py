"""Reads of lists, work plans, templates and the coverage of work points, for pages and exports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Substr

from accounts.models import Organization, Position
from accounts.permissions import scope_for, supervised_q, visible_q
from responsibility.models import (
    DutyType,
    LateMark,
    ListItem,
    ListTemplate,
    ListVersion,
    ResponsibilityList,
    WorkPlan,
    WorkPoint,
)
from responsibility.versions import Comparison, compare, item_row


def ancestor_or_self_paths(paths: Iterable[str]) -> list[str]:
    """Every prefix path of these: the organizations themselves and all their ancestors (no query)."""
    step = Organization.steplen
    return sorted({path[:end] for path in paths for end in range(step, len(path) + 1, step)})


def _reached_paths(user: Any) -> list[str]:
    """The organizations above or at what the user sees or keeps: their published plans and templates reach the user."""
    scope = scope_for(user)
    return ancestor_or_self_paths([*scope.subtree_roots, *scope.single_paths, *scope.manage_paths])


def work_plans_q(user: Any) -> Q:
    """Plans the user may read: published ones above or within sight, and drafts of committees the user keeps."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    published = Q(published_at__isnull=False) & (
        Q(organization__path__in=_reached_paths(user)) | visible_q(user, "organization__")
    )
    return published | Q(organization__path__in=sorted(scope.manage_paths))


def work_plans_for(user: Any) -> QuerySet[WorkPlan]:
    """The plans the user may read, newest year first, with their point counts."""
    return (
        WorkPlan.objects.filter(work_plans_q(user))
        .select_related("organization")
        .annotate(point_count=Count("points"))
        .order_by("-year", "organization__path")
    )


def work_points_of(plan: WorkPlan) -> list[WorkPoint]:
    return list(plan.points.select_related("category").order_by("category__order", "order", "id"))


def work_points_for_list(organization: Organization, year: int) -> QuerySet[WorkPoint]:
    """Points a list of this organization and year may break down: published plans of the year, at or above it."""
    return (
        WorkPoint.objects.filter(
            plan__year=year,
            plan__published_at__isnull=False,
            plan__organization__path__in=ancestor_or_self_paths([organization.path]),
        )
        .select_related("plan__organization", "category")
        .order_by("plan__organization__depth", "order", "id")
    )


def responsible_choices(organization: Organization) -> QuerySet[Position]:
    """The organization's current positions, secretary first: who may answer for an item."""
    role_rank = Case(
        *(When(role=value, then=Value(rank)) for rank, value in enumerate(Position.Role.values)),
        output_field=IntegerField(),
    )
    return (
        Position.objects.current()
        .filter(organization=organization)
        .select_related("person")
        .annotate(role_rank=role_rank)
        .order_by("role_rank", "id")
    )


def templates_to_start_from(organization: Organization) -> QuerySet[ListTemplate]:
    """Published templates of committees at or above the organization, those of its sector first."""
    if organization.sector:
        sector_rank: Any = Case(When(sector=organization.sector, then=Value(0)), default=Value(1))
    else:
        sector_rank = Value(1)
    return (
        ListTemplate.objects.filter(
            is_published=True, organization__path__in=ancestor_or_self_paths([organization.path])
        )
        .select_related("organization")
        .annotate(sector_rank=sector_rank)
        .order_by("sector_rank", "name", "id")
    )


def list_templates_q(user: Any) -> Q:
    """Templates the user may read: those of committees the user keeps, and published ones above or within sight."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    published = Q(is_published=True) & (
        Q(organization__path__in=ancestor_or_self_paths(scope.manage_paths)) | visible_q(user, "organization__")
    )
    return published | Q(organization__path__in=sorted(scope.manage_paths))


def list_templates_for(user: Any) -> QuerySet[ListTemplate]:
    return (
        ListTemplate.objects.filter(list_templates_q(user))
        .select_related("organization")
        .annotate(item_count=Count("items"))
        .order_by("organization__path", "name", "id")
    )


@dataclass(frozen=True)
class DutyGroup:
    duty_type: str
    label: str
    items: list[ListItem]


def list_item_groups(responsibility_list: ResponsibilityList) -> list[DutyGroup]:
    """The list's items grouped by duty type (主体责任, 第一责任人, 直接责任人, 一岗双责), in one query.

    When the list has 曾逾期 items, each item's late marks come as `item.marks` with a second query.
    """
    items = responsibility_list.items.select_related("category", "work_point", "responsible__person")
    if responsibility_list.late_items:
        items = items.prefetch_related(Prefetch("late_marks", queryset=LateMark.objects.all(), to_attr="marks"))
    fetched = list(items)
    return [
        DutyGroup(duty_type=value, label=str(label), items=[item for item in fetched if item.duty_type == value])
        for value, label in DutyType.choices
    ]


def list_versions_of(responsibility_list: ResponsibilityList) -> QuerySet[ListVersion]:
    return responsibility_list.versions.select_related("approved_by").order_by("number")


def list_revision(
    responsibility_list: ResponsibilityList, groups: Sequence[DutyGroup], versions: Sequence[ListVersion]
) -> Comparison | None:
    """While a revision is open or awaits approval: its items against the last approved version (no query).

    `groups` and `versions` are what the list page already read (list_item_groups, list_versions_of).
    """
    if responsibility_list.status == ResponsibilityList.Status.APPROVED or not versions:
        return None
    approved = versions[-1]
    items = [item for group in groups for item in group.items]
    marks = {item.id: getattr(item, "marks", ()) for item in items}
    return compare(approved.items, [item_row(item) for item in items], against=approved.number, marks=marks)


def version_changes(version: ListVersion) -> Comparison | None:
    """An approved version against the one approved before it (one query); None for the first."""
    previous = version.list.versions.filter(number__lt=version.number).order_by("-number").first()
    if previous is None:
        return None
    return compare(previous.items, version.items, against=previous.number)


def item_late_marks(item: ListItem) -> list[LateMark]:
    """The item's 逾期记录, oldest period first (no query for an item never late)."""
    if not item.was_overdue:
        return []
    return list(item.late_marks.all())


def lists_awaiting_review(user: Any) -> QuerySet[ResponsibilityList]:
    """Submitted lists of organizations the user supervises, oldest submission first."""
    return (
        ResponsibilityList.objects.filter(
            supervised_q(user, "organization__"),
            status=ResponsibilityList.Status.SUBMITTED,
            closed_at__isnull=True,
        )
        .select_related("organization")
        .order_by("submitted_at", "id")
    )


def active_children_of(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(
        path__startswith=organization.path, depth=organization.depth + 1, is_active=True
    ).order_by("path")


@dataclass(frozen=True)
class CoverageRow:
    """One child organization's subtree against a plan's points."""

    organization: Organization
    total: int
    """Active organizations in the child's subtree, the child included."""
    missing_any: int
    """How many of them have not broken down every point."""
    missing_by_point: list[int]
    """For each point, in the order given, how many have not broken it down."""


def plan_coverage(
    plan: WorkPlan, under: Organization, children: Sequence[Organization], points: Sequence[WorkPoint]
) -> list[CoverageRow]:
    """For each child of `under`: who in its subtree has not put the plan's points into their list.

    Two queries whatever the subtree's size: organizations counted per child prefix, and
    covered (child prefix, point) pairs counted per distinct organization.
    """
    if not children:
        return []
    prefix_length = len(children[0].path)
    child_paths = [child.path for child in children]
    plan_items = ListItem.objects.filter(work_point__plan=plan, list__year=plan.year)
    complete_organizations = (
        plan_items.order_by()
        .values("list__organization_id")
        .annotate(points=Count("work_point_id", distinct=True))
        .filter(points__gte=len(points))
        .values("list__organization_id")
    )
    totals = {
        row["child_path"]: row
        for row in Organization.objects.filter(path__startswith=under.path, depth__gt=under.depth, is_active=True)
        .annotate(child_path=Substr("path", 1, prefix_length))
        .filter(child_path__in=child_paths)
        .values("child_path")
        .annotate(total=Count("id"), complete=Count("id", filter=Q(id__in=complete_organizations)))
        .order_by()
    }
    covered: dict[tuple[str, int], int] = {
        (row["child_path"], row["work_point_id"]): row["organizations"]
        for row in plan_items.filter(
            list__organization__path__startswith=under.path,
            list__organization__depth__gt=under.depth,
            list__organization__is_active=True,
        )
        .annotate(child_path=Substr("list__organization__path", 1, prefix_length))
        .filter(child_path__in=child_paths)
        .values("child_path", "work_point_id")
        .annotate(organizations=Count("list__organization_id", distinct=True))
        .order_by()
    }
    rows = []
    for child in children:
        counts = totals.get(child.path, {"total": 0, "complete": 0})
        total = counts["total"]
        rows.append(
            CoverageRow(
                organization=child,
                total=total,
                missing_any=total - counts["complete"] if points else 0,
                missing_by_point=[total - covered.get((child.path, point.id), 0) for point in points],
            )
        )
    return rows


def points_missing_in(plan: WorkPlan, organization: Organization, points: Sequence[WorkPoint]) -> list[WorkPoint]:
    """The points this organization's list of the plan's year has not broken down (one query)."""
    covered = set(
        ListItem.objects.filter(
            work_point__plan=plan, list__organization=organization, list__year=plan.year
        ).values_list("work_point_id", flat=True)
    )
    return [point for point in points if point.id not in covered]


def managed_committees(user: Any) -> QuerySet[Organization]:
    """Committees whose own work the user keeps: where the user may issue plans and templates."""
    paths = sorted(scope_for(user).manage_paths)
    return Organization.objects.filter(path__in=paths, is_active=True).exclude(kind=Organization.Kind.BRANCH)


def coverage_trail(plan: WorkPlan, under: Organization) -> QuerySet[Organization]:
    """The organizations from the plan's organization down to `under`'s parent, for breadcrumbs (one query)."""
    step = Organization.steplen
    paths = [under.path[:end] for end in range(len(plan.organization.path), len(under.path), step)]
    return Organization.objects.filter(path__in=paths).order_by("depth")


def year_list_of(organization: Organization, year: int) -> ResponsibilityList | None:
    return ResponsibilityList.objects.filter(organization=organization, year=year).first()
