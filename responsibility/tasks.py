"""Background work for responsibility lists: thin wrappers around progress."""

from __future__ import annotations

from celery import shared_task

from responsibility import progress


@shared_task(name="responsibility.refresh_warnings")
def refresh_warnings() -> int:
    """Recomputes every open item whose colour was last computed before today (idempotent)."""
    return progress.refresh_stale()
