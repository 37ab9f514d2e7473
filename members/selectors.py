"""Reads of the roll that pages and exports share; none grows its query count with the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Substr

from accounts.models import Organization
from members import rules
from members.models import Member, MemberStatusChange, PartyGroup, Transfer

Category, Status = Member.Category, Member.Status


def roll_members(organization: Organization, filters: dict[str, Any]) -> QuerySet[Member]:
    """The organization's current members, filtered by status, category and party group, by name."""
    members = Member.objects.current().filter(organization=organization).select_related("party_group")
    if filters.get("status"):
        members = members.filter(status=filters["status"])
    if filters.get("category"):
        members = members.filter(category=filters["category"])
    if filters.get("group"):
        members = members.filter(party_group=filters["group"])
    return members.order_by("name", "id")


@dataclass
class RollFigures:
    members: int = 0
    probationary: int = 0
    due_soon: int = 0
    overdue: int = 0
    migrant: int = 0
    abroad: int = 0
    lost: int = 0
    suspended: int = 0


def _figures(today: date) -> dict[str, Any]:
    soon_until = rules.add_months(today, rules.DUE_SOON_MONTHS)
    probationary = Q(category=Category.PROBATIONARY)
    return {
        "members": Count("id"),
        "probationary": Count("id", filter=probationary),
        "due_soon": Count("id", filter=probationary & Q(full_membership_due__range=(today, soon_until))),
        "overdue": Count("id", filter=probationary & Q(full_membership_due__lt=today)),
        "migrant": Count("id", filter=Q(status=Status.MIGRANT)),
        "abroad": Count("id", filter=Q(status=Status.ABROAD)),
        "lost": Count("id", filter=Q(status=Status.LOST)),
        "suspended": Count("id", filter=Q(status=Status.SUSPENDED)),
    }


def roll_counts(organization: Organization, today: date) -> RollFigures:
    """The figures at the top of a roll: one query."""
    return RollFigures(**Member.objects.current().filter(organization=organization).aggregate(**_figures(today)))


def member_history(member: Member) -> tuple[list[MemberStatusChange], list[Transfer]]:
    changes = list(member.status_changes.select_related("by"))
    transfers = list(member.transfers.select_related("by", "from_organization", "to_organization"))
    return changes, transfers


def groups_of(organization: Organization) -> QuerySet[PartyGroup]:
    """The organization's party groups with their leader and how many current members each has."""
    return (
        PartyGroup.objects.filter(organization=organization)
        .select_related("leader")
        .annotate(member_count=Count("members", filter=Q(members__left_on__isnull=True)))
        .order_by("order", "id")
    )


@dataclass
class FiguresRow:
    organization: Organization | None
    label: str
    figures: RollFigures
    drill: bool
    """A committee: its own subtree's figures are one click away. A branch links to its roll instead."""


def _group_key(roots: Sequence[Organization]) -> Any:
    if len(roots) == 1:
        return Substr("organization__path", 1, len(roots[0].path) + Organization.steplen)
    return Case(
        *(When(organization__path__startswith=root.path, then=Value(root.path)) for root in roots), default=Value("")
    )


def roll_figures(roots: Sequence[Organization], today: date) -> tuple[RollFigures, list[FiguresRow]]:
    """The subtree's figures in total and by child organization (one root) or by root (several): three queries
    whatever the tree's size (the children, one GROUP BY, nothing per organization)."""
    if not roots:
        return RollFigures(), []
    in_subtrees = Q(pk__in=[])
    for root in roots:
        in_subtrees |= Q(organization__path__startswith=root.path)
    grouped = (
        Member.objects.current()
        .filter(in_subtrees, organization__is_active=True)
        .values(group=_group_key(roots))
        .annotate(**_figures(today))
        .order_by()
    )
    by_group: dict[str, RollFigures] = {}
    for row in grouped:
        values: dict[str, Any] = dict(row)
        group = str(values.pop("group"))
        by_group[group] = RollFigures(**values)
    total = RollFigures()
    for figures in by_group.values():
        for name, value in vars(figures).items():
            setattr(total, name, getattr(total, name) + value)
    if len(roots) == 1:
        root = roots[0]
        children = Organization.objects.filter(
            path__startswith=root.path, depth=root.depth + 1, is_active=True
        ).order_by("path")
        rows = [FiguresRow(root, root.name, by_group.get(root.path, RollFigures()), False)]
        rows += [
            FiguresRow(child, child.name, by_group.get(child.path, RollFigures()), child.is_committee)
            for child in children
        ]
        return total, rows
    return total, [
        FiguresRow(root, root.name, by_group.get(root.path, RollFigures()), root.is_committee) for root in roots
    ]


def on_record(organization_ids: Sequence[int]) -> dict[int, int]:
    """How many members each organization has on its roll now, those whose membership is suspended left out
    (they take no part in a ballot): one query. An organization that keeps no roll is absent."""
    return dict(
        Member.objects.current()
        .filter(organization_id__in=list(organization_ids))
        .exclude(status=Status.SUSPENDED)
        .values("organization_id")
        .annotate(total=Count("pk"))
        .values_list("organization_id", "total")
    )
