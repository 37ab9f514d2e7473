"""What every review service shares: the statuses' names, numbers typed by a person, the actor's check."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from foundation.errors import DomainError
from reviews.models import (
    Cycle,
    DutyReport,
)

CycleStatus = Cycle.Status
ReportStatus = DutyReport.Status


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(field)s须是数字。") % {"field": field}) from None
    if not number.is_finite():
        raise DomainError(_("%(field)s须是数字。") % {"field": field})
    return number


def _require(allowed: bool) -> None:
    """Refuses an actor who may not do this, whoever calls (a page, a task, a command)."""
    if not allowed:
        raise PermissionDenied
