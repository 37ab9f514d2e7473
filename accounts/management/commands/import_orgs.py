"""`manage.py import_orgs FILE [FILE ...]`: the organization tree and people from .xlsx or .csv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.importing import ImportRejected, organizations_import


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 文件导入党组织和人员；只要有一行出错，就不写入任何数据。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="一个 .xlsx 文件，或组织、人员各一个 .csv 文件")

    def handle(self, *args: Any, files: list[str], **options: Any) -> None:
        loaded = []
        for name in files:
            path = Path(name)
            try:
                loaded.append((path.name, path.read_bytes()))
            except OSError as missing:
                raise CommandError(_("无法读取 %(path)s：%(reason)s") % {"path": name, "reason": missing}) from missing
        try:
            result = organizations_import(files=loaded, by=None)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(str(rejected)) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
