"""The audit trail (docs/architecture.md, "Audit trail").

django-simple-history keeps a row per create, update and delete of the tracked domain models; this
module adds where the change came from and keeps the register of what is tracked: each app registers
its own models (`register_audited`, from its AppConfig.ready) with how a row reaches its organization
and which of a row's fields a person may read, so the audit page, the pruning and the system check
share one list and this bottom layer names no domain model.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from foundation.client import client_address

ReadableFields = Callable[[Any, Any], Collection[str] | None]
"""(user, history row) -> the names of the row's fields the user may read, or None: the row is not shown."""
ShownRows = Callable[[Any], Q]
"""user -> a filter of the rows the rule may show, so that the database leaves out most of the others."""


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


@dataclass(frozen=True)
class AuditedModel:
    """A tracked model as its app registered it."""

    label: str
    organization_prefix: str
    """How a row reaches its organization ("" for the organization itself); the audit page filters by it."""
    readable_fields: ReadableFields
    related: tuple[str, ...]
    """What `readable_fields` reads beyond the row (select_related paths), fetched with the rows."""
    shown_q: ShownRows | None
    """Where a rule hides many of the rows a reader's organizations reach: the same rule as a filter, so the
    hidden rows do not take the places of shown ones among the latest the page reads. The rule still decides."""

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def history_model(self) -> Any:
        return self.model.history.model  # type: ignore[attr-defined]


_REGISTER: dict[str, AuditedModel] = {}


def register_audited(
    model_label: str,
    organization_prefix: str,
    readable_fields: ReadableFields,
    *,
    related: tuple[str, ...] = (),
    shown_q: ShownRows | None = None,
) -> None:
    """Registers a model that has `history = audited()`; its app calls this from AppConfig.ready."""
    _REGISTER[model_label] = AuditedModel(model_label, organization_prefix, readable_fields, tuple(related), shown_q)


def audited_models() -> list[AuditedModel]:
    """Every registered model, in the order the apps registered them."""
    return list(_REGISTER.values())


def audited_model(label: str) -> AuditedModel | None:
    return _REGISTER.get(label)


def every_field(user: Any, row: Any) -> frozenset[str]:
    """The rule of a model whose pages show all of it to everyone who sees its organization."""
    return frozenset(field.name for field in row.tracked_fields)


@checks.register(checks.Tags.models)
def check_audited_models_registered(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A tracked model its app has not registered would be missing from the audit page and never pruned."""
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        manager = getattr(model, "history", None)
        history_model = getattr(manager, "model", None)
        if history_model is None or not issubclass(history_model, AddressedHistoricalRecord):
            continue
        if model._meta.label not in _REGISTER:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is audited but not registered with accounts.history.register_audited.",
                    hint="Call register_audited from its app's AppConfig.ready, with who may read which fields.",
                    obj=model,
                    id="accounts.E001",
                )
            )
    return errors


def prune(*, now: datetime | None = None) -> int:
    """Deletes the audit rows older than AUDIT_RETENTION_DAYS; returns how many. Beat runs it nightly."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    total = 0
    for audited in audited_models():
        deleted, _by_model = audited.history_model.objects.filter(history_date__lt=cutoff).delete()
        total += deleted
    return total
