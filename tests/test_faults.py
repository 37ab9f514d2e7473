"""Faults with the real services: Redis stopped at a submit, a worker killed mid-render, a dropped database connection.

Real processes as in production: a throwaway redis-server of the test's own (never the shared Redis, which other
engineers and CI use), a web process and Celery workers as subprocesses with REDIS_URL pointed at it, and the real
PostgreSQL when DATABASE_URL points at it. Like tests/reminders/test_worker.py, the subprocesses share the test's
data: on PostgreSQL the test database itself (the tests commit: transactional tests), on SQLite a file copy of it
that the test reads back.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews import services
from reviews.models import Cycle, DutyReport
from tests.conftest import Tree, unavailable
from tests.reviews.conftest import open_cycle, rubric
from workbench import pdf
from workbench.models import RenderedReport

__all__ = ["open_cycle", "rubric"]  # the review fixtures, used by name below

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 60
"""The longest any step may take before the test fails and says what the processes printed."""

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")


# --- the services -------------------------------------------------------------------------------


class ThrowawayRedis:
    """A redis-server of this test alone, on a free port; stopped and started again on the same port."""

    def __init__(self) -> None:
        with closing(socket.socket()) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(
            lambda: _answers(probe), timeout=10, failure=lambda: f"redis-server did not answer on port {self.port}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def _answers(probe: redis.Redis) -> bool:
    try:
        return bool(probe.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class SharedDatabase:
    """The test's data as the subprocesses see it, and how the test reads their writes back."""

    url: str
    copy: Path | None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.copy is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        with closing(sqlite3.connect(self.copy)) as database:
            return database.execute(sql).fetchall()

    def value(self, sql: str) -> Any:
        rows = self.rows(sql)
        return rows[0][0] if rows else None


def shared_database(folder: Path) -> SharedDatabase:
    """Call once the test's data is written: on SQLite the subprocesses get a file copy of it."""
    configured = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(configured["USER"] or "", safe="")
        if configured["PASSWORD"]:
            credentials += ":" + quote(configured["PASSWORD"], safe="")
        host, port = configured["HOST"] or "127.0.0.1", configured["PORT"] or 5432
        return SharedDatabase(f"postgres://{credentials}@{host}:{port}/{configured['NAME']}", None)
    assert connection.vendor == "sqlite"
    copy = folder / "shared.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(copy)) as target:
        connection.connection.backup(target)
    return SharedDatabase(f"sqlite:///{copy}", copy)


def environment(redis_server: ThrowawayRedis, database: SharedDatabase, **extra: str) -> dict[str, str]:
    """The production configuration: Redis as broker, result backend and cache; the shared database."""
    inherited = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    return {
        **inherited,
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def wait_for(condition: Callable[[], T], *, timeout: float, failure: Callable[[], str]) -> T:
    """Polls until the condition gives something true; fails with `failure()` when the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s: {failure()}")
        time.sleep(0.1)


def printed(*files: Path) -> str:
    return "\n".join(f"--- {file.name}:\n{file.read_text(errors='replace')}" for file in files if file.exists())


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_worker(env: dict[str, str], folder: Path, *options: str) -> subprocess.Popen[bytes]:
    """A Celery worker of the project's app; what it prints goes to files in `folder`."""
    with open(folder / "worker.out", "wb") as out, open(folder / "worker.err", "wb") as err:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *options,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )


# --- Redis stopped while a secretary submits a report ------------------------------------------------------

WEB_PROCESS = """
import json, os, sys, time
from pathlib import Path

import django

django.setup()
from django.test import Client

from accounts.models import User
from config.celery import app

# A running web process: its pooled broker connection was open before Redis went away.
with app.producer_or_acquire() as producer:
    producer.connection.ensure_connection(max_retries=3)
client = Client()
client.force_login(User.objects.get(username=sys.argv[1]))
folder = Path(sys.argv[3])
(folder / "ready").touch()
while not (folder / "go").exists():
    time.sleep(0.05)
started = time.monotonic()
response = client.post(sys.argv[2])
print(json.dumps({"status": response.status_code, "location": response.get("Location", ""),
                  "seconds": time.monotonic() - started}))
"""


def filled_report(cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    report = cycle.reports.get(organization=tree.branch)
    sections = {title: f"<p>{title}：已按要求落实。</p>" for title in cycle.section_titles()}
    return services.report_save(report=report, sections=sections, revision=0, by=people.branch_secretary)


def test_a_report_submitted_while_redis_is_down_is_saved_and_its_notice_goes_out_once_redis_is_back(
    throwaway_redis: ThrowawayRedis, open_cycle: Cycle, tree: Tree, people: SimpleNamespace, tmp_path: Path
) -> None:
    report = filled_report(open_cycle, tree, people)
    database = shared_database(tmp_path)
    env = environment(throwaway_redis, database, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    submit_url = reverse("report_submit", args=[report.pk])
    with open(tmp_path / "web.err", "wb") as web_errors:
        web = subprocess.Popen(
            [sys.executable, "-c", WEB_PROCESS, people.branch_secretary.username, submit_url, str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=web_errors,
        )
    worker: subprocess.Popen[bytes] | None = None
    try:
        wait_for(
            lambda: (tmp_path / "ready").exists() or web.poll() is not None,
            timeout=SECONDS,
            failure=lambda: printed(tmp_path / "web.err"),
        )
        assert web.poll() is None, printed(tmp_path / "web.err")

        throwaway_redis.stop()
        (tmp_path / "go").touch()
        out, _err = web.communicate(timeout=SECONDS)
        assert web.returncode == 0, printed(tmp_path / "web.err")
        answer = json.loads(out.decode().strip().splitlines()[-1])

        # The secretary sees the report submitted, at once: the outage costs no error and no long wait.
        assert answer["status"] == 302, printed(tmp_path / "web.err")
        assert answer["location"] == reverse("report_detail", args=[report.pk])
        assert answer["seconds"] < 10, f"the submit waited {answer['seconds']:.1f} s for Redis"
        assert database.value(f"SELECT status FROM reviews_dutyreport WHERE id = {report.pk}") == "submitted"
        recipient = people.committee_secretary
        notice = (
            "SELECT d.status, d.target FROM accounts_delivery d JOIN accounts_notification n"
            f" ON n.id = d.notification_id WHERE n.recipient_id = {recipient.pk} AND n.kind = 'report_submitted'"
        )
        assert database.rows(notice) == [("pending", recipient.email)]  # waiting in the outbox

        throwaway_redis.start()
        worker = start_worker(env, tmp_path, "--pool=solo")
        # Beat's minutely sweep, sent here as beat sends it rather than waiting for the next minute.
        beat = Celery("faults-beat", broker=throwaway_redis.url, set_as_current=False)
        try:
            beat.send_task("notifications.deliver")
        finally:
            beat.close()
        wait_for(
            lambda: database.rows(notice) == [("sent", recipient.email)],
            timeout=SECONDS,
            failure=lambda: f"the delivery is {database.rows(notice)}\n{printed(tmp_path / 'worker.err')}",
        )
    finally:
        stop(web)
        if worker is not None:
            stop(worker)
    # The console mail backend printed the message the worker sent (Celery logs a task's prints).
    assert f"To: {recipient.email}" in printed(tmp_path / "worker.out", tmp_path / "worker.err")


# --- a worker killed while rendering a PDF --------------------------------------------------------------

WORKER_HOLDING_THE_FIRST_RENDER = """
import os, time

import django

django.setup()
from workbench import pdf, renders

# Fonts and WeasyPrint loaded once before the pool forks, so the retried render does not pay for them.
pdf.render_pdf("<p>预热</p>")
real_document_html = renders.document_html
marker = os.environ["FIRST_RENDER_MARKER"]


def document_html(*args, **kwargs):
    # The first render tells the test which process renders and waits there to be killed; later ones render.
    if os.path.exists(marker):
        return real_document_html(*args, **kwargs)
    with open(marker + ".tmp", "w") as file:
        file.write(str(os.getpid()))
    os.rename(marker + ".tmp", marker)
    time.sleep(120)
    raise RuntimeError("the test should have killed this render")


renders.document_html = document_html  # before the pool forks, so its processes render through it

from config.celery import app

app.worker_main(["worker", "--pool=prefork", "--concurrency=1", "--loglevel=WARNING",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"])
"""


def test_a_render_whose_worker_is_killed_is_retried_and_leaves_exactly_one_file(
    throwaway_redis: ThrowawayRedis, tree: Tree, people: SimpleNamespace, tmp_path: Path
) -> None:
    if not pdf.cjk_font_families():
        unavailable("no Chinese font (fonts-noto-cjk) is installed")
    rendered = RenderedReport.objects.create(
        organization=tree.branch,
        year=timezone.localdate().year,
        kind=RenderedReport.Kind.ORGANIZATION,
        requested_by=people.branch_secretary,
    )
    database = shared_database(tmp_path)
    media = tmp_path / "media"
    marker = tmp_path / "first-render.pid"
    env = environment(throwaway_redis, database, MEDIA_ROOT=str(media), FIRST_RENDER_MARKER=str(marker))
    with open(tmp_path / "worker.out", "wb") as out, open(tmp_path / "worker.err", "wb") as err:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER_HOLDING_THE_FIRST_RENDER], cwd=ROOT, env=env, stdout=out, stderr=err
        )
    status = f"SELECT status FROM reviews_renderedreport WHERE id = {rendered.pk}"
    try:
        # What rendered_report_request queues after its commit.
        client = Celery("faults-web", broker=throwaway_redis.url, set_as_current=False)
        try:
            client.send_task("workbench.render_report", args=[rendered.pk])
        finally:
            client.close()
        wait_for(
            lambda: marker.exists() or worker.poll() is not None,
            timeout=SECONDS,
            failure=lambda: printed(tmp_path / "worker.err"),
        )
        assert worker.poll() is None, printed(tmp_path / "worker.err")
        assert database.value(status) == "rendering"

        os.kill(int(marker.read_text()), signal.SIGKILL)

        final = wait_for(
            lambda: database.value(status) in {"ready", "failed"} and database.value(status),
            timeout=SECONDS,
            failure=lambda: f"the render is {database.value(status)!r}\n{printed(tmp_path / 'worker.err')}",
        )
    finally:
        stop(worker)

    error = database.value(f"SELECT error FROM reviews_renderedreport WHERE id = {rendered.pk}")
    assert final == "ready", error
    assert database.value("SELECT COUNT(*) FROM reviews_renderedreport") == 1
    name = database.value(f"SELECT file FROM reviews_renderedreport WHERE id = {rendered.pk}")
    files = sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())
    assert files == [name]
    assert (media / name).read_bytes().startswith(b"%PDF")


# --- the database connection dropped -----------------------------------------------------------------


def signed_in_cookie(person: User) -> str:
    client = Client()
    client.force_login(person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def serve(path: str, cookie: str) -> tuple[int, str]:
    """One request through Django's WSGI handler as a WSGI server runs it, request_finished and all.

    (The test client skips closing broken connections between requests; a server does not.)
    """
    environ = RequestFactory().get(path, HTTP_COOKIE=cookie).environ
    statuses: list[int] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        statuses.append(int(status.split()[0]))
        return lambda data: None

    response = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()
    return statuses[0], body.decode()


def terminate_backend(pid: int) -> None:
    """Kills the PostgreSQL backend of a connection from a second one, as a restart or a proxy timeout would."""
    admin = connections.create_connection("default")
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

        def gone() -> bool:
            with admin.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                return cursor.fetchone()[0] == 0

        wait_for(gone, timeout=10, failure=lambda: f"backend {pid} is still there")
    finally:
        admin.close()


def test_a_request_whose_database_connection_drops_gets_the_error_page_and_the_next_one_succeeds(
    tree: Tree, people: SimpleNamespace
) -> None:
    cookie = signed_in_cookie(people.branch_secretary)
    assert serve("/", cookie)[0] == 200
    dropped: list[str] = []

    def drop_the_connection(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if dropped:
            return execute(sql, params, many, context)
        dropped.append(sql)
        if connection.vendor == "postgresql":
            terminate_backend(connection.connection.get_backend_pid())
            return execute(sql, params, many, context)
        # SQLite runs in this process: there is no server connection to lose. The nearest fault is the
        # database failing the request's statement, here by aborting it.
        raw = connection.connection
        raw.set_progress_handler(lambda: 1, 1)
        try:
            return execute(sql, params, many, context)
        finally:
            raw.set_progress_handler(None, 1)

    with connection.execute_wrapper(drop_the_connection):
        status, page = serve("/", cookie)
    assert dropped, "the request made no query"
    assert status == 500, page[:500]
    assert "服务器暂时出错" in page  # templates/500.html

    status, page = serve("/", cookie)
    assert status == 200, page[:500]


@pytest.mark.postgres
def test_a_connection_dropped_between_requests_is_replaced_before_the_next_request_uses_it(
    tree: Tree, people: SimpleNamespace
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs in this process: it has no server connection to drop between requests.")
    cookie = signed_in_cookie(people.branch_secretary)
    assert serve("/", cookie)[0] == 200
    # CONN_MAX_AGE kept the connection open for the next request; the server ends it meanwhile.
    assert connection.connection is not None
    terminate_backend(connection.connection.get_backend_pid())

    status, page = serve("/", cookie)
    assert status == 200, page[:500]
