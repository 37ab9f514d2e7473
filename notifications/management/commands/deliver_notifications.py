"""`manage.py deliver_notifications`: send everything pending in the outbox now (after a broker or mail outage)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from notifications import delivery as notification_delivery


class Command(BaseCommand):
    help = "立即发送待发送的消息（邮件、群机器人）；失败的按退避时间稍后重试。可重复运行，已发送的不会重发。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=10_000, help="本次最多处理的条数（默认 10000）")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        # A failed delivery waits at least a minute before its next attempt, so one pass ends.
        counts = notification_delivery.deliver(limit=limit)
        self.stdout.write(
            self.style.SUCCESS(
                _("已发送 %(sent)s 条，稍后重试 %(retrying)s 条，放弃 %(failed)s 条。")
                % {"sent": counts.sent, "retrying": counts.retrying, "failed": counts.failed}
            )
        )
