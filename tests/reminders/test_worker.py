"""A real Celery worker against the real Redis sends one deadline reminder end to end (not eager mode).

Like tests/test_celery.py the worker is a subprocess with REDIS_URL pointed at the test Redis. It
must also read and write the test's data: on PostgreSQL it connects to the test database itself
(the test commits its data: a transactional test); SQLite's test database lives in this process's
memory, so the worker gets a file copy of it and the test reads the result back from that file.
It listens on a queue of its own, so workers of other test runs sharing the Redis never take its task.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote
from uuid import uuid4

import pytest
from celery import Celery
from django.db import connection

from notifications import messages
from notifications.models import Notification
from tests.conftest import Tree
from tests.reminders.test_sweep import DUE, branch_list_for, once_item

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def worker_database(folder: Path) -> tuple[str, Callable[[], list[tuple[str, str]]]]:
    """The DATABASE_URL the worker uses for the test's data, and how to read back (title, recipient)."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(settings["USER"] or "", safe="")
        if settings["PASSWORD"]:
            credentials += ":" + quote(settings["PASSWORD"], safe="")
        url = (
            f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )

        def from_the_test_database() -> list[tuple[str, str]]:
            return [
                (notification.title, notification.recipient.username)
                for notification in Notification.objects.order_by("id").select_related("recipient")
            ]

        return url, from_the_test_database

    assert connection.vendor == "sqlite"
    copy = folder / "worker.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)

    def from_the_copy() -> list[tuple[str, str]]:
        with sqlite3.connect(copy) as database:
            rows = database.execute(
                "SELECT n.message_key, n.params, u.username FROM accounts_notification n"
                " JOIN accounts_user u ON u.id = n.recipient_id ORDER BY n.id"
            ).fetchall()
        # Worded as the notification centre words them.
        return [(messages.render(key, json.loads(params))[0], username) for key, params, username in rows]

    return f"sqlite:///{copy}", from_the_copy


def test_a_real_worker_sends_a_deadline_reminder_through_redis(
    redis_url: str, tree: Tree, people: SimpleNamespace, tmp_path: Path
) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    day = DUE - timedelta(days=7)
    database_url, notifications_written = worker_database(tmp_path)
    queue = f"test-reminders-{uuid4().hex}"

    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(REDIS_URL=redis_url, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = Celery("reminders-test-client", broker=redis_url, backend=redis_url, set_as_current=False)
    outcomes: list[dict[str, int]] = []
    failure: Exception | None = None
    try:
        # Twice: the second run finds the sent-log and sends nothing.
        for _run in range(2):
            result = client.send_task("reminders.send", args=[day.isoformat()], queue=queue)
            outcomes.append(result.get(timeout=90))
    except Exception as error:  # reported below with what the worker said
        failure = error
    finally:
        client.close()
        worker.terminate()
        _out, worker_errors = worker.communicate(timeout=30)

    assert failure is None, f"{failure!r}\n{worker_errors}"
    assert [outcome["sent"] for outcome in outcomes] == [1, 0], worker_errors
    assert notifications_written() == [("责任清单事项「按时报送党费收缴情况」还有 7 天截止", "branch_secretary")]
