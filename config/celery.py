"""The Celery app. With no REDIS_URL, settings make every task run in-process."""

import logging
import os
from typing import Any

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("partybuilding")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping() -> str:
    """Answers "pong": the health check and the broker test use it."""
    return "pong"


def queue_or_leave(task: Task, *args: Any, logger: logging.Logger, message: str) -> bool:
    """Queues `task` with `args`; when the broker cannot take it, logs `message` and returns False.

    For work whose state is already committed (an outbox row, a queued render) and that a periodic
    task sends again: a broker outage delays it, and the request that asked for it does not fail.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.exception(message)
        return False
    return True
