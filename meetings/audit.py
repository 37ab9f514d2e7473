"""What of organizational life's history each person may read on the audit page (操作日志).

A meeting's rows (its minutes, its sign-in sheet, who was marked present by hand) are read by those who
see its organization; a frequency rule's by those who see the committee that set it (the defaults by
administrators only); an item's link by those who see the item's organization.
"""

from __future__ import annotations

from typing import Any

from accounts.history import every_field, register_audited
from accounts.permissions import Action, can, is_administrator


def _sees(user: Any, organization: Any) -> bool:
    return is_administrator(user) or (organization is not None and can(user, Action.VIEW, organization))


def meeting_fields(user: Any, row: Any) -> frozenset[str] | None:
    return every_field(user, row) if _sees(user, row.organization) else None


def attendance_fields(user: Any, row: Any) -> frozenset[str] | None:
    meeting = row.meeting
    return every_field(user, row) if meeting is not None and _sees(user, meeting.organization) else None


def rule_fields(user: Any, row: Any) -> frozenset[str] | None:
    return every_field(user, row) if _sees(user, row.organization) else None


def link_fields(user: Any, row: Any) -> frozenset[str] | None:
    item = row.item
    return every_field(user, row) if item is not None and _sees(user, item.list.organization) else None


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from MeetingsConfig.ready)."""
    register_audited("meetings.Meeting", "organization__", meeting_fields, related=("organization",))
    register_audited(
        "meetings.Attendance", "meeting__organization__", attendance_fields, related=("meeting__organization",)
    )
    register_audited("meetings.FrequencyRule", "organization__", rule_fields, related=("organization",))
    register_audited(
        "meetings.ItemLink", "item__list__organization__", link_fields, related=("item__list__organization",)
    )
