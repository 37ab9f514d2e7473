"""Tasks run in-process by default, and through a real Redis broker and worker when REDIS_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.celery import ping

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "import django; django.setup(); from config.celery import ping; print(ping.delay().get(timeout=30))"


def test_tasks_run_in_process_without_a_broker() -> None:
    assert ping.delay().get(timeout=5) == "pong"


def test_a_real_worker_answers_through_redis(redis_url: str) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="config.settings")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        worker.terminate()
        _out, worker_errors = worker.communicate(timeout=30)
    assert client.returncode == 0, client.stderr + worker_errors
    assert client.stdout.strip() == "pong"
