"""Reads about organizations and people that pages and exports share."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from accounts.models import Organization, Position
from accounts.permissions import scope_for, visible_organizations

SEARCH_LIMIT = 50


def positions_for_person(person: Any) -> QuerySet[Position]:
    """The person's current positions with their organizations, for the home page."""
    return (
        Position.objects.current()
        .filter(person=person, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__path", "role")
    )


def scope_root_organizations(user: Any) -> QuerySet[Organization]:
    """The top organizations of what the user sees: where the tree page starts."""
    scope = scope_for(user)
    if scope.is_admin:
        return Organization.objects.get_root_nodes()
    paths = set(scope.subtree_roots) | set(scope.single_paths)
    return Organization.objects.filter(path__in=sorted(paths)).order_by("path")


def organization_search(user: Any, text: str) -> QuerySet[Organization]:
    """Organizations the user sees whose name or code contains the text."""
    # PostgreSQL refuses a NUL in a query, and no name contains one.
    text = text.replace("\x00", "").strip()
    matches = visible_organizations(user).filter(name__icontains=text) | visible_organizations(user).filter(
        code__icontains=text
    )
    return matches.order_by("path")[:SEARCH_LIMIT]


def ancestors_of(organization: Organization) -> QuerySet[Organization]:
    """The organization's ancestors from the root down, in one query."""
    return Organization.objects.filter(path__in=organization.ancestor_paths()).order_by("depth")


def children_of(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=organization.path, depth=organization.depth + 1).order_by(
        "path"
    )


def subtree_counts_by_child(organization: Organization) -> dict[str, dict[str, int]]:
    """For each child's path: how many organizations of each kind its subtree holds (one query)."""
    child_path_length = (organization.depth + 1) * Organization.steplen
    rows = (
        Organization.objects.filter(path__startswith=organization.path, depth__gt=organization.depth)
        .annotate(child_path=Substr("path", 1, child_path_length))
        .values("child_path", "kind")
        .annotate(total=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["child_path"], {})[row["kind"]] = row["total"]
    return counts


def subtree_kind_counts(organization: Organization) -> list[tuple[Any, int]]:
    """(kind label, count) over the organization's subtree below it, in the order of the kinds."""
    rows = dict(
        Organization.objects.filter(path__startswith=organization.path, depth__gt=organization.depth)
        .values_list("kind")
        .annotate(total=Count("id"))
        .order_by()
    )
    return [(label, rows.get(value, 0)) for value, label in Organization.Kind.choices]


def positions_of(organization: Organization) -> list[Position]:
    """Current positions in the organization, leaders first."""
    order = [role for role, _label in Position.Role.choices]
    positions = list(
        Position.objects.current().filter(organization=organization).select_related("person").order_by("id")
    )
    positions.sort(key=lambda position: (order.index(position.role), position.person.full_name))
    return positions
