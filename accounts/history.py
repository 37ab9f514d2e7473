"""The audit trail (docs/architecture.md, "Audit trail").

django-simple-history keeps a row per create, update and delete of the tracked domain models; this
module adds where the change came from and lists what is tracked, so the audit page and the pruning
command share one list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from foundation.client import client_address


class AddressedHistoricalRecord(models.Model):
    """Base of every history table: who and when come from simple_history, from where from here."""

    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        abstract = True


def audited(**options: Any) -> HistoricalRecords:
    """The history manager for a tracked model; the audit page reads it, nothing edits it."""
    return HistoricalRecords(bases=[AddressedHistoricalRecord], **options)


@receiver(pre_create_historical_record, dispatch_uid="accounts.history.address")
def _record_address(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    history_instance.ip_address = client_address(request)


def prune(*, now: datetime | None = None) -> int:
    """Deletes the audit rows older than AUDIT_RETENTION_DAYS; returns how many. Beat runs it nightly."""
    # Imported here: the audit page's module imports the models, which import this one.
    from accounts.audit_views import AUDITED_MODELS

    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    total = 0
    for label in AUDITED_MODELS:
        deleted, _by_model = apps.get_model(label).history.filter(history_date__lt=cutoff).delete()
        total += deleted
    return total
