"""What a request may reach of the member roll (党员名册), for the views and the services.

Built on accounts.permissions: 404 when the organization is out of the person's sight, 403 when seen but
not allowed. The roll is personal data, so reading it takes more than seeing the organization: the
branch's leading roles keep it (MANAGE), the committees above read it (SUPERVISE), a member reads their
own entry only, and a plain member of the branch reads nobody else's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Organization
from accounts.permissions import (
    Action,
    can,
    followed_roots,
    follows,
    get_organization_for,
    kept_organizations,
    require,
    scope_for,
)
from members.models import Member, PartyGroup


def reads_roll(user: Any, organization: Organization) -> bool:
    """The branch that keeps the roll and the committees above it read its personal data."""
    return can(user, Action.MANAGE, organization) or can(user, Action.SUPERVISE, organization)


def keeps_roll(user: Any, organization: Organization) -> bool:
    """The branch's leading roles (and an administrator) write the roll."""
    return can(user, Action.MANAGE, organization)


def _require_roll(user: Any, organization: Organization, action: Action) -> None:
    require(user, Action.VIEW, organization)
    allowed = keeps_roll(user, organization) if action is Action.MANAGE else reads_roll(user, organization)
    if not allowed:
        raise PermissionDenied


def roll_organization_for(user: Any, org_pk: Any, action: Action = Action.VIEW) -> Organization:
    """The organization whose roll the person reads (VIEW) or keeps (MANAGE); 404 unseen, 403 not allowed."""
    organization = get_organization_for(user, org_pk, Action.VIEW)
    _require_roll(user, organization, action)
    return organization


def member_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Member:
    """A member's entry: read by the roll's readers and by the member themself, written by its keepers."""
    try:
        member = Member.objects.select_related("organization", "party_group", "person").get(pk=pk)
    except (Member.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    if action is Action.VIEW and is_own_entry(user, member):
        return member
    _require_roll(user, member.organization, action)
    return member


def group_for(user: Any, pk: Any, action: Action = Action.VIEW) -> PartyGroup:
    """A party group of a roll the person reads (VIEW) or keeps (MANAGE)."""
    try:
        group = PartyGroup.objects.select_related("organization", "leader").get(pk=pk)
    except (PartyGroup.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    _require_roll(user, group.organization, action)
    return group


def is_own_entry(user: Any, member: Member) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and member.person_id == user.pk)


def shows_id_number(user: Any, member: Member) -> bool:
    """The ID number unmasked: to the branch and its committees only."""
    return reads_roll(user, member.organization)


def kept_rolls(user: Any) -> QuerySet[Organization]:
    """The organizations whose roll the person keeps now (the roll page's entry lists them)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Organization.objects.none()
    return kept_organizations(user)


def own_entries(user: Any) -> QuerySet[Member]:
    """The person's own entries on any roll."""
    return Member.objects.current().filter(person=user).select_related("organization")


def figures_roots(user: Any) -> list[Organization]:
    """Where the committee's roll figures start: the outermost organizations it leads or supervises."""
    return followed_roots(user)


def figures_organization_for(user: Any, org_pk: Any) -> Organization:
    """An organization whose subtree's roll figures the person follows: one they supervise, or the committee
    they lead (its subtree below it); 404 unseen, 403 seen but not followed."""
    organization = get_organization_for(user, org_pk, Action.VIEW)
    if not follows(user, organization):
        raise PermissionDenied
    return organization


def committee_only(user: Any) -> None:
    """The figures page without an organization: 403 for anyone who supervises nothing."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def reaches_a_roll(user: Any) -> bool:
    """Whether the menu offers 党员名册: to those who keep or supervise a roll."""
    scope = scope_for(user)
    return scope.is_committee or bool(scope.manage_paths)


def reaches_a_roll_above(user: Any) -> bool:
    """Whether the person follows rolls below them (the committee's figures)."""
    return scope_for(user).is_committee


def may_read_member(user: Any, pk: Any) -> bool:
    """Whether the person still reads the entry (after a transfer out of their roll they may not)."""
    try:
        member_for(user, pk, Action.VIEW)
    except (Http404, PermissionDenied):
        return False
    return True
