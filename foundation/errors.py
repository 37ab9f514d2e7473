"""DomainError, the one way a service refuses an action, and the small checks every service makes."""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule refused the action; the message is shown to the person."""


Transitions = dict[str, tuple[frozenset[str], str]]


def transition(table: Transitions, action: str, current: str, label: str) -> str:
    """The state ACTION leads to from CURRENT by a workflow's table; refuses an illegal one by its label."""
    allowed_from, target = table[action]
    if current not in allowed_from:
        raise DomainError(_("当前状态为“%(status)s”，不能执行此操作。") % {"status": label})
    return target


def clean_text(value: str, *, field: str, max_length: int | None = None) -> str:
    """The text stripped; refuses it empty or longer than MAX_LENGTH, naming the field."""
    value = (value or "").strip()
    if not value:
        raise DomainError(_("请填写%(field)s。") % {"field": field})
    if max_length is not None and len(value) > max_length:
        raise DomainError(_("%(field)s不能超过 %(max)s 个字。") % {"field": field, "max": max_length})
    return value
