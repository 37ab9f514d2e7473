"""What a request may reach of organizational life (组织生活), for the views and the services.

Built on accounts.permissions: 404 when the organization is out of the person's sight, 403 when seen but
not allowed. An organization's meetings, minutes and sign-in sheets are read by those who see the
organization (its own people and the committees above it) and by the people a meeting expects; they are
kept (planned, signed in by hand, closed) by the organization's leading roles. A sibling branch sees none.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Organization
from accounts.permissions import (
    Action,
    can,
    followed_roots,
    follows,
    get_organization_for,
    scope_for,
)
from accounts.permissions import kept_organizations as organizations_kept
from meetings.models import Attendance, Meeting, MeetingFile
from meetings.workflow import MEETING_ACTIONS, SIGN_IN_STATUSES
from responsibility import access as list_access
from responsibility.models import ListItem

__all__ = ["Action"]


def keeps_meetings(user: Any, organization: Organization) -> bool:
    """The organization's leading roles (and an administrator) plan, record and close its meetings."""
    return can(user, Action.MANAGE, organization)


def sets_rules(user: Any, organization: Organization) -> bool:
    """A committee sets how often its subtree's meetings are due (its own organization and below)."""
    return organization.is_committee and (
        can(user, Action.MANAGE, organization) or can(user, Action.SUPERVISE, organization)
    )


def life_organization_for(user: Any, org_pk: Any, action: Action = Action.VIEW) -> Organization:
    """An organization whose organizational life the person reads (VIEW) or keeps (MANAGE)."""
    return get_organization_for(user, org_pk, action)


def rules_organization_for(user: Any, org_pk: Any) -> Organization:
    """A committee whose frequency rules the person sets; 404 unseen, 403 seen but not theirs to set."""
    organization = get_organization_for(user, org_pk, Action.VIEW)
    if not sets_rules(user, organization):
        raise PermissionDenied
    return organization


def expects(user: Any, meeting: Meeting) -> Attendance | None:
    """The person's own row at the meeting, when the meeting expects them (through their roll entry)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return (
        Attendance.objects.select_related("member")
        .filter(meeting=meeting, member__person=user, member__left_on__isnull=True)
        .first()
    )


def meeting_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Meeting:
    """A meeting: read by those who see its organization and by those it expects; kept by its keepers."""
    try:
        meeting = Meeting.objects.select_related(
            "organization", "kind", "party_group", "host", "recorder", "lecturer", "created_by"
        ).get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    if action is Action.VIEW:
        if can(user, Action.VIEW, meeting.organization) or expects(user, meeting) is not None:
            return meeting
        raise Http404
    if not can(user, Action.VIEW, meeting.organization):
        raise Http404
    if not keeps_meetings(user, meeting.organization):
        raise PermissionDenied
    return meeting


def file_for(user: Any, pk: Any, action: Action = Action.VIEW) -> MeetingFile:
    """A meeting's evidence file, under its meeting's rules."""
    try:
        stored = MeetingFile.objects.select_related("meeting").get(pk=pk)
    except (MeetingFile.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    meeting = meeting_for(user, stored.meeting_id, action)
    # The evidence is the sheet's reader's: a person the meeting expects sees the meeting, not its files.
    if not reads_sheet(user, meeting):
        raise Http404
    return stored


def attendance_for(user: Any, pk: Any) -> Attendance:
    """An attendance row the meeting's keeper marks by hand."""
    try:
        row = Attendance.objects.select_related("meeting", "member").get(pk=pk)
    except (Attendance.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    meeting_for(user, row.meeting_id, Action.MANAGE)
    return row


def allowed_actions(user: Any, meeting: Meeting) -> frozenset[str]:
    """What the person may do to the meeting now, from the workflow's table."""
    if not keeps_meetings(user, meeting.organization):
        return frozenset()
    return MEETING_ACTIONS.get(meeting.status, frozenset())


def kept_organizations(user: Any) -> list[Organization]:
    """The organizations whose meetings the person keeps now (the menu's entry lists them)."""
    scope = scope_for(user)
    if scope.is_admin:
        return []
    return list(organizations_kept(user))


def overview_roots(user: Any) -> list[Organization]:
    """Where the committee's view of organizational life starts: the outermost organizations it follows."""
    return followed_roots(user)


def overview_organization_for(user: Any, org_pk: Any) -> Organization:
    """An organization whose subtree's organizational life the person follows; 404 unseen, 403 not followed."""
    organization = get_organization_for(user, org_pk, Action.VIEW)
    if not follows(user, organization):
        raise PermissionDenied
    return organization


def committee_only(user: Any) -> None:
    """The overview without an organization: 403 for anyone who follows nothing below them."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def may_sign_in(row: Attendance, meeting: Meeting) -> bool:
    """Whether the person's own row may still be signed in: the sign-in is open and they are not in yet."""
    return meeting.status in SIGN_IN_STATUSES and row.status != Attendance.Status.PRESENT


def reads_sheet(user: Any, meeting: Meeting) -> bool:
    """The whole sign-in sheet, the minutes and the evidence: those who see the organization. A person the
    meeting expects but who does not see the organization (a member with a login and no position) sees the
    meeting and their own row only."""
    return can(user, Action.VIEW, meeting.organization)


def reaches_life_above(user: Any) -> bool:
    """Whether the person follows organizational life below them (the committee's overview)."""
    return scope_for(user).is_committee


def rule_organizations(user: Any) -> list[Organization]:
    """The committees whose frequency rules the person sets: the outermost ones they lead or supervise."""
    return [organization for organization in followed_roots(user) if sets_rules(user, organization)]


def links_item(user: Any, item: ListItem) -> bool:
    """Whether the person may set which kind of meeting a list item counts: whoever may record on the item
    (responsibility's rule), while its year is open, since the choice writes and removes records on it."""
    return list_access.may_record(user, item)


def item_for(user: Any, pk: Any, action: Action = Action.VIEW) -> ListItem:
    """A list item, for the meeting kind it counts: read by those who see the item (responsibility's rule),
    changed (MANAGE) by those who may record on it; 404 unseen, 403 seen but not allowed."""
    item = list_access.item_for(user, pk)
    if action is not Action.VIEW and not links_item(user, item):
        raise PermissionDenied
    return item
