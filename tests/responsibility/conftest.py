"""Fixtures for lists and records on the shared tree (see tests/conftest.py).

`branch_list` is this year's list of 一村党支部 (tree.branch), approved by the
township committee, with one item per duty type. `january_list` is the same list
made on 2 January, before any period ended, for tests that replay the year day by day.
`on_day` sets the day the services and the refresh take as today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Position
from responsibility import services
from responsibility.models import Category, DutyType, Period, ResponsibilityList
from tests.conftest import Tree


@pytest.fixture
def year() -> int:
    return timezone.localdate().year


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.get(name="组织建设")


def localdate_on(day: date) -> Callable[..., date]:
    """A stand-in for timezone.localdate that answers DAY when asked for today."""
    real = timezone.localdate

    def localdate(value: Any = None, timezone: Any = None) -> date:
        return day if value is None else real(value, timezone)

    return localdate


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Call with a day: for the rest of the test, the services and the refresh take it as today."""

    def set_day(day: date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", localdate_on(day))

    return set_day


def approved_branch_list(tree: Tree, people: SimpleNamespace, category: Category, year: int) -> ResponsibilityList:
    secretary = people.branch_secretary
    responsibility_list = services.list_start(organization=tree.branch, year=year, by=secretary)
    member_position = Position.objects.get(person=people.branch_member_of_committee, organization=tree.branch)
    for duty_type, content, period, count, responsible in [
        (DutyType.ORGANIZATION, "每月召开支委会", Period.MONTH, 1, None),
        (DutyType.FIRST, "每季度讲一次党课", Period.QUARTER, 1, None),
        (DutyType.DIRECT, "每半年开展一次组织生活会筹备", Period.HALF, 1, None),
        (DutyType.DUAL, "每年走访联系党员两次", Period.YEAR, 2, member_position),
    ]:
        services.list_item_add(
            responsibility_list=responsibility_list,
            category=category,
            duty_type=duty_type,
            content=content,
            target_period=period,
            target_count=count,
            responsible=responsible,
            by=secretary,
        )
    services.list_submit(responsibility_list=responsibility_list, by=secretary)
    services.list_approve(responsibility_list=responsibility_list, by=people.committee_secretary, comment="同意")
    responsibility_list.refresh_from_db()
    return responsibility_list


@pytest.fixture
def branch_list(tree: Tree, people: SimpleNamespace, category: Category, year: int) -> ResponsibilityList:
    return approved_branch_list(tree, people, category, year)


@pytest.fixture
def january_list(tree: Tree, people: SimpleNamespace, category: Category, year: int) -> ResponsibilityList:
    """branch_list as made on 2 January: its items were judged before any period ended, so it has no late marks."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.localdate", localdate_on(date(year, 1, 2)))
        return approved_branch_list(tree, people, category, year)
