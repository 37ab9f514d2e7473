"""What of the roll's history each person may read on the audit page (操作日志).

A member's entry is personal data: its rows are read by the branch that keeps the roll, the committees
above it and the member themself, never by the branch's other members or anyone else who sees the
organization. A row is judged by the organization it names: after a transfer, the old branch keeps
reading the rows from its time.
"""

from __future__ import annotations

from typing import Any

from accounts.history import every_field, register_audited
from accounts.models import Organization
from accounts.permissions import is_administrator
from members import access


def _reads(user: Any, organization: Organization | None) -> bool:
    return is_administrator(user) or (organization is not None and access.reads_roll(user, organization))


def member_fields(user: Any, row: Any) -> frozenset[str] | None:
    if _reads(user, row.organization) or (row.person_id is not None and row.person_id == user.pk):
        return every_field(user, row)
    return None


def roll_fields(user: Any, row: Any) -> frozenset[str] | None:
    """Party groups and exports: the roll's readers only."""
    return every_field(user, row) if _reads(user, row.organization) else None


def transfer_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A transfer: the readers of either roll, or of the roll the member is on now, and the member themself."""
    member = row.member
    now = member.organization if member is not None else None
    if _reads(user, row.from_organization) or _reads(user, row.to_organization) or _reads(user, now):
        return every_field(user, row)
    if member is not None and member.person_id is not None and member.person_id == user.pk:
        return every_field(user, row)
    return None


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from MembersConfig.ready)."""
    register_audited("members.Member", "organization__", member_fields, related=("organization",))
    register_audited("members.PartyGroup", "organization__", roll_fields, related=("organization",))
    register_audited(
        "members.Transfer",
        # A transfer from or to outside the product names one organization only: the member's roll finds it.
        "member__organization__",
        transfer_fields,
        related=("from_organization", "to_organization", "member__organization"),
    )
    register_audited("members.RollExport", "organization__", roll_fields, related=("organization",))
