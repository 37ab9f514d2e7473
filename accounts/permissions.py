"""The one permission module: who may do what to which organization.

Every view and export asks here. Two questions:

- `can(user, action, organization)`: may this user do ACTION on this organization?
- `visible_organizations(user)` / `visible_q(user, ...)`: which organizations may
  this user see? A queryset filter any list or export can use.

Rules ("一级抓一级、层层抓落实"):

- Committee roles (书记, 副书记, 委员, 党务工作者 of a 党委 / 党工委 / 党总支) see their
  organization and its whole subtree, keep their own organization's work and
  supervise every organization below it.
- Branch roles (the same roles in a 党支部) see and keep their own branch only.
- Members (党员) see their own organization, read-only.
- A django-guardian grant of `supervise_organization` on an organization (e.g. a
  组织部 reviewer granted a county) covers that organization and its subtree.
- Administrators (superusers) may do everything.

The user's scope costs two queries, once per request, whatever the tree's size;
afterwards every answer is computed from paths without touching the database. It is
never kept longer than the request: a cache of what a person may see keys on
`scope_key(user)`, so nothing outlives a position that ends.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.db.models.lookups import StartsWith
from django.http import Http404

from accounts.models import (
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
    Position,
)

SUPERVISE_CODENAME = "supervise_organization"
ModelT = TypeVar("ModelT", bound=Model)


class Action(enum.StrEnum):
    VIEW = "view"
    """See the organization's pages and what is published to its people."""
    MANAGE = "manage"
    """Keep the organization's own work: lists, records, its duty report, its tasks."""
    SUPERVISE = "supervise"
    """Plan, inspect, score, comment, approve and accept: a higher level over a lower one."""
    ADMINISTER = "administer"
    """Import the tree and people, and other system-wide administration."""


@dataclass(frozen=True)
class Scope:
    """What one user reaches, as materialized paths."""

    is_admin: bool = False
    subtree_roots: tuple[str, ...] = ()
    """Organizations whose whole subtree (inclusive) the user sees."""
    single_paths: frozenset[str] = frozenset()
    """Organizations the user sees on their own, without their subtree."""
    manage_paths: frozenset[str] = frozenset()
    """Organizations whose own work the user keeps."""
    supervise_roots: tuple[str, ...] = ()
    """Organizations below which (exclusive) the user supervises."""
    grant_roots: tuple[str, ...] = ()
    """Organizations at and below which (inclusive) the user supervises by grant."""

    def sees(self, path: str) -> bool:
        return self.is_admin or path in self.single_paths or _under_any(path, self.subtree_roots)

    def supervises(self, path: str) -> bool:
        if self.is_admin or _under_any(path, self.grant_roots):
            return True
        return any(path.startswith(root) and path != root for root in self.supervise_roots)

    @property
    def is_committee(self) -> bool:
        """Whether the user supervises anything at all (menus use this)."""
        return self.is_admin or bool(self.supervise_roots or self.grant_roots)


def _under_any(path: str, roots: Iterable[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _outermost(paths: Iterable[str]) -> tuple[str, ...]:
    """Drops every path that lies inside another, so filters stay short."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not _under_any(path, kept):
            kept.append(path)
    return tuple(sorted(kept))


def scope_for(user: Any) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    cached = getattr(user, "_organization_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    if getattr(user, "is_authenticated", False):
        user._organization_scope = scope
    return scope


def scope_key(user: Any) -> str:
    """A short digest of the user's scope, stable across processes. Whatever is cached beyond one request for
    what a person may see (the board's and the dashboard's figures) is keyed on it, so a position that ends or
    a grant revoked makes those entries unreachable at once instead of when they expire."""
    scope = scope_for(user)
    parts = (
        scope.is_admin,
        scope.subtree_roots,
        sorted(scope.single_paths),
        sorted(scope.manage_paths),
        scope.supervise_roots,
        scope.grant_roots,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def forget_scope(user: Any) -> None:
    """Call after changing a user's positions or grants within the same request."""
    if hasattr(user, "_organization_scope"):
        del user._organization_scope


def _compute_scope(user: Any) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(is_admin=True)

    subtree: list[str] = []
    single: set[str] = set()
    manage: set[str] = set()
    supervise: list[str] = []
    positions = Position.objects.current().filter(person=user, organization__is_active=True)
    for role, path, kind in positions.values_list("role", "organization__path", "organization__kind"):
        if role == Position.Role.MEMBER:
            single.add(path)
            continue
        manage.add(path)
        if kind == Organization.Kind.BRANCH:
            single.add(path)
        else:
            subtree.append(path)
            supervise.append(path)

    user_grants = OrganizationUserObjectPermission.objects.filter(
        user=user, permission__codename=SUPERVISE_CODENAME
    ).values_list("content_object__path", flat=True)
    group_grants = OrganizationGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=SUPERVISE_CODENAME
    ).values_list("content_object__path", flat=True)
    grants = list(user_grants.union(group_grants))
    subtree.extend(grants)

    roots = _outermost(subtree)
    return Scope(
        subtree_roots=roots,
        single_paths=frozenset(path for path in single if not _under_any(path, roots)),
        manage_paths=frozenset(manage),
        supervise_roots=_outermost(supervise),
        grant_roots=_outermost(grants),
    )


def kept_organizations(user: Any) -> QuerySet[Organization]:
    """The active organizations whose own work the person keeps now (their leading positions), in tree order:
    where the roll, the meetings, the commitments and the group robots of one's own organizations are."""
    return Organization.objects.filter(path__in=sorted(scope_for(user).manage_paths), is_active=True).order_by("path")


def followed_roots(user: Any) -> list[Organization]:
    """Where a committee's subtree pages (progress, dashboard, board, roll figures) start: the outermost
    organizations it leads or supervises; every top-level organization for an administrator."""
    scope = scope_for(user)
    if scope.is_admin:
        return list(Organization.objects.filter(depth=1).order_by("path"))
    roots = _outermost([*scope.supervise_roots, *scope.grant_roots])
    return list(Organization.objects.filter(path__in=roots).order_by("path"))


def follows(user: Any, organization: Organization) -> bool:
    """A committee follows its own organization's subtree and every organization it supervises."""
    return can(user, Action.SUPERVISE, organization) or organization.path in scope_for(user).supervise_roots


def can(user: Any, action: Action, organization: Organization) -> bool:
    """May this user do ACTION on this organization? Answers without a query once the scope is known."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    path = organization.path
    if action is Action.VIEW:
        return scope.sees(path)
    if action is Action.MANAGE:
        return path in scope.manage_paths
    if action is Action.SUPERVISE:
        return scope.supervises(path)
    return False


def visible_q(user: Any, prefix: str = "") -> Q:
    """A filter for the organizations the user sees; `prefix` reaches them from another model.

    `visible_q(user, "organization__")` filters anything with an `organization` key.
    """
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    condition = Q(pk__in=[])
    for root in scope.subtree_roots:
        condition |= Q(**{f"{prefix}path__startswith": root})
    if scope.single_paths:
        condition |= Q(**{f"{prefix}path__in": sorted(scope.single_paths)})
    return condition


def visible_organizations(user: Any) -> QuerySet[Organization]:
    """Every organization the user may see."""
    return Organization.objects.filter(visible_q(user))


def supervised_q(user: Any, prefix: str = "") -> Q:
    """A filter for the organizations the user supervises (committee pages use it)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    condition = Q(pk__in=[])
    for root in scope.supervise_roots:
        condition |= Q(**{f"{prefix}path__startswith": root}) & ~Q(**{f"{prefix}path": root})
    for root in scope.grant_roots:
        condition |= Q(**{f"{prefix}path__startswith": root})
    return condition


def supervises_q(person: str, path: str) -> Q:
    """A filter on rows that name a person and an organization: true where that person supervises that
    organization now, as `can(person, SUPERVISE, organization)` answers it from current positions and grants.

    PERSON and PATH are the rows' fields, e.g. `supervises_q("reviewer", "report__organization__path")`. For
    lists of other people's assignments and designations (the committee's tables, the reminders), where
    asking `can` person by person would cost two queries each; `tests/accounts/test_permissions.py` pins
    that both answer alike.
    """
    who, where = OuterRef(person), OuterRef(path)
    by_position = (
        Position.objects.current()
        .filter(person=who, organization__is_active=True)
        .exclude(role=Position.Role.MEMBER)
        .exclude(organization__kind=Organization.Kind.BRANCH)
        # A committee supervises what lies below it, not itself.
        .filter(StartsWith(where, F("organization__path")))
        .exclude(organization__path=where)
    )
    by_user_grant = OrganizationUserObjectPermission.objects.filter(
        StartsWith(where, F("content_object__path")), user=who, permission__codename=SUPERVISE_CODENAME
    )
    by_group_grant = OrganizationGroupObjectPermission.objects.filter(
        StartsWith(where, F("content_object__path")), group__user=who, permission__codename=SUPERVISE_CODENAME
    )
    return Q(**{f"{person}__is_active": True}) & Q(
        Q(**{f"{person}__is_superuser": True}) | Exists(by_position) | Exists(by_user_grant) | Exists(by_group_grant)
    )


def require(user: Any, action: Action, organization: Organization) -> None:
    """Raises 404 when the organization is outside the user's sight, 403 when seen but not allowed."""
    if not can(user, Action.VIEW, organization):
        raise Http404
    if not can(user, action, organization):
        raise PermissionDenied


def get_organization_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Organization:
    """The organization if the user may do ACTION on it; 404 if unseen, 403 if seen but not allowed."""
    try:
        organization = Organization.objects.get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require(user, action, organization)
    return organization


def get_object_for(
    user: Any,
    queryset: QuerySet[ModelT],
    pk: Any,
    action: Action = Action.VIEW,
    organization_field: str = "organization",
) -> ModelT:
    """An object that belongs to an organization, checked like `get_organization_for`."""
    try:
        obj = queryset.select_related(organization_field).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require(user, action, getattr(obj, organization_field))
    return obj


def is_administrator(user: Any) -> bool:
    return scope_for(user).is_admin


def require_administrator(user: Any) -> None:
    if not is_administrator(user):
        raise PermissionDenied
