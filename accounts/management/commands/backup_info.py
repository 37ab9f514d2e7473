"""`manage.py backup_info`: what scripts/backup and scripts/restore need from the settings.

The scripts ask here instead of parsing DATABASE_URL themselves, so there is one reading of the
environment (config/settings.py) and a backup always targets the database the application uses.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import FileField

# libpq parameters that dj_database_url may put in OPTIONS and that pg_dump / pg_restore must also get.
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options")


def libpq_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Command(BaseCommand):
    help = "显示备份与恢复脚本所需的数据库和 MEDIA_ROOT 设置；--verify 检查数据库引用的文件是否都在。"
    # Runs against a database that may be empty or not migrated yet: no system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--migrations", action="store_true", help="已应用的迁移（JSON）")
        group.add_argument("--tables", action="store_true", help="数据库中的表数（0 表示空库）")
        group.add_argument("--verify", action="store_true", help="统计数据并检查每个佐证材料和报告文件是否存在")

    def handle(self, *args: Any, migrations: bool, tables: bool, verify: bool, **options: Any) -> None:
        if migrations:
            self._migrations()
        elif tables:
            self._tables()
        elif verify:
            self._verify()
        else:
            self._shell()

    def _shell(self) -> None:
        """Shell assignments (values quoted with shlex), for `eval` in the scripts."""
        database = settings.DATABASES[DEFAULT_DB_ALIAS]
        engine = database["ENGINE"].rsplit(".", 1)[-1]
        if engine not in {"postgresql", "sqlite3"}:
            raise CommandError(f"Backups support PostgreSQL and SQLite, not {database['ENGINE']}.")
        values = {
            "DB_ENGINE": "postgresql" if engine == "postgresql" else "sqlite",
            "DB_NAME": str(database["NAME"]),
            "MEDIA_ROOT": str(Path(settings.MEDIA_ROOT).resolve()),
        }
        if engine == "postgresql":
            parts = {
                "host": database.get("HOST") or "",
                "port": str(database.get("PORT") or ""),
                "dbname": database["NAME"],
                "user": database.get("USER") or "",
            }
            parts.update(
                {key: str(value) for key, value in database.get("OPTIONS", {}).items() if key in LIBPQ_OPTIONS}
            )
            values["DB_CONNINFO"] = " ".join(f"{key}={libpq_quote(value)}" for key, value in parts.items() if value)
            # Handed to pg_dump as PGPASSWORD, never on its command line where `ps` would show it.
            values["DB_PASSWORD"] = database.get("PASSWORD") or ""
        else:
            values["DB_NAME"] = str(Path(database["NAME"]).resolve())
        for name, value in values.items():
            self.stdout.write(f"{name}={shlex.quote(value)}")

    def _connection(self) -> Any:
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            connection.ensure_connection()
        except OperationalError as error:
            raise CommandError(f"Cannot connect to the database {connection.settings_dict['NAME']}: {error}") from error
        return connection

    def _migrations(self) -> None:
        applied = MigrationRecorder(self._connection()).applied_migrations()
        self.stdout.write(json.dumps(sorted(f"{app}.{name}" for app, name in applied)))

    def _tables(self) -> None:
        database = settings.DATABASES[DEFAULT_DB_ALIAS]
        # Connecting would create a missing SQLite file: a missing file is an empty database.
        if database["ENGINE"].endswith("sqlite3") and not Path(database["NAME"]).exists():
            self.stdout.write("0")
            return
        self.stdout.write(str(len(self._connection().introspection.table_names())))

    def _verify(self) -> None:
        # By label: the check covers the whole database, the domains above accounts included.
        counted = {"organizations": "accounts.Organization", "users": "accounts.User"}
        counted["duty records"] = "responsibility.DutyRecord"
        self._connection()
        for label, model_label in counted.items():
            self.stdout.write(f"{label}: {apps.get_model(model_label)._default_manager.count()}")
        # Every file field of every model (evidence of records and of rectification, rendered
        # reports...), so a new kind of upload is checked without changing this command. The audit
        # trail's copies are text fields and are rightly skipped: they may name deleted files.
        missing: list[str] = []
        for model in apps.get_models():
            for field in model._meta.get_fields():
                if not isinstance(field, FileField):
                    continue
                names = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                count = 0
                for name in names.iterator():
                    count += 1
                    if not default_storage.exists(name):
                        missing.append(name)
                self.stdout.write(f"files of {model._meta.label}.{field.name}: {count}")
        if missing:
            shown = "\n  ".join(missing[:20])
            raise CommandError(
                f"{len(missing)} file(s) referenced by the database are missing from MEDIA_ROOT:\n  {shown}"
            )
        self.stdout.write(self.style.SUCCESS("all files referenced by the database are present"))
