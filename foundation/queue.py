"""Queueing background work whose state is already committed, without failing when the broker is down."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app


def queue_or_leave(task_name: str, *args: Any, logger: logging.Logger, message: str) -> bool:
    """Queues the task registered as TASK_NAME with ARGS; when the broker cannot take it, logs MESSAGE and
    returns False.

    For work whose state is already committed (an outbox row, a queued render) and that a periodic task
    sends again: a broker outage delays it, and the request that asked for it does not fail. The task is
    found by its name in Celery's registry, so a service never imports the tasks module that calls it
    (tasks take ids and call services: importing them back would close a circle).
    """
    try:
        if task_name not in current_app.tasks:
            # A web process has not imported the apps' task modules yet: Celery's autodiscovery does so now.
            current_app.loader.import_default_modules()
        current_app.tasks[task_name].delay(*args)
    except Exception:
        logger.exception(message)
        return False
    return True
