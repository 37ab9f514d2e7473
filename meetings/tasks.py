"""Background work for organizational life: thin wrappers around progress."""

from __future__ import annotations

from celery import shared_task

from meetings import progress


@shared_task(name="meetings.refresh_life")
def refresh_life() -> int:
    """Recomputes this year's organizational life of every organization last computed before today
    (idempotent: a second run the same day finds nothing stale)."""
    return progress.refresh_stale()
