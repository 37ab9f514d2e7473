"""Deletes audit-trail rows older than AUDIT_RETENTION_DAYS (at least 180); beat runs the same every night."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import history


class Command(BaseCommand):
    help = "删除超过保存期限（AUDIT_RETENTION_DAYS）的操作日志。"

    def handle(self, *args: Any, **options: Any) -> None:
        total = history.prune()
        self.stdout.write(f"pruned {total} audit rows older than {settings.AUDIT_RETENTION_DAYS} days")
