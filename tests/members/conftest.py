"""A roll for the branch of the shared fixture tree (tests/conftest.py): three members and a party group."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from members import services
from members.fields import MemberFields
from members.models import Member
from members.rules import id_check_digit


def id_number(serial: int, born: str = "19900101") -> str:
    """A valid 18-character ID number, different for each SERIAL."""
    first17 = f"110101{born}{serial:03d}"
    return first17 + id_check_digit(first17)


def fields(**overrides: Any) -> MemberFields:
    values: dict[str, Any] = {"name": "张三", "gender": Member.Gender.MALE, "joined_on": date(2015, 7, 1)}
    values.update(overrides)
    return MemberFields(**values)


@pytest.fixture
def roll(tree: Any, people: SimpleNamespace) -> SimpleNamespace:
    by = people.branch_secretary
    group = services.group_add(organization=tree.branch, by=by, name="第一党小组")
    full = services.member_add(
        organization=tree.branch,
        by=by,
        fields=fields(name="王一", id_number=id_number(1), party_group=group),
        person=people.branch_member,
    )
    probationary = services.member_add(
        organization=tree.branch,
        by=by,
        fields=fields(
            name="李二",
            gender=Member.Gender.FEMALE,
            joined_on=date(2025, 12, 1),
            category=Member.Category.PROBATIONARY,
            full_membership_due=date(2026, 12, 1),
            id_number=id_number(2),
        ),
    )
    sibling = services.member_add(
        organization=tree.branch_sibling,
        by=people.admin,
        fields=fields(name="赵三", id_number=id_number(3)),
    )
    return SimpleNamespace(group=group, full=full, probationary=probationary, sibling=sibling)
