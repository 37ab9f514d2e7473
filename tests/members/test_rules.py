"""The roll's arithmetic: the ID number's checksum and the 转正 dates (property-based)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.errors import DomainError
from members import rules

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))


@given(days)
def test_probation_ends_a_year_later_on_the_same_day_or_the_months_last(joined: date) -> None:
    due = rules.probation_due(joined)
    assert due > joined
    assert (due.year, due.month) == (joined.year + 1, joined.month)
    assert due.day == joined.day or (joined.month, joined.day, due.day) == (2, 29, 28)


@given(days, st.integers(min_value=-600, max_value=600))
def test_adding_months_moves_the_month_and_never_overflows_it(day: date, months: int) -> None:
    moved = rules.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    assert moved.day == day.day or (moved + timedelta(days=1)).day == 1


@given(days, st.integers(min_value=-400, max_value=400))
def test_due_soon_and_overdue_never_both_hold(today: date, offset: int) -> None:
    due = today + timedelta(days=offset)
    soon, overdue = rules.is_due_soon(due, today), rules.is_overdue(due, today)
    assert not (soon and overdue)
    assert overdue == (offset < 0)
    assert soon == (offset >= 0 and due <= rules.add_months(today, rules.DUE_SOON_MONTHS))
    if 0 <= offset <= 89:
        assert soon


@given(days, st.integers(min_value=0, max_value=999), st.sampled_from(["110101", "440305", "650102"]))
def test_a_generated_id_number_is_accepted_and_a_changed_digit_refused(born: date, serial: int, area: str) -> None:
    first17 = f"{area}{born:%Y%m%d}{serial:03d}"
    number = first17 + rules.id_check_digit(first17)
    assert rules.clean_id_number(number.lower()) == number
    assert rules.id_birth_date(number) == born
    wrong = first17 + next(digit for digit in "0123456789X" if digit != number[-1])
    with pytest.raises(DomainError):
        rules.clean_id_number(wrong)
