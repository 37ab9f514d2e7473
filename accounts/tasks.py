"""Background work of the accounts app: thin wrappers around the outbox and the audit trail."""

from __future__ import annotations

from celery import shared_task

from accounts import history, notifications


# No result: nobody reads it, and a result the web process waits to hear of makes the request that
# queues this task retry Redis for ~20 s when Redis is down, instead of failing fast to the outbox.
@shared_task(name="accounts.deliver_notifications", ignore_result=True)
def deliver_pending(limit: int = 200) -> int:
    """Sends the due deliveries of the outbox (idempotent: a sent delivery is never sent again)."""
    return notifications.deliver_pending(limit=limit)


@shared_task(name="accounts.prune_audit", ignore_result=True)
def prune_audit() -> int:
    """Deletes the audit rows past AUDIT_RETENTION_DAYS (idempotent: a second run finds nothing)."""
    return history.prune()
