"""manage.py compare_texts: signatures and pairs for texts loaded without the services that compare on save."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from similarity import bulk, kinds


class Command(BaseCommand):
    help = "为尚未比对的述职报告、履责记实、整改措施、会议记录计算签名并找出相似文本（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            choices=[kind.key for kind in kinds.registered()],
            help="只比对这一类（可重复）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        summary = bulk.compare_all(options["kind"])
        self.stdout.write(f"{summary}（用时 {time.monotonic() - started:.1f} 秒）")
