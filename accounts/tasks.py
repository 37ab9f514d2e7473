"""Background work for notifications: thin wrappers around the outbox."""

from __future__ import annotations

from celery import shared_task

from accounts import notifications


@shared_task(name="accounts.deliver_notifications")
def deliver_pending(limit: int = 200) -> int:
    """Sends the due deliveries of the outbox (idempotent: a sent delivery is never sent again)."""
    return notifications.deliver_pending(limit=limit)
