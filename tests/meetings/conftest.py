"""Organizational life on the shared fixture tree (tests/conftest.py): a roll for 一村党支部 (tree.branch) and
helpers to plan, sign in to and close its meetings.

The roll: the secretary, the deputy and a committee member (the branch committee, each with their login),
a plain member with a login, a member without one, and a 流动党员 with a login; 赵三 is on the sibling
branch's roll.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from meetings import services
from meetings.defaults import ensure_default_kinds
from meetings.models import Meeting, MeetingKind
from meetings.services import MeetingFields
from members import services as roll
from members.fields import MemberFields
from members.models import Member
from tests.factories import UserFactory
from tests.members.conftest import id_number


def _member(organization: Any, by: Any, name: str, serial: int, person: Any = None, **extra: Any) -> Member:
    fields = MemberFields(
        name=name, gender=Member.Gender.MALE, joined_on=date(2015, 7, 1), id_number=id_number(serial), **extra
    )
    return roll.member_add(organization=organization, by=by, fields=fields, person=person)


def branch_roll(tree: Any, people: SimpleNamespace) -> SimpleNamespace:
    """The roll described above; tests of other apps (the duty report, the inspection) build it through `life`
    fixtures of their own that call this."""
    ensure_default_kinds()
    by = people.branch_secretary
    migrant_person = UserFactory(username="migrant", full_name="钱流动")
    secretary = _member(tree.branch, by, "孙书记", 11, people.branch_secretary)
    deputy = _member(tree.branch, by, "周副书记", 12, people.branch_deputy)
    committee = _member(tree.branch, by, "吴委员", 13, people.branch_member_of_committee)
    member = _member(tree.branch, by, "郑党员", 14, people.branch_member)
    no_login = _member(tree.branch, by, "王无账号", 15)
    migrant = _member(tree.branch, by, "钱流动", 16, migrant_person)
    Member.objects.filter(pk=migrant.pk).update(status=Member.Status.MIGRANT, migrant_where="广东省深圳市")
    migrant.refresh_from_db()
    sibling = _member(tree.branch_sibling, people.admin, "赵三", 17)
    return SimpleNamespace(
        secretary=secretary,
        deputy=deputy,
        committee=committee,
        member=member,
        no_login=no_login,
        migrant=migrant,
        migrant_person=migrant_person,
        sibling=sibling,
    )


@pytest.fixture
def life(tree: Any, people: SimpleNamespace) -> SimpleNamespace:
    return branch_roll(tree, people)


@pytest.fixture(autouse=True)
def _default_kinds(request: pytest.FixtureRequest) -> None:
    """A transactional test earlier in the worker flushes the migration's kinds of meeting: make them again."""
    if request.node.get_closest_marker("django_db") is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
        ensure_default_kinds()


def kind(code: str) -> MeetingKind:
    ensure_default_kinds()
    return MeetingKind.objects.get(code=code)


def plan(
    organization: Any, by: Any, code: str = MeetingKind.ASSEMBLY, *, starts_at: datetime | None = None, **extra: Any
) -> Meeting:
    fields = MeetingFields(
        kind=kind(code),
        starts_at=starts_at or timezone.now() - timedelta(minutes=5),
        place="村党群服务中心",
        topic="学习贯彻党的二十届四中全会精神",
        **extra,
    )
    return services.meeting_plan(organization=organization, by=by, fields=fields)
