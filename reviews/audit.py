"""The review's tracked models on the audit page (操作日志), and how each row reaches its organization."""

from __future__ import annotations

from accounts.history import every_field, register_audited


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from ReviewsConfig.ready)."""
    register_audited("reviews.Cycle", "organization__", every_field)
    register_audited("reviews.DutyReport", "organization__", every_field)
    register_audited("reviews.Problem", "report__organization__", every_field)
    register_audited("reviews.Result", "report__organization__", every_field)
    register_audited("reviews.ClosingNote", "cycle__organization__", every_field)
    register_audited("reviews.BallotBatch", "cycle__organization__", every_field)
    register_audited("reviews.BallotCode", "cycle__organization__", every_field)
