"""What a request may reach in 相似内容, for the views: built on accounts.permissions, 404 when out of
sight, 403 when seen but not allowed. The services check their actor again."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Organization
from accounts.permissions import Action, can, get_organization_for, scope_for
from similarity.models import StandardText, TextPair


def committee_only(user: Any) -> None:
    """The committee's page of near-copies and its standard text: 403 for anyone who supervises nothing."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def drilled_organization(user: Any, value: str) -> Organization | None:
    """The organization a committee's page narrows to (?org=), which the user must see; None for none asked."""
    return get_organization_for(user, value) if value.isdigit() else None


def pair_for(user: Any, pk: int) -> TextPair:
    """A pair whose two texts the user may both read; 404 otherwise (a page never shows a text out of sight)."""
    pair = get_object_or_404(
        TextPair.objects.select_related("text", "other", "organization", "other_organization"), pk=pk
    )
    if not (can(user, Action.VIEW, pair.organization) and can(user, Action.VIEW, pair.other_organization)):
        raise Http404
    return pair


def leading_organizations(user: Any) -> QuerySet[Organization]:
    """The committees whose standard text USER sets: those whose subtree it supervises (by position or grant)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Organization.objects.get_root_nodes()
    paths = {*scope.supervise_roots, *scope.grant_roots}
    return Organization.objects.filter(path__in=sorted(paths)).order_by("path")


def leads(user: Any, organization: Organization) -> bool:
    scope = scope_for(user)
    return scope.is_admin or organization.path in {*scope.supervise_roots, *scope.grant_roots}


def leading_over(user: Any, *organizations: Organization) -> Organization | None:
    """The nearest committee USER leads that lies above (or is) every one of ORGANIZATIONS, if any."""
    scope = scope_for(user)
    if scope.is_admin:
        return Organization.objects.filter(path=organizations[0].path[: Organization.steplen]).first()
    roots = sorted({*scope.supervise_roots, *scope.grant_roots}, key=len, reverse=True)
    for root in roots:
        if all(organization.path.startswith(root) for organization in organizations):
            return Organization.objects.filter(path=root).first()
    return None


def standard_to_remove(user: Any, pk: int) -> StandardText:
    standard = get_object_or_404(StandardText.objects.select_related("organization"), pk=pk)
    if not can(user, Action.VIEW, standard.organization):
        raise Http404
    if not leads(user, standard.organization):
        raise PermissionDenied
    return standard
