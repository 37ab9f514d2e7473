"""The workflows' transition tables and the checks every service makes: who may act, a valid year, a valid target."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, User
from foundation.errors import DomainError
from responsibility.models import DutyRecord, Period, ResponsibilityList

ListStatus = ResponsibilityList.Status
RecordStatus = DutyRecord.Status

# The one place that says which list and record transitions are allowed.
LIST_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({ListStatus.DRAFT, ListStatus.RETURNED}), ListStatus.SUBMITTED),
    "approve": (frozenset({ListStatus.SUBMITTED}), ListStatus.APPROVED),
    "return": (frozenset({ListStatus.SUBMITTED}), ListStatus.RETURNED),
    "revise": (frozenset({ListStatus.APPROVED}), ListStatus.DRAFT),
}
RECORD_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({RecordStatus.SUBMITTED}), RecordStatus.ACCEPTED),
    "return": (frozenset({RecordStatus.SUBMITTED, RecordStatus.ACCEPTED}), RecordStatus.RETURNED),
    "resubmit": (frozenset({RecordStatus.RETURNED}), RecordStatus.SUBMITTED),
}


Action = permissions.Action
KEEPS = (Action.MANAGE,)
"""The organization's own work: its plans, templates and commitment are kept by its leaders."""
KEEPS_OR_ABOVE = (Action.MANAGE, Action.SUPERVISE)
"""A list and its items: kept by the organization's leaders, and the committees above may act on it too."""
SUPERVISES = (Action.SUPERVISE,)
"""Approving, returning and closing a list, accepting and returning a record: the committees above."""


def check_actor(by: User, organization: Organization, actions: tuple[Action, ...]) -> None:
    """Refuses BY (PermissionDenied) unless they may do one of ACTIONS on the organization now, however the
    service was called: a page, a task, a command. A position that has ended grants nothing."""
    if not any(permissions.can(by, action, organization) for action in actions):
        raise PermissionDenied


def check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度 %(year)s 无效。") % {"year": year})


def check_target(*, year: int, period: str, count: Any, due_date: date | None) -> int:
    """A target is a positive whole count per period, or one due date inside the year."""
    if period not in Period.values:
        raise DomainError(_("请选择有效的周期。"))
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise DomainError(_("目标次数必须是正整数。"))
    if count > 366:
        raise DomainError(_("目标次数不能超过 366。"))
    if period == Period.ONCE:
        if due_date is None:
            raise DomainError(_("限期完成的条目须填写完成期限。"))
        if due_date.year != year:
            raise DomainError(_("完成期限须在 %(year)s 年内。") % {"year": year})
    return count
