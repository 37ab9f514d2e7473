"""The roll's pure rules: the ID number's checksum (GB 11643) and the 转正 date arithmetic."""

from __future__ import annotations

import calendar
import re
from datetime import date

from django.utils.translation import gettext as _

from foundation.errors import DomainError

_ID_NUMBER = re.compile(r"\d{17}[\dX]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"
PROBATION_MONTHS = 12
"""A 预备党员's probation is one year from the day they joined (党章第七条)."""
DUE_SOON_MONTHS = 3
"""The committee's figures count a 转正 due within this many months as due soon."""


def id_check_digit(first17: str) -> str:
    return _CHECK_DIGITS[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def clean_id_number(value: str) -> str:
    """An 18-character ID number with a valid birth date and check digit, upper-cased; empty stays empty."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if not _ID_NUMBER.fullmatch(value):
        raise DomainError(_("身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X。"))
    if id_birth_date(value) is None or id_check_digit(value[:17]) != value[17]:
        raise DomainError(_("身份证号校验不通过，请核对。"))
    return value


def id_birth_date(value: str) -> date | None:
    """The birth date an ID number carries, or None if it names no real day."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def add_months(day: date, months: int) -> date:
    """The same day MONTHS later; the month's last day where it is shorter (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def probation_due(joined_on: date) -> date:
    """When a 预备党员 who joined on JOINED_ON is due for 转正."""
    return add_months(joined_on, PROBATION_MONTHS)


def is_due_soon(due: date, today: date) -> bool:
    """Due from today to DUE_SOON_MONTHS months ahead, inclusive."""
    return today <= due <= add_months(today, DUE_SOON_MONTHS)


def is_overdue(due: date, today: date) -> bool:
    return due < today
