"""The responsibility lists' tracked models on the audit page (操作日志), and how each row reaches its organization."""

from __future__ import annotations

from accounts.history import every_field, register_audited


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from ResponsibilityConfig.ready)."""
    register_audited("responsibility.WorkPlan", "organization__", every_field)
    register_audited("responsibility.WorkPoint", "plan__organization__", every_field)
    register_audited("responsibility.ResponsibilityList", "organization__", every_field)
    register_audited("responsibility.ListItem", "list__organization__", every_field)
    register_audited("responsibility.DutyRecord", "organization__", every_field)
    register_audited("responsibility.PublicCommitment", "organization__", every_field)
