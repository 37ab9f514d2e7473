"""Background work for deadline reminders: a thin wrapper around the sweep."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from reminders import sweep


# A retry resumes where the failed run stopped: the batches it committed are in the sent-log.
@shared_task(name="reminders.send", autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def send_reminders(day: str | None = None) -> dict[str, Any]:
    """Sends the day's deadline reminders (idempotent: the sent-log stops a second send)."""
    return sweep.sweep(today=date.fromisoformat(day) if day else None).as_dict()
