"""`manage.py refresh_warnings [--date YYYY-MM-DD]`: recompute the colours of items not yet computed for the day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from responsibility import progress


class Command(BaseCommand):
    help = "重新计算未关闭清单中当天尚未计算的条目的红黄绿预警（与每晚的定时任务相同，可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="按这一天计算（默认今天）")

    def handle(self, *args: Any, date: str | None = None, **options: Any) -> None:
        today = _parse_date(date) if date else None
        count = progress.refresh_stale(today=today)
        self.stdout.write(self.style.SUCCESS(_("已重新计算 %(count)s 个条目的预警。") % {"count": count}))


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期 %(value)s 无效，请用 YYYY-MM-DD 格式。") % {"value": value}) from None
