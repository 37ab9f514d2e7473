"""What a request may reach in the workbench's pages (the dashboard, the yearly PDFs), for the views and the
render queue alike.

Built on accounts.permissions: 404 when the organization is out of sight, 403 when seen but not allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import access as accounts_access
from accounts.models import Organization, Position
from accounts.permissions import (
    Action,
    Scope,
    can,
    followed_roots,
    follows,
    get_organization_for,
    require,
    scope_for,
    supervised_q,
)
from workbench.models import RenderedReport


def dashboard_roots_for(user: Any, org_pk: Any) -> tuple[list[Organization], Organization | None]:
    """The dashboard's roots: ?org= if the user may follow it (404 unseen, 403 seen but not followed), else the
    outermost organizations they supervise; 403 for anyone who supervises nothing."""
    accounts_access.committee_only(user)
    if org_pk:
        organization = get_organization_for(user, org_pk, Action.VIEW)
        if not follows(user, organization):
            raise PermissionDenied
        return [organization], organization
    return followed_roots(user), None


def may_request(user: Any, organization: Organization) -> bool:
    """Who may ask for and read an organization's yearly documents: those who keep it (MANAGE) or supervise it;
    both imply seeing it. Administrators always."""
    return can(user, Action.MANAGE, organization) or can(user, Action.SUPERVISE, organization)


def requested_organization_for(user: Any, pk: Any) -> Organization:
    """The organization if the user may ask for its documents: 404 out of sight, 403 seen but not allowed."""
    organization = get_organization_for(user, pk, Action.VIEW)
    _require_request(user, organization)
    return organization


def rendered_report_for(user: Any, pk: Any) -> RenderedReport:
    """A rendered document, checked like the organization it belongs to."""
    rendered = get_object_or_404(RenderedReport.objects.select_related("organization"), pk=pk)
    _require_request(user, rendered.organization)
    return rendered


def _require_request(user: Any, organization: Organization) -> None:
    require(user, Action.VIEW, organization)
    if not may_request(user, organization):
        raise PermissionDenied


def requestable_q(user: Any, prefix: str = "") -> Q:
    """The organizations whose documents the user may ask for and download, as a filter."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(**{f"{prefix}path__in": sorted(scope.manage_paths)}) | supervised_q(user, prefix)


def rendered_reports_for(user: Any) -> QuerySet[RenderedReport]:
    """Every rendered document the user may download, the latest first (one query a page)."""
    return (
        RenderedReport.objects.filter(requestable_q(user, "organization__"))
        .select_related("organization", "requested_by")
        .order_by("-requested_at", "-id")
    )


def home_scope(user: Any, positions: Iterable[Position]) -> tuple[Scope, list[Organization]]:
    """What the home page reaches: the person's scope, and the organizations of their leading positions whose
    work they keep now."""
    return accounts_access.scope_of(user), accounts_access.led_organizations(user, positions)
