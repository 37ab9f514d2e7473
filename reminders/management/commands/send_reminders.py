"""`manage.py send_reminders [--date YYYY-MM-DD]`: the daily deadline reminders, by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from reminders import sweep


class Command(BaseCommand):
    help = "发送当天到期和逾期事项的提醒（与每天的定时任务相同，可重复运行，已发送的不会重复发送）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="按这一天计算（默认今天）")

    def handle(self, *args: Any, date: str | None = None, **options: Any) -> None:
        today = _parse_date(date) if date else None
        result = sweep.sweep(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                _("已检查 %(scanned)s 个期限，发送 %(sent)s 条提醒。")
                % {"scanned": result.scanned, "sent": result.sent}
            )
        )


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期 %(value)s 无效，请用 YYYY-MM-DD 格式。") % {"value": value}) from None
