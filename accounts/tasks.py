"""Background work of the accounts app: a thin wrapper around the audit trail's pruning."""

from __future__ import annotations

from celery import shared_task

from accounts import history


@shared_task(name="accounts.prune_audit", ignore_result=True)
def prune_audit() -> int:
    """Deletes the audit rows past AUDIT_RETENTION_DAYS (idempotent: a second run finds nothing)."""
    return history.prune()
