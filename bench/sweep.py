"""The reminder sweep over every deadline, as beat runs it once a day: seconds and queries.

`sweep_reset` forgets the reminders an earlier bench run sent (the sent-log and the reminder
notifications with their deliveries), so the first sweep of every run does the full work; it
runs against the bench database only. The driver runs `sweep_run` twice, each in its own process.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection, transaction

from notifications.models import Notification
from reminders import sweep
from reminders.models import ReminderLog

REMINDER_KINDS = "reminder.%"


def sweep_reset() -> dict[str, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM accounts_delivery WHERE notification_id IN "
            "(SELECT id FROM accounts_notification WHERE kind LIKE %s)",
            [REMINDER_KINDS],
        )
        cursor.execute("DELETE FROM accounts_reminderlog")
        logs = cursor.rowcount
        cursor.execute("DELETE FROM accounts_notification WHERE kind LIKE %s", [REMINDER_KINDS])
        return {"reminder_logs_deleted": logs, "notifications_deleted": cursor.rowcount}


def sweep_count() -> dict[str, int]:
    """What the sweeps since the reset have written (a stopped sweep's batches are committed)."""
    return {
        "reminder_logs_written": ReminderLog.objects.count(),
        "notifications_written": Notification.objects.filter(kind__startswith="reminder.").count(),
    }


def sweep_run() -> dict[str, Any]:
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    logs_before = ReminderLog.objects.count()
    notifications_before = Notification.objects.filter(kind__startswith="reminder.").count()
    began = time.perf_counter()
    with connection.execute_wrapper(count):
        result = sweep.sweep()
    seconds = time.perf_counter() - began
    return {
        "seconds": round(seconds, 3),
        "queries": queries,
        **result.as_dict(),
        "reminder_logs_written": ReminderLog.objects.count() - logs_before,
        "notifications_written": Notification.objects.filter(kind__startswith="reminder.").count()
        - notifications_before,
    }
