"""What of organizational life's history each person may read on the audit page (操作日志).

A meeting's rows (its minutes, its sign-in sheet, who was marked present by hand) are read by those who
see its organization; a frequency rule's by those who set the committee's rules, as its page is (the
defaults by administrators only).
"""

from __future__ import annotations

from typing import Any

from accounts.history import every_field, register_audited
from accounts.permissions import Action, can, is_administrator
from meetings import access


def _sees(user: Any, organization: Any) -> bool:
    return is_administrator(user) or (organization is not None and can(user, Action.VIEW, organization))


def meeting_fields(user: Any, row: Any) -> frozenset[str] | None:
    return every_field(user, row) if _sees(user, row.organization) else None


def attendance_fields(user: Any, row: Any) -> frozenset[str] | None:
    meeting = row.meeting
    return every_field(user, row) if meeting is not None and _sees(user, meeting.organization) else None


def rule_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A committee's rule: read by those who set the committee's rules (and administrators), as its page is."""
    organization = row.organization
    if is_administrator(user) or (organization is not None and access.sets_rules(user, organization)):
        return every_field(user, row)
    return None


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from MeetingsConfig.ready)."""
    register_audited("meetings.Meeting", "organization__", meeting_fields, related=("organization",))
    register_audited(
        "meetings.Attendance", "meeting__organization__", attendance_fields, related=("meeting__organization",)
    )
    register_audited("meetings.FrequencyRule", "organization__", rule_fields, related=("organization",))
