"""Deletes audit-trail rows older than AUDIT_RETENTION_DAYS (at least 180, checked at start)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.audit_views import AUDITED_MODELS


class Command(BaseCommand):
    help = "删除超过保存期限（AUDIT_RETENTION_DAYS）的操作日志。"

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        total = 0
        for label in AUDITED_MODELS:
            deleted, _ = apps.get_model(label).history.filter(history_date__lt=cutoff).delete()
            total += deleted
        self.stdout.write(f"pruned {total} audit rows older than {settings.AUDIT_RETENTION_DAYS} days")
