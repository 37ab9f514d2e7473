"""Background work of the outbox: a thin wrapper around its delivery."""

from __future__ import annotations

from celery import shared_task

from notifications import delivery


# No result: nobody reads it, and a result the web process waits to hear of makes the request that
# queues this task retry Redis for ~20 s when Redis is down, instead of failing fast to the outbox.
@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_pending(limit: int = 200) -> int:
    """Sends the due deliveries of the outbox (idempotent: a sent delivery is never sent again)."""
    return delivery.deliver_pending(limit=limit)
