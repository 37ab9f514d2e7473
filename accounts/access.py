"""What a request may reach in accounts' own pages (the tree, people, the audit log), for the views.

Built on accounts.permissions: 404 when the object is out of the person's sight, 403 when seen but not
allowed. Views call these and decide nothing themselves; the domain apps have an access module each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied

from accounts import selectors
from accounts.first_sign_in import may_issue_in
from accounts.models import Organization, Position
from accounts.permissions import Action, Scope, can, get_organization_for, require_administrator, scope_for


def organization_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Organization:
    """The organization if the user may do ACTION on it; 404 unseen, 403 seen but not allowed."""
    return get_organization_for(user, pk, action)


def actions_on(user: Any, organization: Organization) -> frozenset[Action]:
    """What the user may do on the organization beyond seeing it (pages show their actions by it)."""
    return frozenset(action for action in (Action.MANAGE, Action.SUPERVISE) if can(user, action, organization))


def committee_only(user: Any) -> None:
    """The committee's pages (the audit log, the dashboard): 403 for anyone who supervises nothing."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def administrator_only(user: Any) -> None:
    """System administration (the import): 403 for anyone but an administrator."""
    require_administrator(user)


def scope_of(user: Any) -> Scope:
    """What the user reaches, for pages that say so (the home page's cards)."""
    return scope_for(user)


def led_organizations(user: Any, positions: Iterable[Position]) -> list[Organization]:
    """The organizations of the person's leading positions whose work they keep now."""
    return [
        position.organization
        for position in positions
        if position.is_leading_role and can(user, Action.MANAGE, position.organization)
    ]


def tree_organizations(user: Any, query: str) -> list[Organization]:
    """Where the tree page starts: the organizations in the person's sight matching QUERY, or, without one,
    the top of their subtree."""
    if query:
        return list(selectors.organization_search(user, query))
    return list(selectors.scope_root_organizations(user))


def sign_in_organization_for(user: Any, pk: Any) -> Organization:
    """An organization whose people's first-sign-in slips the user may print: an administrator, or a committee
    over it (accounts.first_sign_in.may_issue_in); 404 unseen, 403 seen but not allowed."""
    organization = organization_for(user, pk, Action.VIEW)
    if not may_issue_in(user, organization):
        raise PermissionDenied
    return organization
