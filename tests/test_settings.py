"""Settings come from the environment: local defaults, and a production mode that refuses unsafe starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import django; django.setup(); from django.conf import settings; print({probe})"
GOOD_KEY = "k" * 50


def load_settings(probe: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    environment.update(variables, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(probe=probe)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_nothing_set_means_sqlite_in_process_tasks_and_debug() -> None:
    result = load_settings(
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, settings.DEBUG, "
        "settings.LANGUAGE_CODE, settings.TIME_ZONE",
        DJANGO_ENV="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3 True True zh-hans Asia/Shanghai"


def test_database_url_and_redis_url_switch_to_postgresql_and_a_real_broker() -> None:
    result = load_settings(
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/example",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql False redis://127.0.0.1:6379/3"


def test_postgresql_connections_run_without_jit_and_keep_options_from_the_url() -> None:
    result = load_settings(
        "settings.DATABASES['default']['OPTIONS']['options'], settings.DATABASES['default']['CONN_HEALTH_CHECKS']",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/example?options=-c%20statement_timeout%3D30000",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c statement_timeout=30000 -c jit=off True"


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "true", "ALLOWED_HOSTS": "dj.example.org"}, "DEBUG"),
        ({"SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_unsafe(variables: dict[str, str], complaint: str) -> None:
    result = load_settings("settings.DEBUG", DJANGO_ENV="production", **variables)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_starts_with_a_key_and_hosts_and_debug_off() -> None:
    result = load_settings(
        "settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS > 0",
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="dj.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True"


def test_a_wrong_number_is_named_in_the_error() -> None:
    result = load_settings("settings.IMPORT_MAX_BYTES", IMPORT_MAX_BYTES="ten")
    assert result.returncode != 0
    assert "IMPORT_MAX_BYTES" in result.stderr


def test_import_limits_have_defaults_and_must_be_at_least_one() -> None:
    result = load_settings(
        "settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_UNCOMPRESSED_BYTES, "
        "settings.IMPORT_MAX_COMPRESSION_RATIO"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "20000 50 52428800 100"

    result = load_settings("settings.IMPORT_MAX_ROWS", IMPORT_MAX_ROWS="0")
    assert result.returncode != 0
    assert "IMPORT_MAX_ROWS" in result.stderr


def test_earlier_secret_keys_are_taken_from_a_comma_separated_list() -> None:
    result = load_settings("settings.SECRET_KEY_FALLBACKS", SECRET_KEY_FALLBACKS=" old-key-one , old-key-two ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['old-key-one', 'old-key-two']"
    assert load_settings("settings.SECRET_KEY_FALLBACKS").stdout.strip() == "[]"
