"""Backups: scripts/backup, then scripts/restore into an empty database, bring back the data and the evidence.

The scripts run as an operator runs them (docs/operations.md), as subprocesses pointed by DATABASE_URL
and MEDIA_ROOT at the test database; the restored database is then read directly, without Django.
Runs on SQLite and on PostgreSQL (scripts/test-all's two passes).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from responsibility import services
from responsibility.models import Category, DutyType, ResponsibilityList
from tests.responsibility import conftest as responsibility_fixtures
from tests.responsibility.test_evidence import png_bytes, png_file

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = connection.vendor == "postgresql"

# The responsibility tests' fixtures: the branch's approved list that the record is added to.
branch_list = responsibility_fixtures.branch_list


@pytest.fixture
def category(db: None) -> Category:
    """The migration's default category; made again when a transactional test before this one flushed it."""
    return Category.objects.get_or_create(name="组织建设", defaults={"order": 1})[0]


year = responsibility_fixtures.year


def run(script: str, *args: str, database_url: str, media_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    return subprocess.run([str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True, timeout=120)


def manage(*args: str, database_url: str, media_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def postgres_url(name: str) -> str:
    config = connection.settings_dict
    password = f":{quote(config['PASSWORD'], safe='')}" if config["PASSWORD"] else ""
    return f"postgres://{quote(config['USER'], safe='')}{password}@{config['HOST']}:{config['PORT'] or 5432}/{name}"


def postgres_admin(statement: Any) -> None:
    import psycopg2

    config = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"],
        port=config["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(statement)
    admin.close()


def backup(tmp_path: Path, database_url: str) -> Path:
    """Backs up the database at database_url and MEDIA_ROOT; returns the backup directory."""
    result = run(
        "backup", "--output", str(tmp_path / "backups"), database_url=database_url, media_root=settings.MEDIA_ROOT
    )
    assert result.returncode == 0, result.stderr
    directory = Path(result.stdout.strip().splitlines()[-1])
    assert {path.name for path in directory.iterdir()} == {
        "database.dump" if POSTGRES else "database.sqlite3",
        "media.tar.gz",
        "manifest.json",
        "SHA256SUMS",
    }
    return directory


def source_database_url(tmp_path: Path) -> str:
    if POSTGRES:
        return postgres_url(connection.settings_dict["NAME"])
    # pytest-django's SQLite test database lives in memory: give the script a file of it.
    connection.ensure_connection()
    live = tmp_path / "live.sqlite3"
    with sqlite3.connect(live) as copy:
        connection.connection.backup(copy)
    copy.close()
    return f"sqlite:///{live}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[SimpleNamespace]:
    """A new, empty database to restore into: a PostgreSQL database beside the test one, or a new SQLite file."""
    if not POSTGRES:
        path = tmp_path / "restored.sqlite3"
        path.touch()  # an empty file is an empty SQLite database

        def query_file(statement: str) -> list[tuple[Any, ...]]:
            restored = sqlite3.connect(path)
            rows = restored.execute(statement).fetchall()
            restored.commit()
            restored.close()
            return rows

        yield SimpleNamespace(url=f"sqlite:///{path}", query=query_file)
        return

    import psycopg2
    from psycopg2 import sql

    name = f"{connection.settings_dict['NAME']}_restore"
    postgres_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    postgres_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def query(statement: str) -> list[tuple[Any, ...]]:
        config = connection.settings_dict
        restored = psycopg2.connect(
            dbname=name,
            user=config["USER"],
            password=config["PASSWORD"] or None,
            host=config["HOST"],
            port=config["PORT"] or 5432,
        )
        with restored.cursor() as cursor:
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        restored.commit()
        restored.close()
        return rows

    yield SimpleNamespace(url=postgres_url(name), query=query)
    postgres_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# Committed data, since pg_dump cannot see a test's open transaction. Not serialized_rollback:
# reloading the serialized database after another transactional test re-created the content
# types collides with them (pytest-django runs transactional tests last, in any order).
@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_brings_back_the_records_and_their_evidence(
    people: SimpleNamespace, branch_list: ResponsibilityList, empty_database: SimpleNamespace, tmp_path: Path
) -> None:
    record = services.record_add(
        item=branch_list.items.get(duty_type=DutyType.FIRST),
        occurred_on=timezone.localdate(),
        content="讲专题党课：学习贯彻党章",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
        files=[png_file()],
    )
    stored_name = record.evidence.get().file.name
    backup_dir = backup(tmp_path, source_database_url(tmp_path))

    restored_media = tmp_path / "restored-media"
    result = run("restore", str(backup_dir), database_url=empty_database.url, media_root=restored_media)
    assert result.returncode == 0, result.stderr

    organizations = {name for (name,) in empty_database.query("SELECT name FROM accounts_organization")}
    assert {"县委", "甲镇党委", "一村党支部", "另一县一村党支部"} <= organizations
    assert empty_database.query("SELECT content FROM responsibility_dutyrecord") == [("讲专题党课：学习贯彻党章",)]
    assert empty_database.query("SELECT file, original_name FROM responsibility_evidence") == [
        (stored_name, "会议照片.png")
    ]
    assert (restored_media / stored_name).read_bytes() == png_bytes()

    # The check docs/operations.md tells the operator to run after a restore.
    verify = manage("backup_info", "--verify", database_url=empty_database.url, media_root=restored_media)
    assert verify.returncode == 0, verify.stderr
    assert "files of responsibility.Evidence.file: 1" in verify.stdout

    (restored_media / stored_name).unlink()
    verify = manage("backup_info", "--verify", database_url=empty_database.url, media_root=restored_media)
    assert verify.returncode != 0
    assert f"missing from MEDIA_ROOT:\n  {stored_name}" in verify.stderr


# The refusals need a valid backup, not data: a backup of the (empty) target database will do.
@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(empty_database: SimpleNamespace, tmp_path: Path) -> None:
    empty_database.query("CREATE TABLE something_already_here (id integer)")
    backup_dir = backup(tmp_path, empty_database.url)

    result = run("restore", str(backup_dir), database_url=empty_database.url, media_root=tmp_path / "restored-media")

    assert result.returncode != 0
    assert "is not empty" in result.stderr
    assert "--force" in result.stderr
    assert not (tmp_path / "restored-media").exists()
    assert empty_database.query("SELECT count(*) FROM something_already_here") == [(0,)]


@pytest.mark.django_db
def test_restore_refuses_a_damaged_backup_and_touches_nothing(empty_database: SimpleNamespace, tmp_path: Path) -> None:
    backup_dir = backup(tmp_path, empty_database.url)
    archive = backup_dir / "media.tar.gz"
    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    archive.write_bytes(bytes(damaged))

    result = run("restore", str(backup_dir), database_url=empty_database.url, media_root=tmp_path / "restored-media")

    assert result.returncode != 0
    assert "checksum mismatch for media.tar.gz" in result.stderr
    assert "nothing was restored" in result.stderr
    assert not (tmp_path / "restored-media").exists()
    tables = (
        "SELECT name FROM sqlite_master"
        if not POSTGRES
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    assert empty_database.query(tables) == []
