"""What of the responsibility lists' history each person may read on the audit page (操作日志).

The rules follow the pages (selectors.work_plans_q, the list and record pages, the commitment pages):
a list, its items and the duty records are read by whoever sees the organization, drafts included;
a work plan and its points are its committee's own until published; a public commitment is the
organization's own until published. A row is judged in its own state: a plan's row from before
its publication stays with the committee that keeps it.
"""

from __future__ import annotations

from typing import Any

from accounts.history import every_field, register_audited
from accounts.models import Organization
from accounts.permissions import Action, can, is_administrator
from responsibility.selectors import work_plans_q


def _keeps(user: Any, organization: Organization | None) -> bool:
    """Whether the user keeps the organization's own work (an administrator keeps every one, even one since deleted)."""
    return is_administrator(user) or (organization is not None and can(user, Action.MANAGE, organization))


def work_plan_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A work plan: its committee's (and an administrator's) while a draft, everyone's who sees it once published."""
    if row.published_at is not None or _keeps(user, row.organization):
        return every_field(user, row)
    return None


def work_point_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A point of a plan: as the plan, judged by whether the plan was published when the row was written."""
    plan = row.plan
    published = plan is not None and plan.published_at is not None and row.history_date >= plan.published_at
    if published or _keeps(user, plan.organization if plan is not None else None):
        return every_field(user, row)
    return None


def commitment_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A public commitment: the organization's own (its leaders write it) until published, then public."""
    if row.published_at is not None or _keeps(user, row.organization):
        return every_field(user, row)
    return None


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from ResponsibilityConfig.ready)."""
    register_audited(
        "responsibility.WorkPlan", "organization__", work_plan_fields, related=("organization",), shown_q=work_plans_q
    )
    register_audited(
        "responsibility.WorkPoint", "plan__organization__", work_point_fields, related=("plan__organization",)
    )
    # A list is read by whoever sees its organization, in every state (the list page asks for VIEW only).
    register_audited("responsibility.ResponsibilityList", "organization__", every_field)
    register_audited("responsibility.ListItem", "list__organization__", every_field)
    register_audited("responsibility.DutyRecord", "organization__", every_field)
    register_audited("responsibility.PublicCommitment", "organization__", commitment_fields, related=("organization",))
