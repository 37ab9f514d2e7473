"""整改's tracked models on the audit page (操作日志), and how each row reaches its organization."""

from __future__ import annotations

from accounts.history import every_field, register_audited


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from RectificationConfig.ready)."""
    register_audited("rectification.Finding", "organization__", every_field)
    register_audited("rectification.RectificationTask", "organization__", every_field)
    register_audited("rectification.ExtensionRequest", "task__organization__", every_field)
