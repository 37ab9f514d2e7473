"""What of 整改's history each person may read on the audit page (操作日志), as its pages show it.

A task and its extension requests are read by whoever sees the organization (the task page asks for
VIEW). A finding is the supervising committees' (问题清单) until it is part of a task, whose page then
shows it to the organization; a row is judged in its own state, by the task it names.
"""

from __future__ import annotations

from typing import Any

from accounts.history import every_field, register_audited
from accounts.permissions import Action, can, is_administrator


def finding_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A finding: those who supervise its organization; once in a task, everyone who sees the task."""
    organization = row.organization
    if organization is None:
        return every_field(user, row) if is_administrator(user) else None
    if can(user, Action.SUPERVISE, organization):
        return every_field(user, row)
    if row.task_id is not None and can(user, Action.VIEW, organization):
        return every_field(user, row)
    return None


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from RectificationConfig.ready)."""
    register_audited("rectification.Finding", "organization__", finding_fields, related=("organization",))
    register_audited("rectification.RectificationTask", "organization__", every_field)
    register_audited("rectification.ExtensionRequest", "task__organization__", every_field)
